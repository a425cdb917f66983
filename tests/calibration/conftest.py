"""Fixtures for the calibration tests: the small scenario and calibration files in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).parent / "data"

BASE = {
    "name": "recovery",
    "scenario": "small.yaml",
    "arm": "top_down",
    "weeks": 60,
    "priors": {"innovation_rate": {"distribution": "log-uniform", "low": 0.05, "high": 5.0}},
    "targets": {"median_weeks_to_startup": {"value": 20.0, "sd": 3.0}},
    "replicates": 1,
    "population": 8,
    "stop": {"generations": 1},
    "predictive": 2,
    "seed": 5,
}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(DATA / "small.yaml", tmp_path / "small.yaml")
    return tmp_path


@pytest.fixture
def calibration(workdir: Path):
    """Write a calibration file next to small.yaml: BASE updated by ``changes``."""

    def write(name: str = "cal.yaml", **changes) -> Path:
        path = workdir / name
        path.write_text(yaml.safe_dump({**BASE, **changes}, sort_keys=False))
        return path

    return write
