"""The reference engine: idiomatic Mesa, each agent carries out its own part of the week.

For each phase of the declared week (sim.schedule), the agents of the phase's actor type
act in random order (``AgentSet.shuffle_do``), each living through its own
micro-interactions one at a time and seeing the state its predecessors left.
"""

from __future__ import annotations

from sim.schedule import SCHEDULE


def step(w, model) -> None:
    from sim.agents import ACTOR_TYPES

    for phase in SCHEDULE:
        if not phase.when(w):
            continue
        if phase.actor == "world":
            phase.apply(w)
            continue
        prepared = phase.prepare(w) if phase.prepare else None
        agents = model.agents_by_type.get(ACTOR_TYPES[phase.actor])
        if agents is not None:
            agents.shuffle_do("act", phase, prepared)
