"""One run of the model as a plain function: what scenario runs and sweeps hand to
worker processes (top-level, picklable, deterministic in its seed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class RunOutput:
    timeseries: pd.DataFrame
    summary: dict[str, float]


SEEDING = ("run seed = SeedSequence(seed, spawn_key=(point, replicate)).generate_state(1)"
           "[0]; a scenario run uses point 0 for every arm, so replicate r shares its seed "
           "across arms (common random numbers)")


def run_seed(base_seed: int, point: int, replicate: int) -> int:
    """The seed of one run, for scenario runs and sweeps alike: derived from the base seed
    and the run's identity only (numpy SeedSequence), so it does not depend on the order
    runs are scheduled or finish in, and parallel runs never share a random stream
    (NetLogo BehaviorSpace's clock-seeding pitfall)."""
    seq = np.random.SeedSequence(base_seed, spawn_key=(point, replicate))
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def kept_rows(week: np.ndarray, every: int) -> np.ndarray | slice:
    """The rows of every ``every``-th week and always the last; ``every=0`` only the
    last (a mask over ``week``, or every row)."""
    last = week == week.max()
    if every <= 0:
        return last
    if every == 1:
        return slice(None)
    return (week % every == 0) | last


def keep_weeks(frame: pd.DataFrame, every: int) -> pd.DataFrame:
    """Every ``every``-th week and always the last; ``every=0`` keeps only the last."""
    return frame[kept_rows(frame["week"].to_numpy(), every)]


def run_model(params: dict, seed: int, every: int = 1, family_views: bool = True,
              agents: dict[str, list[str]] | None = None):
    """``TrustModel(rng=seed, record_every=every, **params)`` run to the end. With the
    compiled engine as many weeks go into one compiled call as lie between events and
    recorded weeks (``sim.engines.compiled.run_to_end``): the numbers of ``model.run()``,
    without Mesa's per-week step (its step counter stays at 0). ``agents`` (agent type ->
    ``sim.reporters`` names) are recorded on the same weeks as the weekly outcomes."""
    from sim.model import TrustModel

    model = TrustModel(rng=seed, record_every=every, family_views=family_views, **params)
    if agents:
        from sim.reporters import attach

        attach(model, agents)
    if model.p.engine == "compiled":
        from sim.engines.compiled import run_to_end

        run_to_end(model)
    else:
        model.run()
    return model


def run_columns(params: dict, seed: int, every: int = 1
                ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """``run_once`` as arrays: the kept weeks' columns (``week`` first) and the summary.
    Batch runs hand arrays back (``sim.runner``), so they skip the DataFrame."""
    model = run_model(params, seed, every, family_views=False)
    return _kept(model.datacollector.columns(), every), model.summary()


def _kept(table: dict[str, np.ndarray], every: int,
          weeks: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The rows of ``table`` on the weeks ``every`` keeps (``kept_rows`` of ``weeks``, by
    default the table's own weeks, each once)."""
    rows = (kept_rows(table["week"], every) if weeks is None
            else np.isin(table["week"], weeks[kept_rows(weeks, every)]))
    if isinstance(rows, slice) or rows.all():  # the record kept only these weeks already
        return table
    return {k: v[rows] for k, v in table.items()}


def run_agent_columns(params: dict, seed: int, every: int, agents: dict[str, list[str]]
                      ) -> tuple[dict[str, np.ndarray], dict[str, float],
                                 dict[str, np.ndarray]]:
    """``run_columns`` plus the agent-level reporters ``agents`` asks for, as one long
    table of arrays (``WeeklyRecord.agent_columns``) of the same kept weeks."""
    model = run_model(params, seed, every, family_views=False, agents=agents)
    columns = model.datacollector.columns()
    table = _kept(model.datacollector.agent_columns(), every, columns["week"])
    return _kept(columns, every), model.summary(), table


def run_once(params: dict, seed: int, every: int = 1) -> RunOutput:
    """Run ``TrustModel(rng=seed, **params)`` to the end (``run_model``) and return its
    record of every ``every``-th week and the last (``every=0``: the last only). Only those
    weeks are measured in full (``record_every``); the summary is the same whichever are
    kept. The model is not returned, so families get no Mesa views (``family_views``)."""
    columns, summary = run_columns(params, seed, every)
    return RunOutput(pd.DataFrame(columns), summary)


def warm_up() -> None:
    """Compile every loop of the compiled engine once (or load it from the cache), with a
    small run through both its paths (stepped and run to the end), so that processes
    started afterwards load the cache rather than each compiling for half a minute
    (``make venv`` and the workers' forkserver call this)."""
    from sim.model import TrustModel

    params = dict(n_agencies=4, n_isps=1, n_families=20, weeks=3, engine="compiled",
                  timeline=[{"kind": "crisis", "onset": 1, "duration": 2}])
    TrustModel(rng=0, **params).run()
    run_once(params, 0, 0)
