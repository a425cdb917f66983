"""Paired arms: two arms of a scenario run on one seed (common random numbers), the
outcome being their difference, second arm minus first ("does co-creation win here?").

Times never reached count as each arm's horizon before the difference is taken
(sim.censor), so a point where one arm never gets there still has a difference. Each arm's
own value is kept beside it as ``<outcome>__<arm>`` (uncensored, as a single run gives it),
so a difference can be read back to which arm moved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.censor import censor

if TYPE_CHECKING:
    from sim.runs import RunOutput

#: Joins an outcome and an arm: ``time_to_50_full__co_creative`` is that arm's own value.
ARM = "__"


def split_arm(column: str) -> tuple[str, str]:
    """``(outcome, arm)`` of a column; the arm is '' for the difference itself."""
    outcome, _, arm = column.partition(ARM)
    return outcome, arm


def keeps(outcomes: list[str] | None, column: str) -> bool:
    """Whether a run keeps ``column`` when an experiment lists ``outcomes`` (None: all):
    a listed outcome keeps its difference and both arms' values."""
    return outcomes is None or split_arm(column)[0] in outcomes


def run_paired(arms: list[tuple[str, dict[str, Any]]], seed: int, every: int = 1
               ) -> RunOutput:
    """``[(first, params), (second, params)]`` on ``seed``: summary keys are the
    differences, plus ``<outcome>__<arm>`` for each arm's own value; the weekly record is
    the difference of the weekly outcomes."""
    from sim.runs import RunOutput, run_once

    (name_a, params_a), (name_b, params_b) = arms
    a, b = run_once(params_a, seed, every), run_once(params_b, seed, every)
    summary: dict[str, float] = {}
    for key, va in a.summary.items():
        ca = censor(key, va, params_a.get("weeks", 260))
        cb = censor(key, b.summary.get(key), params_b.get("weeks", 260))
        summary[key] = cb - ca
        summary[f"{key}{ARM}{name_a}"], summary[f"{key}{ARM}{name_b}"] = va, b.summary.get(key)
    ta = a.timeseries.set_index("week")
    tb = b.timeseries.set_index("week")
    diff = (tb - ta).dropna(how="all").reset_index()
    return RunOutput(diff, summary)
