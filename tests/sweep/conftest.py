"""Fixtures for the sweep tests: the tiny scenario and experiment files in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).parent / "data"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder holding tiny.yaml (scenario) and grid.yaml (experiment)."""
    for name in ("tiny.yaml", "grid.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


@pytest.fixture
def experiment(workdir: Path):
    """Write an experiment next to tiny.yaml: grid.yaml updated by ``changes``."""

    def write(name: str = "exp.yaml", **changes) -> Path:
        data = yaml.safe_load((DATA / "grid.yaml").read_text())
        data.update(changes)
        path = workdir / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return write
