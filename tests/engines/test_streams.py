"""The compiled engine's random counts follow their distributions: each sampler's draws,
from a fixed seed, against the exact distribution (scipy.stats), in every regime its
algorithm switches between, and at the edges of its parameters."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy import stats

from sim.engines import streams

DRAWS = 40_000
SEED = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 12345],
                dtype=np.uint64)


@numba.njit
def _poisson_draws(stream, mean, n):
    return np.array([streams.poisson(stream, mean) for _ in range(n)])


@numba.njit
def _binomial_draws(stream, trials, p, n):
    return np.array([streams.binomial(stream, trials, p) for _ in range(n)])


@numba.njit
def _successes(stream, chance, length, rows):
    """How many successes each of ``rows`` rows of ``length`` trials has, by skipping."""
    x = streams.load(stream)
    log_failure = np.log1p(-chance)
    counts = np.zeros(rows, np.int64)
    for row in range(rows):
        at = -1.0
        while True:
            at, x = streams.next_success(x, at, log_failure)
            if at >= length:
                break
            counts[row] += 1
    streams.store(stream, x)
    return counts


def _fits(draws: np.ndarray, pmf) -> float:
    """Pearson's chi-square p-value of ``draws`` against ``pmf``, outcomes pooled into bins
    that each expect at least 5 draws (the test's usual condition)."""
    support = np.arange(draws.max() + 2)
    expected = pmf(support) * len(draws)
    observed = np.bincount(draws, minlength=len(support)).astype(float)
    expected[-1] += len(draws) - expected.sum()  # the upper tail, beyond the largest draw
    bins_obs, bins_exp, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(observed, expected, strict=True):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= 5:
            bins_obs.append(acc_o)
            bins_exp.append(acc_e)
            acc_o = acc_e = 0.0
    bins_obs[-1] += acc_o
    bins_exp[-1] += acc_e
    if len(bins_obs) < 2:
        return 1.0
    return stats.chisquare(bins_obs, np.array(bins_exp) * sum(bins_obs) / sum(bins_exp)).pvalue


# Each case is one fixed-seed draw of DRAWS counts. For a correct sampler the p-value is
# uniform on [0, 1], so a threshold of 1e-3 wrongly fails a case once in a thousand seeds;
# a wrong algorithm (a lost term, a flipped tail) gives p-values far below it at this
# sample size. Means are checked within 4 standard errors (two-sided 6e-5).


@pytest.mark.parametrize("mean", [0.03, 0.7, 3.0, 9.99, 10.0, 37.5, 400.0])
def test_poisson_counts_follow_the_poisson_distribution(mean):
    draws = _poisson_draws(SEED.copy(), mean, DRAWS)
    assert abs(draws.mean() - mean) < 4 * np.sqrt(mean / DRAWS)
    assert _fits(draws, lambda k: stats.poisson.pmf(k, mean)) > 1e-3


@pytest.mark.parametrize(("trials", "p"), [
    (1, 0.3), (7, 0.05), (25, 0.6), (60, 0.45),  # inversion (mean below 30)
    (100, 0.35), (10_000, 0.4), (2_000, 0.02),  # BTPE
    (200, 0.9), (5_000, 0.97),  # p above 1/2: the count of failures, by each method
])
def test_binomial_counts_follow_the_binomial_distribution(trials, p):
    draws = _binomial_draws(SEED.copy(), trials, p, DRAWS)
    assert abs(draws.mean() - trials * p) < 4 * np.sqrt(trials * p * (1 - p) / DRAWS)
    assert _fits(draws, lambda k: stats.binom.pmf(k, trials, p)) > 1e-3


def test_counts_at_the_edges_of_their_parameters_need_no_draw():
    stream = SEED.copy()
    assert list(_poisson_draws(stream, 0.0, 3)) == [0, 0, 0]
    assert list(_binomial_draws(stream, 0, 0.5, 3)) == [0, 0, 0]
    assert list(_binomial_draws(stream, 9, 0.0, 3)) == [0, 0, 0]
    assert list(_binomial_draws(stream, 9, 1.0, 3)) == [9, 9, 9]
    assert (stream == SEED).all()


@pytest.mark.parametrize("chance", [0.001, 1 / 52, 0.25, 0.9])
def test_skipping_to_the_next_success_is_a_row_of_independent_trials(chance):
    length = 60
    counts = _successes(SEED.copy(), chance, length, DRAWS // 4)
    assert _fits(counts, lambda k: stats.binom.pmf(k, length, chance)) > 1e-3


def test_a_certain_success_is_every_trial():
    assert list(_successes(SEED.copy(), 1.0, 7, 3)) == [7, 7, 7]
