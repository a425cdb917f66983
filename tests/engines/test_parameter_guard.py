"""Every parameter a phase of the week reads moves the compiled engine's results.

Every phase is written once (``sim.phases``), but the compiled engine's week loop hands
each phase its parameters; a parameter that a phase reads and that does not reach it on
the default engine would silently do nothing (a new share of ISP hours lost to travel
once cut hours from 14,523 to 6,066 on the vectorized engine and left the compiled
engine at 15,382, when the compiled engine was a second copy of the phases). Which
parameters the phases read is taken from their source (every ``p.<name>`` or
``P.<name>`` in the phases, the schedule and the World they read); each is moved well
inside its range, and the compiled engine's final state must change. The comparison is
of the whole final state (every array, every tie's evidence) under fixed seeds, so it
needs no tolerance: a parameter that reaches the phases changes some float of it in at
least one of the seeds, one that does not leaves every bit alone in all of them.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

from sim import phases, schedule, world
from sim.model import TrustModel
from sim.parameters import PARAMETERS
from tests.engines.test_docking import CONFIG

# The docking world shortened: every mechanism and every event still occurs (the last
# event is in week 52). A chance moved by a parameter need not flip a draw in one seed
# (an agency earns sustainment in about one run in three here), so a parameter counts as
# read when the final state of any of ten seeds changes; most change in the first.
WORLD = {**CONFIG, "weeks": 56}
SEEDS = range(10)


def phase_modules() -> list:
    """The modules the week's phases are written in: every file of sim.phases, the
    schedule and the World."""
    found = [importlib.import_module(f"sim.phases.{m.name}")
             for m in pkgutil.iter_modules(phases.__path__)]
    return [schedule, world, *found]


def read_by_phases() -> set[str]:
    """Parameters read as ``<something>.p.<name>``, ``p.<name>`` or (in compiled kernels,
    from the parameter bundle) ``P.<name>`` in the phases' modules."""
    names = set()
    for module in phase_modules():
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if (isinstance(node, ast.Attribute) and node.attr in PARAMETERS
                    and (isinstance(node.value, ast.Name) and node.value.id in ("p", "P")
                         or isinstance(node.value, ast.Attribute) and node.value.attr == "p")):
                names.add(node.attr)
    return names


READ = sorted(read_by_phases())


def moves(name: str) -> list[float | int]:
    """Values well away from the default on either side, inside the range: half-way to
    each bound, by at most half the default's size (at least 0.5) where the range is wide;
    counts by at least one. Both sides, since a rule can saturate on one (readiness
    clipped at 1 during a crisis ignores more urgency, not less)."""
    spec = PARAMETERS[name]
    default = WORLD.get(name, spec.default)
    out = []
    for bound in (spec.low, spec.high):
        if bound is None or bound == default:
            continue
        step = min(abs(bound - default) / 2, max(abs(default), 1.0) / 2)
        value = default + np.sign(bound - default) * step
        if spec.kind == "int":
            value = int(default + np.sign(bound - default) * max(1, round(step)))
        out.append(value if spec.kind == "int" else float(value))
    return out


def fingerprint(model: TrustModel) -> str:
    """A digest of every array of the final state, ties included."""
    digest = hashlib.sha256()
    for key, value in sorted(vars(model.state).items()):
        if isinstance(value, np.ndarray):
            digest.update(key.encode() + np.ascontiguousarray(value).tobytes())
    for kind, ties in sorted(model.state.ties.items()):
        for column in ("truster", "trustee", "r", "s", "s_open", "prior"):
            digest.update(kind.encode() + np.ascontiguousarray(getattr(ties, column)).tobytes())
    return digest.hexdigest()


def _final(seed: int, **change) -> str:
    return fingerprint(TrustModel(rng=seed, **{**WORLD, "engine": "compiled", **change}).run())


@pytest.fixture(scope="module")
def baseline() -> dict[int, str]:
    return {seed: _final(seed) for seed in SEEDS}


@pytest.mark.parametrize("name", READ)
def test_every_parameter_a_phase_reads_moves_the_compiled_engine(name, baseline):
    values = moves(name)
    assert any(_final(seed, **{name: v}) != baseline[seed]
               for v in values for seed in SEEDS), (
        f"{name} at {values} changes nothing on the compiled engine though a phase reads "
        "it: carry it over to its loop in sim/engines/loops.py")


def test_the_scan_finds_the_phases_parameters():
    """The guard would pass vacuously if the scan found nothing: parameters read in the
    phases' functions (forgetting), through the World (crisis_relationships) and in the
    schedule's conditions are all found, and parameters read only when agencies are set
    up are not."""
    assert {"forgetting", "crisis_relationships", "voice_effect"} <= set(READ)
    assert "champion_share" not in READ
    assert len(READ) > 40
