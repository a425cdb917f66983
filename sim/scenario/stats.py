"""Per-arm medians with exact 95% intervals, and between-arm differences, from replicates.

Why medians: times to full implementation are skewed and often censored (never reached
within the run). Per-arm rows follow the one rule of ``sim.censor``: a time never reached
counts as the horizon, so a median or interval bound that falls on such a run is shown as
">H" rather than dropped, with the share of runs that reached it beside. A difference
between arms is the difference of medians with a paired percentile bootstrap over
replicates, paired because replicate i of every arm shares one seed (common random
numbers).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.censor import LEVEL, Estimate, estimate, is_time, median_ci, median_ranks

__all__ = ["LEVEL", "Estimate", "arm_table", "difference_table", "format_row", "median_ci",
           "median_ranks", "summary_table"]

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
    "final_sustainability": "share of agencies that reached full implementation still "
                            "there at the end",
}
TABLE_OUTCOMES = tuple(LABELS)
#: The printed table's row labels.
SHORT = {
    "share_reached_startup": "share that reached start-up",
    "time_to_50_startup": "weeks to 50% at start-up",
    "time_to_first_full": "weeks to first agency at full",
    "time_to_50_full": "weeks to 50% of agencies at full",
    "time_to_90_full": "weeks to 90% of agencies at full",
    "final_share_at_full": "final share at full implementation",
    "trust_agency_isp_final": "trust: agencies in ISPs",
    "trust_isp_agency_final": "trust: ISPs in agencies",
    "trust_agency_agency_final": "trust: agencies in partners",
    "trust_family_agency_final": "trust: families in agencies",
    "final_reach": "reach (share of families)",
    "reach_gap": "reach gap between groups",
    "final_sustainability": "sustainability (reached full, still there)",
}
BOOTSTRAP_RESAMPLES = 2000


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
            est = estimate(runs[outcome].to_numpy(float), outcome, horizon)
            rows.append(_row("arm", arm, outcome, est))
    return pd.DataFrame(rows)


def difference_table(summaries: pd.DataFrame, arms: list[str], horizon: float,
                     seed: int = 0) -> pd.DataFrame:
    """Each arm after the first minus the first arm, per outcome, with 95% intervals."""
    rows = []
    for i, arm in enumerate(arms[1:], start=1):
        for j, outcome in enumerate(outcomes_present(summaries)):
            h = horizon if is_time(outcome) else None
            a, b = _paired(summaries, outcome, arms[0], arm)
            est = difference(a, b, h, seed=seed + 1000 * i + j)
            rows.append(_row("difference", f"{arm} - {arms[0]}", outcome, est))
    return pd.DataFrame(rows)


def _row(kind: str, arm: str, outcome: str, est: Estimate) -> dict:
    return {"row": kind, "arm": arm, "outcome": outcome, "description": LABELS[outcome],
            **est.row(is_time(outcome)), "bound": est.bound}


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
    return f"{x:.0f}" if is_time(outcome) else f"{x:.2f}"


def format_row(row: pd.Series, horizon: float) -> str:
    """'57 [49, 66]', '>156 [120, >156]' or, for a difference, '<-40 [-80, -12]'."""
    o = row["outcome"]
    if row["row"] == "difference":
        if row["bound"] == "n/a" or math.isnan(row["estimate"]):
            return "n/a (neither arm reached it)" if is_time(o) else "n/a"
        sign = row["bound"] or ""
        est = f"{row['estimate']:+.0f}" if is_time(o) else f"{row['estimate']:+.2f}"
        lo, hi = (f"{row[k]:+.0f}" if is_time(o) else f"{row[k]:+.2f}"
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
    if is_time(o):
        text += f" ({row['reached']:.0%} reached)"
    return text


def printed_table(long: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """What ``trustsim run`` prints: one row per outcome (its short label), one column per
    arm and per difference, each cell formatted by ``format_row``."""
    if long.empty:
        return pd.DataFrame()
    columns = list(dict.fromkeys(long["arm"]))
    rows = {}
    for outcome, group in long.groupby("outcome", sort=False):
        cells = group.set_index("arm")
        rows[SHORT.get(outcome, outcome)] = [format_row(cells.loc[c], horizon)
                                             if c in cells.index else "" for c in columns]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    table.index.name = "outcome"
    return table
