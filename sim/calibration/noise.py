"""The model's own run-to-run noise, and the distance and stopping rule built on it.

Before the first generation, ``noise.replicates`` runs at the prior's centre measure how
much each target statistic varies between runs on different seeds (sd ``sigma_k`` of one
run). A particle's statistic is the mean of ``replicates`` runs, so it carries noise of
sd ``sigma_k / sqrt(replicates)`` on top of the observed figure's own uncertainty
``sd_k``. The distance scales each target by both:

    d = sqrt(sum_k (simulated_k - observed_k)^2 / (sd_k^2 + sigma_k^2 / replicates))

(fixed weights in pyabc's PNormDistance, measured once: unlike pyabc's
AdaptivePNormDistance, which rescales by the spread of each generation's own samples,
the scale stays the same across generations, so epsilons can be compared with each other
and with the floor below). A particle at the true values then has each term of about
unit variance, so its distance is about the length of a vector of K standard normal
numbers (K targets; a normal approximation: shares of a few agencies and censored times
are coarser). The noise floor is the median of that length, sqrt of the chi-square
median with K degrees of freedom: half of the particles at the truth reach it. An
epsilon below it rejects the true values more often than not, so ``min_epsilon: noise``
stops there, a rule a calibration can meet by construction.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

import numpy as np

from sim.calibration.simulate import Simulator, particle_seeds

NOISE_SALT = 2  # seeds the fitting (0) and the predictive check (1) never use


def prior_centre(priors: dict[str, Any], paths: dict[str, Any]) -> dict[str, float]:
    """The prior's centre: the mean of a uniform or (truncated) normal prior, the
    geometric mean (the median) of a log-uniform one, whose arithmetic mean sits in its
    top decade."""
    out = {}
    for name, p in priors.items():
        if p.distribution == "log-uniform":
            out[name] = float(np.sqrt(p.low * p.high))
        elif p.distribution == "uniform":
            out[name] = (p.low + p.high) / 2
        else:
            lo = p.low if p.low is not None else paths[name].low
            hi = p.high if p.high is not None else paths[name].high
            out[name] = float(np.clip(p.mean, -np.inf if lo is None else lo,
                                      np.inf if hi is None else hi))
    return out


def _one_run(args: tuple[Simulator, dict[str, float], int]) -> dict[str, float]:
    simulator, theta, seed = args
    return simulator.one(theta, seed)


def measure_noise(simulator: Simulator, theta: dict[str, float], runs: int,
                  executor: Executor) -> dict[str, float]:
    """Per statistic, the sd (ddof 1) of single runs at ``theta`` over ``runs`` seeds."""
    values, _ = simulator.params(theta)
    seeds = particle_seeds(simulator.seed, values, runs, NOISE_SALT)
    stats = list(executor.map(_one_run, [(simulator, theta, s) for s in seeds]))
    return {k: float(np.std([s[k] for s in stats], ddof=1)) for k in simulator.statistics}


def distance_scale(observed: dict[str, tuple[float, float]], sigma: dict[str, float],
                   replicates: int) -> dict[str, float]:
    """Per target, the sd its difference is divided by: the observed sd and the noise of
    a ``replicates``-run mean, added in variance."""
    return {k: float(np.sqrt(sd**2 + sigma.get(k, 0.0) ** 2 / replicates))
            for k, (_, sd) in observed.items()}


def noise_floor(k: int) -> float:
    """The median distance of a particle at the true values over ``k`` targets."""
    from scipy.stats import chi2

    return float(np.sqrt(chi2.median(k)))
