"""Every manifest says what made it: versions, git commit, data hash, seeding, counts."""

from __future__ import annotations

import json
import shutil
from importlib import metadata
from pathlib import Path

import pytest
import yaml

import sim
import sim.sweep as sweep
from sim import provenance
from sim.scenario import load_scenario, run_scenario

DATA = Path(__file__).parent / "sweep" / "data"
SHARED = ("kind", "trustsim", "versions", "git_commit", "data_hash", "seeding", "status",
          "counts", "command", "started", "finished")


def test_data_hash_follows_the_data_files(tmp_path):
    for f in (provenance.PACKAGE / "data").glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    assert provenance.data_hash(tmp_path) == provenance.data_hash()
    first = sorted(tmp_path.glob("*.yaml"))[0]
    first.write_text(first.read_text() + "\n# changed\n")
    assert provenance.data_hash(tmp_path) != provenance.data_hash()


@pytest.mark.parametrize("library", ["numba", "networkx", "SALib", "ema-workbench", "pyabc"])
def test_versions_name_every_library_that_produces_numbers(library):
    """The default engine (numba), the networks (networkx), the sensitivity, discovery and
    calibration libraries: each installed one is in every manifest's versions."""
    try:
        installed = metadata.version(library)
    except metadata.PackageNotFoundError:
        pytest.skip(f"{library} is not installed")
    assert provenance.versions()[library.lower()] == installed


def test_no_git_commit_outside_a_checkout(tmp_path):
    (tmp_path / "sim").mkdir()
    assert provenance.git_commit(tmp_path / "sim") is None


def test_scenario_and_sweep_manifests_share_their_top_level_fields(tmp_path):
    for name in ("tiny.yaml", "grid.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    run_scenario(load_scenario(tmp_path / "tiny.yaml"), out=tmp_path / "run", figures=False)
    sweep.run(tmp_path / "grid.yaml", workers=1, out=tmp_path / "sweep", progress=False)
    runs = json.loads((tmp_path / "run" / "manifest.json").read_text())
    swept = json.loads((tmp_path / "sweep" / "manifest.json").read_text())
    for manifest, kind, planned in ((runs, "scenario", 4), (swept, "sweep", 12)):
        assert set(SHARED) <= set(manifest), kind
        assert manifest["kind"] == kind and manifest["trustsim"] == sim.__version__
        assert manifest["versions"]["mesa"] and manifest["versions"]["numpy"]
        assert manifest["versions"]["numba"] and manifest["versions"]["networkx"]
        assert manifest["data_hash"] == provenance.data_hash()
        assert manifest["git_commit"] == provenance.git_commit()
        assert manifest["counts"] == {"planned": planned, "finished": planned, "failed": 0,
                                      "missing": 0}
        assert manifest["status"] == "complete"


def test_a_sweep_keeps_its_resolved_scenario(tmp_path):
    for name in ("tiny.yaml", "grid.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    sweep.run(tmp_path / "grid.yaml", workers=1, out=tmp_path / "sweep", progress=False)
    copy = yaml.safe_load((tmp_path / "sweep" / "scenario.yaml").read_text())
    assert copy == load_scenario(tmp_path / "tiny.yaml").resolved()
    assert load_scenario(tmp_path / "sweep" / "scenario.yaml").hash() == \
        load_scenario(tmp_path / "tiny.yaml").hash()
