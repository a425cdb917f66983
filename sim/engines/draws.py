"""Running the declared week and drawing a phase's outcomes (sim.schedule.Draw), for all
units at once or one by one."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.schedule import SCHEDULE, Draw, Phase
from sim.world import World


def _source(d: Draw, key: str, chances: dict, drawn: dict):
    name = getattr(d, key)
    return drawn[name] if name in drawn else chances[name]


def draw_all(rng: np.random.Generator, phase: Phase, chances: dict) -> dict:
    """Every unit's outcomes at once (numpy's vectorised generators)."""
    drawn: dict = {}
    for d in phase.draws:
        if d.kind == "uniform":
            shape = np.shape(next(iter(chances.values())))[:1]
            drawn[d.name] = rng.random(shape)
        elif d.kind == "bernoulli":
            p = _source(d, "p", chances, drawn)
            drawn[d.name] = rng.random(np.shape(p)) < p
        elif d.kind == "poisson":
            drawn[d.name] = rng.poisson(_source(d, "p", chances, drawn))
        else:
            drawn[d.name] = rng.binomial(_source(d, "n", chances, drawn),
                                         _source(d, "p", chances, drawn))
    return drawn


def draw_one_by_one(rng: np.random.Generator, phase: Phase, chances: dict) -> dict:
    """One unit's outcomes, each micro-interaction (each trial of a binomial) drawn on
    its own, as an agent living through them would."""
    drawn: dict = {}
    for d in phase.draws:
        if d.kind == "uniform":
            shape = np.shape(next(iter(chances.values())))[:1]
            drawn[d.name] = np.array([rng.random() for _ in range(int(np.prod(shape)))])
        elif d.kind == "bernoulli":
            p = np.asarray(_source(d, "p", chances, drawn), float)
            drawn[d.name] = np.array([rng.random() < x for x in p.ravel()]).reshape(p.shape)
        elif d.kind == "poisson":
            rate = np.asarray(_source(d, "p", chances, drawn), float)
            drawn[d.name] = np.array([rng.poisson(x) for x in rate.ravel()]).reshape(rate.shape)
        else:
            n = np.asarray(_source(d, "n", chances, drawn))
            p = np.broadcast_to(np.asarray(_source(d, "p", chances, drawn), float), n.shape)
            hits = [sum(rng.random() < q for _ in range(int(k)))
                    for k, q in zip(n.ravel(), p.ravel(), strict=True)]
            drawn[d.name] = np.array(hits, dtype=int).reshape(n.shape)
    return drawn


def run_week(w: World, act: Callable[[Phase, object], None]) -> None:
    """The declared week (sim.schedule.SCHEDULE): world phases act on everything; for the
    others ``act(phase, prepared)`` is how the engine lets its units act."""
    for phase in SCHEDULE:
        if not phase.when(w):
            continue
        if phase.actor == "world":
            phase.apply(w)
        else:
            act(phase, phase.prepare(w) if phase.prepare else None)


def run_units(w: World, phase: Phase, rows, prepared, one_by_one: bool) -> None:
    """Chances, draws and apply for ``rows`` of one phase."""
    chances = phase.chances(w, rows, prepared)
    if not np.size(next(iter(chances.values()))):
        return
    drawn = (draw_one_by_one if one_by_one else draw_all)(w.rng, phase, chances)
    if phase.apply_needs_chances:
        phase.apply(w, rows, drawn, chances)
    else:
        phase.apply(w, rows, drawn)
