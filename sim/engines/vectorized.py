"""The default engine: the declared week (sim.schedule), every unit of a phase at once."""

from __future__ import annotations

from sim.engines.draws import run_units
from sim.schedule import SCHEDULE
from sim.world import World


def step(w: World, model=None) -> None:
    for phase in SCHEDULE:
        if not phase.when(w):
            continue
        if phase.actor == "world":
            phase.apply(w)
            continue
        prepared = phase.prepare(w) if phase.prepare else None
        run_units(w, phase, phase.units(w, None), prepared, one_by_one=False)
