"""The recipes of docs/extending.md, followed on the default (compiled) engine.

Each test does what a recipe says, with the code the recipe shows where it shows code
(taken from the document itself, so the two cannot drift), and checks that the change
reaches the compiled engine's results, not only the vectorized engine's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from sim.datacollector import TRACED
from sim.model import TrustModel
from sim.runs import run_model

DOC = Path(__file__).parents[1] / "docs" / "extending.md"
SMALL = dict(n_agencies=6, n_isps=2, n_families=120, weeks=40)


def block(first_line: str) -> str:
    """The python code block of docs/extending.md that starts with ``first_line``."""
    for code in re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S):
        if code.startswith(first_line):
            return code
    raise AssertionError(f"docs/extending.md has no code block starting {first_line!r}")


def test_a_per_run_outcome_over_all_weeks_sees_every_week_on_the_default_engine(
        monkeypatch):
    """'A new outcome': a value traced every week reaches the per-run summary on the
    compiled engine's fast path (whole stretches of weeks per call) as it does when the
    model is stepped week by week; it once came back empty there (0.0)."""
    # a value that moves every week (knowledge decays and grows): reach stays 0 for
    # long in a world this small
    monkeypatch.setitem(TRACED, "knowledge",
                        lambda model: float(model.state.knowledge.mean()))
    params = {**SMALL, "engine": "compiled"}
    fast = run_model(params, 3, 0)  # keeps the last week only: many weeks a call
    stepped = TrustModel(rng=3, record_every=0, **params).run()
    traced = fast.datacollector.trace["knowledge"]
    assert len(traced) == len(fast.datacollector.trace["week"]) == SMALL["weeks"] + 1
    assert traced == stepped.datacollector.trace["knowledge"]
    assert len(set(traced)) > SMALL["weeks"] // 2  # measured each week, not once a stretch


def test_the_new_outcome_recipe_names_the_traced_hook():
    assert "TRACED" in block("# in sim/datacollector.py, after TRACED")


_MECHANISM = """
import numpy as np
import sim.parameters as parameters

# the recipe's rows of sim/parameters.py, added before anything reads the table
for row in ({rows}):
    parameters.PARAMETERS[row.name] = row

from sim import schedule
from sim.engines import compiled, draws
from sim.model import TrustModel
from sim.schedule import Draw, Phase, _agencies
import supervision

# the recipe's Phase, before "stages"
new = ({phase})[0]
week = list(schedule.SCHEDULE)
week.insert([p.name for p in week].index("stages"), new)
for module in (schedule, draws, compiled):
    module.SCHEDULE = tuple(week)

# every agency's fidelity after one week in which all deliver the practice with full
# leadership support, so that a rate of 1 holds a session at every agency
def one_week(rate, engine):
    model = TrustModel(rng=5, engine=engine, supervision_rate=rate, **{small})
    model.state.stage[:] = model.world.stages.full
    model.state.leadership[:] = 1.0
    model.step()
    return model.state.fidelity.copy()

for engine in ("compiled", "vectorized"):
    print(engine, bool((one_week(1.0, engine) > one_week(0.0, engine)).all()))
"""


def test_a_new_weekly_mechanism_from_the_recipe_runs_on_the_default_engine(tmp_path):
    """'A new weekly mechanism': the supervision phase exactly as the recipe writes it (a
    file of sim/phases, a Phase, two parameters) raises fidelity on the compiled engine
    as on the vectorized one. Run in a fresh interpreter, since the parameter bundle is
    derived from the table when the phases are imported."""
    (tmp_path / "supervision.py").write_text(block("# sim/phases/supervision.py"))
    rows = textwrap.dedent(block("# sim/parameters.py, in _TABLE").split("\n", 1)[1])
    phase = textwrap.dedent(block("# sim/schedule.py, in SCHEDULE").split("\n", 1)[1])
    script = _MECHANISM.format(rows=rows.replace("_p(", "parameters._p("),
                               phase=phase.replace("supervision.", "supervision."),
                               small=repr(SMALL))
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600,
                         env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    # the week's draws before the new phase (which comes after turnover and support) are
    # the same with and without it, and after it only stages move and upkeep decays
    # fidelity by the same factor, so a session at every agency leaves every agency's
    # fidelity higher, with no tolerance needed; a phase that did not run leaves it equal
    assert out.stdout.split() == ["compiled", "True", "vectorized", "True"], out.stdout
