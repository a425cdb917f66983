"""The compiled engine: the declared week (sim.schedule) as compiled loops (numba,
``sim.engines.loops``), driven from here.

The vectorized engine pays Python's call overhead on every small numpy operation (about a
thousand a simulated week on a county's arrays of 12 agencies), which is what bounds a
sweep. Here each phase is one compiled loop over its units that calls the phase's kernels
(``sim.phases``, the same ones every engine calls), draws each unit's outcomes as it
goes and applies them; ``_weeks`` runs the phases in the schedule's order
for as many weeks as run between events and recorded weeks, brokered introductions and
emergency partnerships included, and logs what the captions say. A run's numbers depend
on its seed only, never on which other runs share its process or task.

A schedule with a phase ``_weeks`` does not know runs phase by phase: each known phase's
loop called from Python (``COMPILED``), any other phase as in the vectorized engine. The
engine draws its randomness in a different order than the other two, so runs agree with
them in distribution (the docking test), not number by number.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from sim.datacollector import TRACED
from sim.engines.draws import run_units
from sim.engines.loops import (
    BROKEN_PROMISE,
    EMERGENCY,
    INTRODUCTION,
    SEEDS_PER_WEEK,
    _emergency,
    _families,
    _partnerships,
    _stages,
    _support,
    _turnover,
    _weeks,
)
from sim.events import apply_event
from sim.phases import bundles, forgetting, support, upkeep
from sim.phases import emergency_partnerships as emergency
from sim.phases import stages as implementation_stages
from sim.phases.bundles import Params, Ties
from sim.schedule import SCHEDULE
from sim.world import World

# --- phase by phase (a schedule with a phase _weeks does not know) ------------------------


def _params(w: World):
    return Params(*(float(getattr(w.p, name)) for name in Params._fields))


def turnover(w: World) -> None:
    st = w.state
    aa = st.ties["agency_agency"]
    _turnover(w.derived["stream"], bundles.agencies(st), _params(w), w.crisis,
              *(bundles.ties(st.ties[kind]) for kind in ("agency_isp", "isp_agency")),
              bundles.ties(aa), len(aa), bundles.ties(st.ties["family_agency"]))


def support_phase(w: World) -> None:
    st = w.state
    brokered = np.zeros(st.n_agencies, dtype=np.int64)
    broken = np.zeros(st.n_agencies, dtype=np.bool_)
    w.micro_interactions += _support(
        w.derived["stream"], bundles.agencies(st), bundles.isps(st),
        bundles.ties(st.ties["agency_isp"]), bundles.ties(st.ties["isp_agency"]), _params(w),
        w.crisis, bundles.catalogue(w.catalogue), st.week_hours, brokered, broken)
    support.captions_and_introductions(w, np.arange(st.n_agencies), brokered, broken)


def partnerships(w: World) -> None:
    st = w.state
    aa = st.ties["agency_agency"]
    w.micro_interactions += _partnerships(
        w.derived["stream"], bundles.agencies(st), bundles.ties(aa), len(aa), _params(w),
        w.crisis, w.stages.delivers_from)


def families_phase(w: World) -> None:
    st = w.state
    w.micro_interactions += _families(
        w.derived["stream"], bundles.agencies(st), bundles.families(st),
        bundles.ties(st.ties["family_agency"]), _params(w), w.crisis, w.stages.delivers_from)


def stages(w: World) -> None:
    st = w.state
    aa = st.ties["agency_agency"]
    old = st.stage.copy()
    _stages(w.derived["stream"], bundles.agencies(st), bundles.ties(st.ties["agency_isp"]),
            bundles.ties(aa), len(aa), _params(w), bundles.stages(w.stages), w.crisis)
    for a in np.flatnonzero(st.stage != old):
        implementation_stages.note_stage_change(w, int(a), int(old[a]), int(st.stage[a]))


def emergency_partnerships(w: World) -> None:
    st = w.state
    aa = st.ties["agency_agency"]
    before = len(aa)
    buffers, count, log, n_log = _emergency(w.derived["stream"], bundles.agencies(st),
                                            Ties(*aa.buffers()), before, _params(w), w.crisis)
    _adopt(w, buffers, before, count)
    w.defer(partial(_caption, w), log[:n_log])


COMPILED = {"forgetting": forgetting.apply, "turnover": turnover, "support": support_phase,
            "partnerships": partnerships, "emergency_partnerships": emergency_partnerships,
            "families": families_phase, "stages": stages, "upkeep": upkeep.apply}
"""The phases with a compiled loop, by name in sim.schedule.SCHEDULE."""



#: The phases _weeks runs, in this order: the declared week as it is now. A schedule with
#: another phase (or another order) runs phase by phase instead (``_phase_by_phase``).
WEEK = ("forgetting", "turnover", "support", "partnerships", "emergency_partnerships",
        "families", "stages", "upkeep")

def run_weeks(w: World, crisis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weeks ``w.week`` .. ``w.week + len(crisis) - 1`` in one compiled call (the first
    week's events already applied, none in the others); returns each week's share of
    agencies at full implementation and its ISP hours by type (rows), for the trace. The
    draws of each week are seeded from SEEDS_PER_WEEK raw draws of the run's generator, taken in
    week order, so running weeks one call at a time gives the same numbers."""
    st, tab = w.state, w.stages
    n = len(crisis)
    seeds = w.rng.bit_generator.random_raw(SEEDS_PER_WEEK * n)
    aa = st.ties["agency_agency"]
    before = len(aa)
    share, hours = np.empty(n), np.empty((n, len(st.week_hours)))
    out = _weeks(
        w.week, np.asarray(crisis, float), seeds,
        _params(w),
        bundles.agencies(st),
        bundles.isps(st),
        bundles.families(st),
        bundles.ties(st.ties["agency_isp"]), bundles.ties(st.ties["isp_agency"]),
        bundles.ties(st.ties["family_agency"]), Ties(*aa.buffers()), before,
        bundles.catalogue(w.catalogue), bundles.stages(tab),
        np.zeros((16, 5), np.int64), share, hours, st.week_hours)
    buffers, count, micro, log, n_log = out
    _adopt(w, buffers, before, count)
    w.micro_interactions += int(micro)
    w.defer(partial(_caption, w), log[:n_log])
    return share, hours


