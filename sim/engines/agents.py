"""The reference engine: idiomatic Mesa, each agent carries out its own part of the week.

For each phase of the declared week (sim.schedule), the agents of the phase's actor type
act in random order (``AgentSet.shuffle_do``), each living through its own
micro-interactions one at a time and seeing the state its predecessors left.
"""

from __future__ import annotations

from sim.engines.draws import run_week


def step(w, model) -> None:
    from sim.agents import ACTOR_TYPES

    def act(phase, prepared):
        agents = model.agents_by_type.get(ACTOR_TYPES[phase.actor])
        if agents is not None:
            agents.shuffle_do("act", phase, prepared)

    run_week(w, act)
