"""Paired arms: an experiment names two arms; each run is both arms on one seed and its
outcomes are the difference, second arm minus first."""

import math

import pytest

from sim.errors import ExperimentError
from sim.runs import run_once
from sim.scenario import load_scenario
from sim.sweep import load, make_plan, run
from sim.sweep.paths import apply


def test_outcomes_are_the_paired_difference_on_one_seed(experiment, workdir):
    path = experiment(parameters={"timeline.0.intensity": {"levels": [0.3, 0.9]}},
                      arms=["top_down", "co_creative"], replicates=1)
    run(path, workers=1, out=workdir / "out", progress=False)
    res = load(workdir / "out")
    assert res.manifest["arm"] == "co_creative - top_down"
    row = res.summaries.iloc[1]
    scenario = load_scenario(workdir / "tiny.yaml")
    values = {"timeline.0.intensity": 0.9}
    by_hand = {arm: run_once(apply(scenario.arm_params(arm), values), int(row.seed),
                             every=0).summary for arm in ("top_down", "co_creative")}
    for key in ("final_share_at_full", "trust_agency_isp_final", "time_to_first_full"):
        a, b = by_hand["top_down"][key], by_hand["co_creative"][key]
        a, b = (30 if math.isnan(a) else a), (30 if math.isnan(b) else b)  # censored at 30
        assert row[key] == pytest.approx(b - a)
        assert row[f"{key}__co_creative"] == pytest.approx(by_hand["co_creative"][key],
                                                           nan_ok=True)


def test_arms_must_be_two_known_different_arms(experiment):
    with pytest.raises(ExperimentError, match="arms: expected two different arms"):
        make_plan(experiment(arms=["top_down", "top_down"]))
    with pytest.raises(ExperimentError, match="arms: unknown arm 'sideways'"):
        make_plan(experiment(arms=["top_down", "sideways"]))
    with pytest.raises(ExperimentError, match="arms: expected two different arms"):
        make_plan(experiment(arms=["top_down", "co_creative"], arm="top_down"))


def test_the_shipped_paired_experiment_is_valid():
    from pathlib import Path

    plan = make_plan(Path(__file__).parents[2] / "experiments" / "co_creation_wins.yaml")
    assert plan.arm == "co_creative - top_down" and plan.n_runs == 96
    params = plan.params(0)
    assert [arm for arm, _ in params] == ["top_down", "co_creative"]
    assert params[0][1]["strategy_mix"] == 0.0 and params[1][1]["strategy_mix"] == 1.0


def test_listed_outcomes_keep_both_arms_and_the_difference(experiment, workdir):
    """Issue 24: with outcomes: listed, each arm's own value was dropped, so a difference
    could not say whether co-creation got faster or top-down slower."""
    path = experiment(parameters={"timeline.0.intensity": {"levels": [0.3, 0.9]}},
                      arms=["top_down", "co_creative"], replicates=1,
                      outcomes=["time_to_first_full", "final_share_at_full"])
    run(path, workers=1, out=workdir / "out", progress=False)
    res = load(workdir / "out")
    kept = {f"{o}{arm}" for o in ("time_to_first_full", "final_share_at_full")
            for arm in ("", "__top_down", "__co_creative")}
    assert kept <= set(res.summaries.columns)
    assert set(res.outcomes) == kept
    row = res.summaries.iloc[0]
    a, b = row["final_share_at_full__top_down"], row["final_share_at_full__co_creative"]
    assert row["final_share_at_full"] == pytest.approx(b - a)