def _adopt(w: World, buffers: Ties, before: int, count: int) -> None:
    """Take the partnership ties' buffers back from compiled code that added ties."""
    st = w.state
    aa = st.ties["agency_agency"]
    if count != before:
        aa.adopt(tuple(buffers), count)
        for row in range(before, count):
            st.partners[(int(aa.truster[row]), int(aa.trustee[row]))] = row


def _caption(w: World, log: np.ndarray) -> None:
    """Word what _weeks logged with the phases' captions, each in its own week (one
    caption per row, as ``World.defer`` asks)."""
    week = w.week
    for at, kind, a, b, c in log.tolist():
        w.week = at
        if kind == BROKEN_PROMISE:
            support.note_broken_promise(w, a, b)
        elif kind == INTRODUCTION:
            support.note_introduction(w, a, b, c)
        elif kind == EMERGENCY:
            emergency.note_emergency(w, a, b)
        else:
            implementation_stages.note_stage_change(w, a, b, c)
    w.week = week


def step(w: World, model=None) -> None:
    """The declared week, in one compiled call (``_weeks``), or phase by phase when the
    schedule holds a phase ``_weeks`` does not know.

    Every draw of a week comes from one xoshiro256++ stream (``sim.engines.streams``),
    seeded each week from the run's generator: a week's draws depend only on the run's
    seed and its past."""
    if tuple(phase.name for phase in SCHEDULE) == WEEK:
        run_weeks(w, np.array([w.crisis]))
    else:
        _phase_by_phase(w)


def run_to_end(model) -> None:
    """``model.run()`` for the compiled engine without Mesa's per-week step: as many weeks
    per compiled call as run between events and recorded weeks. Each week's events,
    crisis intensity and draws are those ``TrustModel.step`` gives it, so the numbers are
    the same (tests/engines/test_compiled.py); Mesa's step counter does not move, so this
    serves runs whose model is not stepped further (``sim.runs.run_model``)."""
    w, record, timeline = model.world, model.datacollector, model.timeline
    if tuple(phase.name for phase in SCHEDULE) != WEEK:
        model.run()
        return
    while w.week < model.p.weeks:
        w.week += 1
        w.crisis = timeline.crisis_intensity(w.week)
        for event in timeline.due(w.week):
            apply_event(model, event)
        # up to the next recorded week, the last week, or the week before an event; one
        # week at a time when outcomes are traced every week (datacollector.TRACED)
        last = min(record.next_kept(model, w.week),
                   timeline.next_due(w.week, model.p.weeks + 1) - 1, model.p.weeks)
        if TRACED:
            last = w.week
        weeks = range(w.week, last + 1)
        crisis = timeline.crisis_over(weeks)
        w.state.week_hours = np.zeros(len(w.catalogue.names))
        share, hours = run_weeks(w, crisis)
        record.add_trace(list(weeks), share, hours)
        record.trace_more(model)
        w.week, w.crisis = last, float(crisis[-1])
        if record.keeps(model):
            record.record(model)
    model.running = False


def _phase_by_phase(w: World) -> None:
    """Each phase's loop called from Python, the vectorized phase where there is none."""
    w.derived["stream"] = w.rng.bit_generator.random_raw(SEEDS_PER_WEEK) | np.uint64(1)
    for phase in SCHEDULE:
        if not phase.when(w):
            continue
        if phase.name in COMPILED:
            COMPILED[phase.name](w)
        elif phase.actor == "world":
            phase.apply(w)
        else:
            run_units(w, phase, phase.units(w, None),
                      phase.prepare(w) if phase.prepare else None, one_by_one=False)
