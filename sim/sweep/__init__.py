"""Experiments at scale: parameter sweeps, sensitivity analysis, local or on Dask.

``run(experiment)`` runs (or resumes) an experiment file's design points x replicates and
writes Parquet results as runs finish; ``load(folder)`` reads them back as DataFrames;
``analyze(folder)`` computes Sobol / Morris indices, per-point tables and figures;
``apply(params, {path: value})`` sets dotted paths on a copy of a run's parameters. The
``trustsim sweep`` and ``trustsim analyze`` commands call these. See docs/sweeps.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "run": "sim.sweep.runner",
    "SweepReport": "sim.sweep.runner",
    "load": "sim.sweep.results",
    "SweepResults": "sim.sweep.results",
    "analyze": "sim.sweep.analysis",
    "load_experiment": "sim.sweep.spec",
    "parse_experiment": "sim.sweep.spec",
    "ExperimentSpec": "sim.sweep.spec",
    "make_plan": "sim.sweep.plan",
    "apply": "sim.sweep.paths",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim.sweep' has no attribute {name!r}")
