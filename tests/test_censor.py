"""One rule for times never reached: the same censored median, interval and share reached
from the scenario table, the sweep point summary, the heatmap and the API helpers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.censor import medians
from sim.scenario.stats import summary_table
from sim.sweep.analysis import heatmap_values, point_table
from sim.sweep.results import SweepResults

HORIZON = 30.0


def _runs() -> pd.DataFrame:
    """4 grid points x 9 replicates; times up to 45 weeks, so some runs never reach it
    in 30 (NaN), point 3 mostly."""
    rng = np.random.default_rng(5)
    rows = []
    for point, scale in enumerate((8, 15, 25, 40)):
        for rep in range(9):
            t = float(rng.exponential(scale))
            rows.append({"point": point, "replicate": rep, "seed": rep,
                         "time_to_50_full": t if t <= HORIZON else math.nan,
                         "final_share_at_full": float(rng.uniform())})
    return pd.DataFrame(rows)


def _sweep(runs: pd.DataFrame) -> SweepResults:
    points = pd.DataFrame({"point": range(4), "a": [0.0, 0.0, 1.0, 1.0],
                           "b": [0.0, 1.0, 0.0, 1.0]})
    manifest = {"parameters": ["a", "b"], "base_params": {"weeks": HORIZON},
                "design": "grid", "n_points": 4, "replicates": 9}
    return SweepResults(Path("."), manifest, points, runs.merge(points, on="point"),
                        pd.DataFrame())


@pytest.mark.parametrize("outcome", ["time_to_50_full", "final_share_at_full"])
def test_every_output_gives_the_same_numbers_for_the_same_runs(outcome):
    runs = _runs()
    assert runs["time_to_50_full"].isna().sum() >= 5  # the rule is exercised
    cols = ["estimate", "low", "high", "reached", "n", "estimate_censored"]
    helper = medians(runs, "point", outcome, HORIZON).set_index("point")[cols]
    scenario = summary_table(runs.assign(arm=runs["point"].map("p{}".format)),
                             [f"p{i}" for i in range(4)], HORIZON)
    scenario = scenario[(scenario["outcome"] == outcome) & (scenario["row"] == "arm")]
    scenario = scenario.set_index(
        scenario["arm"].str[1:].astype(int).rename("point"))[cols]
    res = _sweep(runs)
    summary = point_table(res, [outcome])
    sweep_rows = summary.set_index("point")[cols]
    method = res.medians("point", [outcome]).set_index("point")[cols]
    grid, shown = heatmap_values(res, summary, outcome)
    for other in (scenario, sweep_rows, method):
        pd.testing.assert_frame_equal(helper, other, check_dtype=False)
    assert grid.loc[1.0, 1.0] == helper.loc[3, "estimate"]
    if outcome == "time_to_50_full":  # point 3: most runs never got there in 30 weeks
        assert helper.loc[3, "estimate"] == HORIZON and helper.loc[3, "estimate_censored"]
        assert shown.loc[1.0, 1.0] == ">30" and helper.loc[3, "reached"] < 0.5
    else:
        assert math.isnan(helper.loc[0, "reached"])  # reached: times only


def test_never_reached_is_counted_at_the_horizon_not_dropped():
    """The mean of the runs that got there (what groupby().mean() gives) is the fast runs
    only; the censored median counts the others at the horizon."""
    runs = pd.DataFrame({"g": 0, "time_to_50_full": [100, 151, np.nan, np.nan]})
    row = medians(runs, "g", "time_to_50_full", 156).iloc[0]
    assert runs["time_to_50_full"].mean() == 125.5
    assert row["estimate"] == 153.5 and row["reached"] == 0.5 and row["high_censored"]
    assert row["n"] == 4


def test_the_helper_is_on_the_package():
    import sim

    assert sim.medians is medians
