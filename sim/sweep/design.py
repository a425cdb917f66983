"""Design points: which parameter values each run of a sweep gets.

Sampled designs are drawn in the unit hypercube (SALib for sobol, morris and Latin
hypercube; numpy for random) and mapped onto each parameter's range or levels, so the
unit design can be handed back to SALib's analysers unchanged.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.sweep.paths import Target
from sim.sweep.spec import ExperimentSpec, ParameterRange


@dataclass
class Design:
    """The design points: ``values`` (one row per point, one column per path) and, for
    sampled designs, the unit-hypercube coordinates SALib's analysers need."""

    names: list[str]
    values: pd.DataFrame
    unit: np.ndarray | None
    _columns: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.values)

    def point(self, i: int) -> dict[str, Any]:
        """The parameter values of point ``i`` as plain Python values."""
        if self._columns is None:  # DataFrame row access costs more than a short run
            self._columns = [self.values[n].to_numpy() for n in self.names]
        return {n: _plain(col[i]) for n, col in zip(self.names, self._columns, strict=True)}


def problem(names: list[str]) -> dict[str, Any]:
    """The SALib problem on the unit hypercube."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def make_design(spec: ExperimentSpec, targets: dict[str, Target]) -> Design:
    """Build the experiment's design points (deterministic given ``spec.seed``)."""
    names = list(spec.parameters)
    if spec.design == "grid":
        levels = [spec.parameters[n].grid_levels() for n in names]
        rows = [[targets[n].convert(v) for n, v in zip(names, combo, strict=True)]
                for combo in itertools.product(*levels)]
        return Design(names, pd.DataFrame(rows, columns=names), None)
    unit = _unit_sample(spec, names)
    cols = {n: _from_unit(unit[:, j], spec.parameters[n], targets[n])
            for j, n in enumerate(names)}
    return Design(names, pd.DataFrame(cols, columns=names), unit)


def _unit_sample(spec: ExperimentSpec, names: list[str]) -> np.ndarray:
    from SALib.sample import latin, morris, sobol

    prob = problem(names)
    seed = spec.seed or 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's notes on sample sizes; checked in spec
        if spec.design == "sobol":
            return sobol.sample(prob, spec.samples, calc_second_order=spec.second_order,
                                seed=seed)
        if spec.design == "morris":
            return morris.sample(prob, spec.samples, num_levels=spec.levels, seed=seed)
        if spec.design == "lhs":
            return latin.sample(prob, spec.samples, seed=seed)
    return np.random.default_rng(seed).random((spec.samples, len(names)))


def _from_unit(u: np.ndarray, rng: ParameterRange, target: Target) -> np.ndarray:
    """Map unit coordinates onto a range (uniform or log-uniform) or onto levels."""
    if rng.levels is not None:
        idx = np.minimum((u * len(rng.levels)).astype(int), len(rng.levels) - 1)
        return target.convert_many(rng.levels)[idx]
    if rng.distribution == "log-uniform":
        lo, hi = math.log(rng.low), math.log(rng.high)
        vals = np.exp(lo + u * (hi - lo))
    else:
        vals = rng.low + u * (rng.high - rng.low)
    return target.convert_many(np.clip(vals, rng.low, rng.high))


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
