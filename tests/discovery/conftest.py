"""A sweep folder written without running the model (fast): ``a`` and ``b`` swept over
[0, 1], the outcome ``y`` equal to ``a``, so ``y > 0.5`` marks half the points."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.resultsdir import write_json
from sim.sweep.spec import parse_experiment
from sim.sweep.store import Store, write_parquet


def _write_sweep(root: Path, n_points: int = 40, where: str = "y > 0.5") -> Path:
    """A finished lhs sweep of ``n_points`` points, one replicate, outcome ``y`` = ``a``,
    whose experiment's discover: block asks ``where``."""
    rng = np.random.default_rng(7)
    a, b = rng.random(n_points), rng.random(n_points)
    spec = parse_experiment({"name": "fake", "scenario": "tiny.yaml", "design": "lhs",
                             "samples": n_points, "seed": 1,
                             "parameters": {"a": {"low": 0, "high": 1},
                                            "b": {"low": 0, "high": 1}},
                             "discover": {"outcome": "y", "where": where}})
    root.mkdir(parents=True)
    write_parquet(root / "points.parquet", {"point": np.arange(n_points), "a": a, "b": b})
    # ranges 0-1: the unit design a real lhs sweep writes equals its points
    write_parquet(root / "design.parquet", {"point": np.arange(n_points), "a": a, "b": b})
    write_json(root / "manifest.json", {
        "kind": "sweep", "fingerprint": "fake", "experiment": spec.model_dump(mode="json"),
        "base_params": {"weeks": 30}, "design": "lhs", "parameters": ["a", "b"],
        "n_points": n_points, "replicates": 1, "status": "complete"})
    store = Store(root, n_points, 1, batch_size=10**6)
    for i in range(n_points):
        store.add({"point": i, "replicate": 0, "seed": i, "seconds": 0.0,
                   "summary": {"y": float(a[i])}})
    store.flush()
    return root


@pytest.fixture
def write_sweep():
    """``write_sweep(root, n_points=40, where="y > 0.5")``: a fake sweep folder."""
    return _write_sweep


@pytest.fixture
def fake_sweep(tmp_path: Path) -> Path:
    return _write_sweep(tmp_path / "sweep")
