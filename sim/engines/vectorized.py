"""The default engine: the declared week (sim.schedule), every unit of a phase at once."""

from __future__ import annotations

from sim.engines.draws import run_units, run_week
from sim.world import World


def step(w: World, model=None) -> None:
    run_week(w, lambda phase, prepared: run_units(w, phase, phase.units(w, None), prepared,
                                                  one_by_one=False))
