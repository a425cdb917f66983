"""A pyabc sampler whose populations do not depend on where or when particles ran.

pyabc's own parallel samplers reseed every job from the operating system
(``np.random.seed()``), so a population depends on the workers' timing. Here candidate
``i`` of generation ``t`` draws its parameters from numpy's global stream seeded by
``SeedSequence([seed, t + 1, i])``, and a population is the first ``n`` accepted
candidates in index order, whichever finished first. One process, local worker
processes and a Dask cluster therefore give the same particles, weights and simulation
counts; candidates started past the ``n``-th accepted one are dropped and not counted.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from functools import lru_cache
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

from sim.calibration.signals import check_stop


def seed_global(*keys: int) -> None:
    """Seed numpy's global stream (pyabc's priors and kernels draw from it) and
    ``random`` from ``keys`` (non-negative integers)."""
    state = np.random.SeedSequence(list(keys)).generate_state(4)
    np.random.seed(state)
    random.seed(int(state[0]))


@lru_cache(maxsize=2)
def _load(blob: bytes) -> Callable[[], Any]:
    return cloudpickle.loads(blob)


def simulate_candidate(blob: bytes, seed: int, t: int, index: int) -> Any:
    """Worker side: candidate ``index`` of generation ``t`` (a pyabc Particle)."""
    seed_global(seed, t + 1, index)
    return _load(blob)()


class OrderedSampler(Sampler):
    """``sample_until_n_accepted`` over any ``concurrent.futures`` executor with at most
    ``jobs`` candidates in flight; the result depends only on ``seed``."""

    def __init__(self, executor: Executor, jobs: int, seed: int):
        super().__init__()
        self.executor, self.jobs, self.seed = executor, max(1, int(jobs)), seed

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                all_accepted=False, ana_vars=None):  # noqa: ARG002
        blob = cloudpickle.dumps(simulate_one)
        done: dict[int, Any] = {}
        running: dict[Future, int] = {}
        sample, kept, accepted, started = self._create_empty_sample(), 0, 0, 0
        try:
            while accepted < n and kept < max_eval:
                while len(running) < self.jobs and started < max_eval:
                    future = self.executor.submit(simulate_candidate, blob, self.seed, t,
                                                  started)
                    running[future], started = started, started + 1
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                check_stop()
                for future in finished:
                    done[running.pop(future)] = future.result()
                while kept in done and accepted < n:  # the next candidates in order
                    particle = done.pop(kept)
                    sample.append(particle)
                    kept += 1
                    accepted += bool(particle.accepted)
        finally:
            for future in running:
                future.cancel()
        self.nr_evaluations_ = kept
        if accepted < n:
            sample.ok = False
        return sample
