"""Three engines, one week schedule (sim.schedule), every phase written once
(``sim.phases``). The engines differ only in how they draw the random outcomes and in
which order units act: one agent and one micro-interaction at a time (agents), every
unit at once (vectorized), or unit by unit from one compiled stream a week (compiled,
the default: ``sim.engines.loops``); the docking test holds them to the same
distributions."""

from sim.engines import agents, compiled, vectorized

ENGINES = {"vectorized": vectorized.step, "agents": agents.step, "compiled": compiled.step}
