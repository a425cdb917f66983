"""The model as ABC-SMC sees it: parameters in, the targets' statistics out.

A top-level, picklable callable so that pyabc's multicore and Dask samplers can ship it
to workers. Each particle's seeds come from a numpy SeedSequence keyed by the
calibration's seed and the particle's parameter values, so a particle's statistics do not
depend on which worker ran it or in what order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.calibration.targets import Stages, reached_from_model, site_statistics
from sim.censor import censor
from sim.sweep.paths import Target, apply


def particle_seeds(seed: int, values: dict[str, Any], n: int, salt: int = 0) -> list[int]:
    """``n`` run seeds for one particle, determined by the seed and the values."""
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).digest()
    words = np.frombuffer(digest[:16], dtype=np.uint32).tolist()
    children = np.random.SeedSequence([seed, salt, *words]).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def run_statistics(params: dict[str, Any], seed: int, sites: bool) -> dict[str, float]:
    """One run's summary outcomes and, with ``sites``, its SIC-style site statistics."""
    from sim.runs import run_columns, run_model

    if not sites:
        return run_columns(params, seed, every=0)[1]
    model = run_model(params, seed, family_views=False)
    stats = model.summary()
    stats.update(site_statistics(reached_from_model(model), Stages.of(model), model.week))
    return stats


@dataclass
class Simulator:
    """``Simulator(...)(theta)``: replicate-mean statistics of one particle."""

    base: dict[str, Any]
    paths: dict[str, Target]
    statistics: list[str]
    replicates: int
    seed: int
    sites: bool
    horizon: int
    salt: int = 0

    def params(self, theta: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the particle's values as the model wants them, the full parameters)."""
        values = {p: self.paths[p].convert(float(theta[p])) for p in self.paths}
        return values, apply(self.base, values)

    def _run(self, params: dict[str, Any], seed: int) -> dict[str, float]:
        """One run's statistics on ``seed``, times never reached censored at the horizon."""
        run = run_statistics(params, seed, self.sites)
        return {k: float(censor(k, run.get(k), self.horizon)) for k in self.statistics}

    def one(self, theta: dict[str, Any], seed: int) -> dict[str, float]:
        """One run's statistics on ``seed`` (what ``__call__`` averages)."""
        return self._run(self.params(theta)[1], seed)

    def __call__(self, theta: dict[str, Any]) -> dict[str, float]:
        values, params = self.params(theta)
        seeds = particle_seeds(self.seed, values, self.replicates, self.salt)
        runs = [self._run(params, s) for s in seeds]
        return {k: float(np.mean([r[k] for r in runs])) for k in self.statistics}
