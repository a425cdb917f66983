"""Scenario discovery: a box planted in the swept parameters is found by PRIM and CART."""

import pytest

from sim import discovery_checks as checks
from sim.discovery import discover
from sim.errors import ExperimentError

PLANT = "strategy_mix > 0.6 and turnover_per_year < 0.3"  # as in conftest.planted_sweep


def test_prim_finds_the_planted_box(planted_sweep, tmp_path):
    res = discover(planted_sweep, "final_share_at_full", PLANT, out=tmp_path / "d",
                   resamples=20)
    box = res.prim_box.set_index("parameter")
    assert set(box.index) == {"strategy_mix", "turnover_per_year"}  # asymmetry is free
    assert box.loc["strategy_mix", "low"] == pytest.approx(0.6, abs=0.05)
    assert box.loc["turnover_per_year", "high"] == pytest.approx(0.3, abs=0.05)
    assert res.prim_stats["coverage"] >= 0.9 and res.prim_stats["density"] >= 0.9
    assert res.cart_stats["density"].max() == 1.0
    # the planted box holds about 0.4 x 0.3 x 120 = 14 cases: enough, and stable
    stable = res.stability.set_index("parameter")["restricted_share"]
    assert stable[["strategy_mix", "turnover_per_year"]].min() >= checks.STABLE
    assert res.warnings == [], res.warnings
    for name in ("prim_box.csv", "prim_stats.csv", "prim_trajectory.csv", "prim_trajectory.png",
                 "prim_box.png", "cart_boxes.csv", "cart_stats.csv", "cart_tree.png",
                 "cart_tree.txt", "prim_stability.csv"):
        assert (tmp_path / "d" / name).exists(), name


def test_the_experiments_discover_block_is_the_default(planted_sweep):
    res = discover(planted_sweep, resamples=0)
    assert res.where == PLANT
    assert res.stability is None
    assert res.out.parent == planted_sweep / "discovery"  # a new folder each time
    assert res.out.name.startswith("final_share_at_full")


@pytest.mark.parametrize("outcome, where, words", [
    ("final_shar", "< 1", "--outcome: no outcome 'final_shar' in this sweep"),
    ("final_share_at_full", "strategy_mix +", "--where: 'strategy_mix +': cannot parse"),
    ("final_share_at_full", "strategy_mix + 1", "--where: 'strategy_mix + 1': it is a "
                                                "number, not a condition"),
    ("final_share_at_full", ">= 0", "--where: every design point meets '>= 0'"),
])
def test_bad_options_are_one_line(planted_sweep, tmp_path, outcome, where, words):
    with pytest.raises(ExperimentError) as info:
        discover(planted_sweep, outcome, where, out=tmp_path / "d")
    assert words in str(info.value) and "\n" not in str(info.value)


def test_not_a_sweep_folder(tmp_path):
    with pytest.raises(ExperimentError, match="not a sweep results folder"):
        discover(tmp_path, "x", "< 1")
