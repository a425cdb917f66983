"""Many runs in one call: the function a runner hands a task of several runs to.

``run_many`` runs each (parameters, seed) pair and returns, in order, its ``RunOutput``
or a ``RunFailure``: a run that raises is reported as failed and the others are kept
(failure isolation per run, so resume can redo just the failed ones). A run's numbers
depend only on its own parameters and seed (each run draws from its own generator, seeded
from its seed alone), so they are byte-identical whether it runs alone, inside a task of
50 or on any number of workers.

Today the runs of a task are run one after another with the vectorized engine (or the
engine their parameters name); no lockstep array engine is built yet (docs/scaling.md
gives the measured reasons and the limit a compiled loop reaches).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

from sim.runs import RunOutput


@dataclass
class RunFailure:
    """A run that raised: its seed, the one-line error and the traceback."""

    seed: int
    error: str
    traceback: str


def run_many(params_list: list[dict[str, Any]], seeds: list[int], every: int = 1
             ) -> list[RunOutput | RunFailure]:
    """``run_once(params_list[i], seeds[i], every)``'s result for every i (computed by
    ``run_recorded``); a run that raises becomes a ``RunFailure`` in its place, never
    stopping the others."""
    if len(params_list) != len(seeds):
        raise ValueError(f"run_many: {len(params_list)} parameter sets but {len(seeds)} seeds; "
                         "expected one seed per run")
    return [_run_isolated(params, seed, every) for params, seed in
            zip(params_list, seeds, strict=True)]


def run_recorded(params: dict[str, Any], seed: int, every: int = 1) -> RunOutput:
    """``run_once``'s result, measuring only the weeks it keeps (``record_every``): the
    same numbers, without the weekly measurement of weeks that are thrown away."""
    from sim.model import TrustModel

    model = TrustModel(rng=seed, record_every=every, **params).run()
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    return RunOutput(frame, model.summary())


def _run_isolated(params: dict[str, Any], seed: int, every: int) -> RunOutput | RunFailure:
    try:
        return run_recorded(params, seed, every)
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return RunFailure(seed, " ".join(f"{type(exc).__name__}: {exc}".split()),
                          traceback.format_exc(limit=20))
