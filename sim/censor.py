"""Censoring of per-run outcomes that were never reached within the run.

A time never reached (NaN) counts as the run's horizon: it happened later than the run
looked, so it ranks as the slowest rather than dropping out. A share among sites that
started, when none started, counts as 0. Used where runs are compared with data
(calibration) or with each other (paired arms).
"""

from __future__ import annotations

import math


def is_time(name: str) -> bool:
    """Outcomes measured in weeks (``time_to_*``, ``median_weeks_*``)."""
    return "weeks" in name or name.startswith("time_to")


def censor(name: str, value: float | None, horizon: float) -> float:
    """``value``, or the horizon for a missing time and 0 for a missing share."""
    if value is None or not math.isfinite(value):
        return float(horizon) if is_time(name) else 0.0
    return float(value)
