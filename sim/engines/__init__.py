"""Two engines, one set of rules (sim.processes, sim.rules): they differ only in how the
random outcomes are drawn, one agent at a time or all at once."""

from sim.engines import agents, vectorized

ENGINES = {"vectorized": vectorized.step, "agents": agents.step}
