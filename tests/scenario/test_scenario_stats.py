"""Medians with exact intervals, censoring at the horizon, paired differences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.scenario.stats import (
    difference,
    format_row,
    median_ci,
    median_ranks,
    summary_table,
)


def test_order_statistic_ranks_match_the_binomial_table():
    # Classic table (e.g. Conover 1999): n=10 -> x(2)..x(9), n=20 -> x(6)..x(15).
    assert median_ranks(10)[0] == 1 and median_ranks(20)[0] == 5
    for n in range(6, 80):
        lo, coverage = median_ranks(n)
        assert coverage >= 0.95
        assert median_ranks(n)[0] == lo  # deterministic
    assert median_ranks(5) == (0, pytest.approx(1 - 2 * 0.5**5))


def test_median_interval_covers_the_true_median_as_promised():
    # 1000 samples of 20 from an exponential (median ln 2): exact coverage is 95.86%;
    # the tolerance is three binomial standard errors of a 1000-sample proportion.
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(1000):
        est = median_ci(rng.exponential(1.0, 20))
        hits += est.low <= math.log(2) <= est.high
    se = math.sqrt(0.9586 * 0.0414 / 1000)
    assert abs(hits / 1000 - 0.9586) < 3 * se


def test_never_reached_counts_as_censored_not_dropped():
    est = median_ci(np.array([10, 20, np.nan, np.nan, np.nan, np.nan, 30.0]), horizon=156)
    assert est.n == 7 and est.reached == pytest.approx(3 / 7)
    assert est.value_censored and est.high_censored and not est.low_censored
    dropped = median_ci(np.array([10, 20, 30.0]))
    assert dropped.value == 20  # what dropping NaNs would wrongly report


def test_difference_recovers_a_known_shift_with_pairing():
    rng = np.random.default_rng(5)
    common = rng.normal(100, 15, 40)  # shared by both arms, like common random numbers
    a, b = common + rng.normal(0, 2, 40), common - 20 + rng.normal(0, 2, 40)
    est = difference(a, b, horizon=None, seed=1)
    assert est.low < -20 < est.high
    assert est.high - est.low < 10  # pairing removes the large shared spread


def test_difference_with_censored_medians_is_a_bound():
    never = np.full(8, np.nan)
    soon = np.arange(10.0, 18.0)
    assert difference(never, soon, horizon=100, seed=0).bound == "<"
    assert difference(soon, never, horizon=100, seed=0).bound == ">"
    assert difference(never, never, horizon=100, seed=0).bound == "n/a"


def test_summary_table_rows_and_formatting(synthetic):
    table = summary_table(synthetic.summaries, synthetic.arms, synthetic.weeks, seed=1)
    arms = table[table["row"] == "arm"]
    assert set(arms["arm"]) == {"slow", "fast"}
    diffs = table[table["row"] == "difference"]
    assert set(diffs["arm"]) == {"fast - slow"}
    t50 = diffs.set_index("outcome").loc["time_to_50_full"]
    assert t50["high"] < 0  # 'fast' adopts about twice as fast
    row = arms[(arms["arm"] == "slow") & (arms["outcome"] == "time_to_50_full")].iloc[0]
    text = format_row(row, synthetic.weeks)
    assert "[" in text and "reached" in text


def test_format_shows_censoring_against_the_horizon():
    row = pd.Series({"row": "arm", "outcome": "time_to_90_full", "n": 10, "reached": 0.2,
                     "estimate": 156.0, "low": 90.0, "high": 156.0, "estimate_censored": True,
                     "low_censored": False, "high_censored": True, "bound": ""})
    assert format_row(row, 156) == ">156 [90, >156] (20% reached)"
    diff = row.copy()
    diff.update({"row": "difference", "estimate": -60.0, "low": -80.0, "high": -30.0,
                 "bound": "<"})
    assert format_row(diff, 156) == "<-60 [<-80, -30]"


def test_table_returns_what_run_prints_and_the_numbers_on_request(synthetic):
    """``result.table()`` is the printed table (a row per outcome, a column per arm and
    difference, the same text as the console); ``long=True`` keeps the numbers."""
    printed = synthetic.table()
    assert list(printed.columns) == ["slow", "fast", "fast - slow"]
    assert "weeks to 50% of agencies at full" in printed.index
    long = synthetic.table(long=True)
    row = long[(long["arm"] == "slow") & (long["outcome"] == "time_to_50_full")].iloc[0]
    assert printed.loc["weeks to 50% of agencies at full", "slow"] == format_row(row, 60)
    assert printed.loc["weeks to 50% of agencies at full", "slow"].endswith("reached)")
    assert {"estimate", "low", "high", "reached", "coverage"} <= set(long.columns)
