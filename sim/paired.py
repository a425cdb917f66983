"""Paired arms: two arms of a scenario run on one seed (common random numbers), the
outcome being their difference, second arm minus first ("does co-creation win here?").

Times never reached count as each arm's horizon before the difference is taken
(sim.censor), so a point where one arm never gets there still has a difference.
"""

from __future__ import annotations

from typing import Any

from sim.censor import censor
from sim.runs import RunOutput, run_once


def run_paired(arms: list[tuple[str, dict[str, Any]]], seed: int, every: int = 1
               ) -> RunOutput:
    """``[(first, params), (second, params)]`` on ``seed``: summary keys are the
    differences, plus ``<outcome>__<arm>`` for each arm's own value; the weekly record is
    the difference of the weekly outcomes."""
    (name_a, params_a), (name_b, params_b) = arms
    a, b = run_once(params_a, seed, every), run_once(params_b, seed, every)
    summary: dict[str, float] = {}
    for key, va in a.summary.items():
        ca = censor(key, va, params_a.get("weeks", 260))
        cb = censor(key, b.summary.get(key), params_b.get("weeks", 260))
        summary[key] = cb - ca
        summary[f"{key}__{name_a}"], summary[f"{key}__{name_b}"] = va, b.summary.get(key)
    ta = a.timeseries.set_index("week")
    tb = b.timeseries.set_index("week")
    diff = (tb - ta).dropna(how="all").reset_index()
    return RunOutput(diff, summary)
