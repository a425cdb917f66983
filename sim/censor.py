"""One rule for outcomes never reached within a run (docs/results.md, "Never reached").

A time never reached (NaN: ``time_to_*``, ``median_weeks_*``) is *censored at the
horizon*: it happened later than the run looked, so it counts as the horizon and ranks
as the slowest rather than dropping out. Groups of runs are summarised by the median and
its distribution-free order-statistic interval (exact under any distribution), with the
share of runs that reached the time reported beside; a median or bound that falls on a
censored run is a lower bound (">H"). Scenario tables, sweep point summaries, heatmaps,
SALib analyses, discovery, ``sim.ema`` and ``medians`` all use ``median_ci``. Other
outcomes are not censored: a NaN there is a missing value and is left out. Calibration
compares site statistics with data through ``censor`` (a missing share counts as 0
there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy.stats import binom

LEVEL = 0.95
#: The columns of every censoring-aware summary (scenario summary.csv, point_summary.csv).
COLUMNS = ("n", "reached", "estimate", "low", "high", "coverage", "estimate_censored",
           "low_censored", "high_censored")


def is_time(name: str) -> bool:
    """Outcomes measured in weeks (``time_to_*``, ``median_weeks_*``)."""
    return "weeks" in name or name.startswith("time_to")


def censor(name: str, value: float | None, horizon: float) -> float:
    """``value``, or the horizon for a missing time and 0 for a missing share."""
    if value is None or not math.isfinite(value):
        return float(horizon) if is_time(name) else 0.0
    return float(value)


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

    def row(self, time: bool) -> dict[str, float | int | bool]:
        """The ``COLUMNS`` of this estimate; ``reached`` only for a time outcome."""
        return {"n": self.n, "reached": self.reached if time else math.nan,
                "estimate": self.value, "low": self.low, "high": self.high,
                "coverage": self.coverage, "estimate_censored": self.value_censored,
                "low_censored": self.low_censored, "high_censored": self.high_censored}


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


def estimate(values: np.ndarray, outcome: str, horizon: float) -> Estimate:
    """The rule for one outcome: censored at ``horizon`` if it is a time, else NaN left out."""
    return median_ci(values, horizon if is_time(outcome) else None)


def medians(runs: pd.DataFrame, by: str | Sequence[str], outcomes: str | Sequence[str],
            horizon: float | pd.Series) -> pd.DataFrame:
    """Per group of runs and outcome: n, share reached, median, 95% interval, censoring.

    ``runs`` has one row per run; ``horizon`` is the runs' length in weeks (a number, or
    one value per run when it differs). Use this instead of ``groupby(...).mean()``, which
    drops runs that never reached a time and so reports the fast runs only.
    """
    keys = [by] if isinstance(by, str) else list(by)
    names = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    h = horizon if isinstance(horizon, pd.Series) else pd.Series(float(horizon),
                                                                 index=runs.index)
    times = [is_time(o) for o in names]
    values = runs[names].to_numpy(float)
    horizons = h.to_numpy(float)
    rows = []
    for key, where in runs.groupby(keys, sort=True, dropna=False).indices.items():
        ident = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        block, end = values[where], float(horizons[where].max())
        for j, o in enumerate(names):
            est = median_ci(block[:, j], end if times[j] else None)
            rows.append({**ident, "outcome": o, **est.row(times[j])})
    return pd.DataFrame(rows, columns=[*keys, "outcome", *COLUMNS])


def censored_share(values: pd.Series) -> float:
    """Share of runs that never reached a time (NaN), for titles and notes."""
    return float(values.isna().mean()) if len(values) else math.nan
