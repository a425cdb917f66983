"""Three engines, one week schedule (sim.schedule). The agents and vectorized engines
run the schedule's phases (``sim.processes``) and differ only in how the random outcomes
are drawn, one agent and one micro-interaction at a time, or all at once; the compiled
engine (the default) runs the same week as numba loops (``sim.engines.loops``), which
restate those phases and are held to them by the docking test."""

from sim.engines import agents, compiled, vectorized

ENGINES = {"vectorized": vectorized.step, "agents": agents.step, "compiled": compiled.step}
