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


def spawn_seeds(base_seed: int, n: int) -> list[int]:
    """``n`` independent seeds from one base seed (numpy SeedSequence), so parallel runs
    never share a random stream (NetLogo BehaviorSpace's clock-seeding pitfall)."""
    children = np.random.SeedSequence(base_seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def keep_weeks(frame: pd.DataFrame, every: int) -> pd.DataFrame:
    """Every ``every``-th week and always the last; ``every=0`` keeps only the last."""
    last = frame["week"] == frame["week"].max()
    if every <= 0:
        return frame[last]
    if every == 1:
        return frame
    return frame[(frame["week"] % every == 0) | last]


def run_once(params: dict, seed: int, every: int = 1) -> RunOutput:
    """Build ``TrustModel(rng=seed, **params)``, run it to the end, return its record."""
    from sim.model import TrustModel

    model = TrustModel(rng=seed, **params).run()
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    return RunOutput(keep_weeks(frame, every).reset_index(drop=True), model.summary())
