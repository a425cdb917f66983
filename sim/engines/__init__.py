"""Two engines, one week schedule (sim.schedule): they differ only in how the random
outcomes are drawn, one agent and one micro-interaction at a time, or all at once."""

from sim.engines import agents, compiled, vectorized

ENGINES = {"vectorized": vectorized.step, "agents": agents.step, "compiled": compiled.step}
