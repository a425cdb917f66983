"""Per-arm medians with exact 95% intervals, and between-arm differences, from replicates.

Why medians: times to full implementation are skewed and often censored (never reached
within the run). A time never reached is *censored at the horizon*: it counts as later
than every observed time, so a median or interval bound that falls on such a run is shown
as ">H" rather than dropped. The interval of a median is the distribution-free
order-statistic interval (exact under any distribution); a difference between arms is the
difference of medians with a paired percentile bootstrap over replicates, paired because
replicate i of every arm shares one seed (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy.stats import binom

#: Outcomes measured in weeks until something happens (NaN = never happened).
TIME_OUTCOMES = ("time_to_50_startup", "time_to_first_full", "time_to_50_full",
                 "time_to_90_full")
LABELS = {
    "share_reached_startup": "share of agencies that reached start-up (delivering)",
    "time_to_50_startup": "weeks to 50% of agencies at start-up",
    "time_to_first_full": "weeks to first agency at full implementation",
    "time_to_50_full": "weeks to 50% of agencies at full implementation",
    "time_to_90_full": "weeks to 90% of agencies at full implementation",
    "final_share_at_full": "final share of agencies at full implementation",
    "trust_agency_isp_final": "final trust: agencies in ISPs",
    "trust_isp_agency_final": "final trust: ISPs in agencies",
    "trust_agency_agency_final": "final trust: agencies in partner agencies",
    "trust_family_agency_final": "final trust: families in agencies",
    "final_reach": "final reach (share of families engaged)",
    "reach_gap": "final reach gap between family groups",
    "sustainability": "sustainability",
}
TABLE_OUTCOMES = tuple(LABELS)
LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class Estimate:
    """A median (or difference) with its interval; ``*_censored`` marks '>horizon'."""

    value: float
    low: float
    high: float
    n: int
    reached: float = 1.0
    coverage: float = LEVEL
    value_censored: bool = False
    low_censored: bool = False
    high_censored: bool = False
    bound: str = ""  # differences only: '<' or '>' when a median is censored; 'n/a'


@cache
def median_ranks(n: int) -> tuple[int, float]:
    """0-based rank of the lower bound of the order-statistic interval, and its coverage.

    Largest k with P(Bin(n, 1/2) < k) <= 2.5%; the interval is x_(k)..x_(n-k+1) (1-based).
    Below six replicates no such k exists and the full range is used (coverage < 95%).
    """
    k = 1
    while binom.cdf(k, n, 0.5) <= (1 - LEVEL) / 2:
        k += 1
    return k - 1, float(1 - 2 * binom.cdf(k - 1, n, 0.5))


def median_ci(values: np.ndarray, horizon: float | None = None) -> Estimate:
    """Median and exact interval; with ``horizon`` NaN means 'not reached' (censored)."""
    values = np.asarray(values, dtype=float)
    if horizon is None:
        values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, reached=math.nan, coverage=math.nan)
    censored = np.isnan(values)
    order = np.argsort(np.where(censored, np.inf, values), kind="stable")
    x = np.where(censored, horizon if horizon is not None else np.nan, values)[order]
    c = censored[order]
    mid = [(n - 1) // 2, n // 2]
    lo, coverage = median_ranks(n)
    hi = n - 1 - lo
    return Estimate(float(np.mean(x[mid])), float(x[lo]), float(x[hi]), n,
                    reached=float(1 - c.mean()), coverage=coverage,
                    value_censored=bool(c[mid].any()), low_censored=bool(c[lo]),
                    high_censored=bool(c[hi]))


def _paired(summaries: pd.DataFrame, outcome: str, ref: str, arm: str) -> tuple[np.ndarray, ...]:
    table = summaries.pivot_table(index="replicate", columns="arm", values=outcome,
                                  dropna=False, aggfunc="first")
    if ref not in table or arm not in table:
        return np.array([]), np.array([])
    return table[ref].to_numpy(float), table[arm].to_numpy(float)


def difference(a: np.ndarray, b: np.ndarray, horizon: float | None, seed: int) -> Estimate:
    """median(b) - median(a) over paired replicates, with a paired percentile bootstrap."""
    if horizon is None:  # censoring only applies to times; other NaNs are missing values
        keep = ~(np.isnan(a) | np.isnan(b))
        a, b = a[keep], b[keep]
    n = len(a)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, bound="n/a")
    ea, eb = median_ci(a, horizon), median_ci(b, horizon)
    bound = {(True, True): "n/a", (True, False): "<", (False, True): ">"}.get(
        (ea.value_censored, eb.value_censored), "")
    fill = horizon if horizon is not None else np.nan
    a, b = np.where(np.isnan(a), fill, a), np.where(np.isnan(b), fill, b)
    idx = np.random.default_rng(seed).integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))
    diffs = np.median(b[idx], axis=1) - np.median(a[idx], axis=1)
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return Estimate(float(np.median(b) - np.median(a)), float(low), float(high), n,
                    bound=bound)


def outcomes_present(summaries: pd.DataFrame) -> list[str]:
    """The table's outcomes that the summaries hold, in table order."""
    return [o for o in TABLE_OUTCOMES if o in summaries.columns]


