"""Scenario runs and sweeps are one run system: one seed scheme, one dtype per column, the
same numbers for the same run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim.sweep as sweep
from sim.scenario import ScenarioResult, load_scenario, run_scenario

DATA = Path(__file__).parent / "sweep" / "data"


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """tiny.yaml run as a scenario, and swept over its two arms' strategy_mix with common
    random numbers (point 0 = top_down, point 1 = co_creative)."""
    work = tmp_path_factory.mktemp("both")
    shutil.copy(DATA / "tiny.yaml", work / "tiny.yaml")
    (work / "arms.yaml").write_text(yaml.safe_dump({
        "name": "arms", "scenario": "tiny.yaml", "design": "grid", "arm": "top_down",
        "parameters": {"strategy_mix": {"levels": [0.0, 1.0]}}, "replicates": 2,
        "common_random_numbers": True}))
    run_scenario(load_scenario(work / "tiny.yaml"), workers=2, out=work / "run",
                 figures=False)
    sweep.run(work / "arms.yaml", workers=2, out=work / "sweep", progress=False)
    return ScenarioResult.load(work / "run"), sweep.load(work / "sweep")


def test_one_seed_scheme_and_the_same_numbers(both):
    run, swept = both
    arms = {0: "top_down", 1: "co_creative"}
    for point, arm in arms.items():
        ours = run.summaries[run.summaries["arm"] == arm].reset_index(drop=True)
        theirs = swept.summaries[swept.summaries["point"] == point].reset_index(drop=True)
        assert ours["seed"].tolist() == theirs["seed"].tolist()
        outcomes = [c for c in ours.columns if c not in ("arm", "replicate", "seed")]
        pd.testing.assert_frame_equal(ours[outcomes], theirs[outcomes], obj=arm)


def test_one_dtype_per_column(both):
    run, swept = both
    for frame in (run.summaries, run.timeseries, swept.summaries, swept.timeseries()):
        assert frame["seed"].dtype == "int64" and frame["replicate"].dtype == "int64"
    assert swept.summaries["point"].dtype == "int64"
    for frame in (run.summaries, run.timeseries):
        assert frame["arm"].dtype == pd.CategoricalDtype(["top_down", "co_creative"],
                                                          ordered=True)
    for name in ("summaries.parquet", "timeseries.parquet"):
        stored = pd.read_parquet(run.path / name)
        assert stored["seed"].dtype == "int64"