def arm_table(summaries: pd.DataFrame, arms: list[str], horizon: float) -> pd.DataFrame:
    """One row per (arm, outcome): n, share reached, median and its 95% interval."""
    rows = []
    for arm in arms:
        runs = summaries[summaries["arm"] == arm]
        for outcome in outcomes_present(summaries):
            h = horizon if outcome in TIME_OUTCOMES else None
            est = median_ci(runs[outcome].to_numpy(float), h)
            rows.append(_row("arm", arm, outcome, est))
    return pd.DataFrame(rows)


def difference_table(summaries: pd.DataFrame, arms: list[str], horizon: float,
                     seed: int = 0) -> pd.DataFrame:
    """Each arm after the first minus the first arm, per outcome, with 95% intervals."""
    rows = []
    for i, arm in enumerate(arms[1:], start=1):
        for j, outcome in enumerate(outcomes_present(summaries)):
            h = horizon if outcome in TIME_OUTCOMES else None
            a, b = _paired(summaries, outcome, arms[0], arm)
            est = difference(a, b, h, seed=seed + 1000 * i + j)
            rows.append(_row("difference", f"{arm} - {arms[0]}", outcome, est))
    return pd.DataFrame(rows)


def _row(kind: str, arm: str, outcome: str, est: Estimate) -> dict:
    return {"row": kind, "arm": arm, "outcome": outcome, "description": LABELS[outcome],
            "n": est.n, "reached": est.reached if outcome in TIME_OUTCOMES else math.nan,
            "estimate": est.value, "low": est.low, "high": est.high,
            "coverage": est.coverage,
            "estimate_censored": est.value_censored, "low_censored": est.low_censored,
            "high_censored": est.high_censored, "bound": est.bound}


def summary_table(summaries: pd.DataFrame, arms: list[str], horizon: float,
                  seed: int = 0) -> pd.DataFrame:
    """Per-arm rows then difference rows: the content of ``summary.csv``."""
    arms = [a for a in arms if (summaries["arm"] == a).any()]
    parts = [arm_table(summaries, arms, horizon),
             difference_table(summaries, arms, horizon, seed)]
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def _num(x: float, outcome: str, censored: bool, horizon: float) -> str:
    if math.isnan(x):
        return "n/a"
    if censored:
        return f">{horizon:g}"
    return f"{x:.0f}" if outcome in TIME_OUTCOMES else f"{x:.2f}"


def format_row(row: pd.Series, horizon: float) -> str:
    """'57 [49, 66]', '>156 [120, >156]' or, for a difference, '<-40 [-80, -12]'."""
    o = row["outcome"]
    if row["row"] == "difference":
        if row["bound"] == "n/a" or math.isnan(row["estimate"]):
            return "n/a (neither arm reached it)" if o in TIME_OUTCOMES else "n/a"
        sign = row["bound"] or ""
        est = f"{row['estimate']:+.0f}" if o in TIME_OUTCOMES else f"{row['estimate']:+.2f}"
        lo, hi = (f"{row[k]:+.0f}" if o in TIME_OUTCOMES else f"{row[k]:+.2f}"
                  for k in ("low", "high"))
        # A censored median makes the interval's far end a bound too.
        lo, hi = ("<" + lo, hi) if sign == "<" else (lo, ">" + hi) if sign == ">" else (lo, hi)
        return f"{sign}{est} [{lo}, {hi}]"
    est = _num(row["estimate"], o, row["estimate_censored"], horizon)
    if row["n"] == 0:
        return est
    lo = _num(row["low"], o, row["low_censored"], horizon)
    hi = _num(row["high"], o, row["high_censored"], horizon)
    text = f"{est} [{lo}, {hi}]"
    if o in TIME_OUTCOMES:
        text += f" ({row['reached']:.0%} reached)"
    return text
