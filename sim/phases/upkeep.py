"""Upkeep: pressure fades, unpractised knowledge and fidelity decay, and the milestones of
the Stages of Implementation Completion are recorded (start-up, competence, and whether a
site still delivers two years after start-up: Saldana et al. 2023)."""

from __future__ import annotations

from numba.extending import register_jitable as jitable

from sim.jit import kernel
from sim.phases import bundles
from sim.state import ABANDONED, NEVER
from sim.world import World

#: Weeks after start-up at which the Stages of Implementation Completion literature asks
#: whether a site is still delivering (Saldana et al. 2023: sustainment two years on).
SUSTAINMENT_CHECK_WEEKS = 104


@jitable
def keep_up(ag, a, week, full, delivers_from, retention, decay):
    """One agency's week-end upkeep (retention: P.pressure_retention, decay:
    P.learning_decay; full and delivers_from: stages of the stage model)."""
    ag.pressure[a] *= retention
    ag.knowledge[a] *= decay
    ag.fidelity[a] *= decay
    at_full = ag.stage[a] >= full
    ag.weeks_at_full[a] = ag.weeks_at_full[a] + 1 if at_full else 0
    if at_full:
        ag.ever_full[a] = True
        if ag.first_full_week[a] == NEVER:
            ag.first_full_week[a] = week
    now = ag.stage[a] >= delivers_from and ag.stage[a] != ABANDONED
    if now and ag.startup_week[a] == NEVER:
        ag.startup_week[a] = week
    if ag.startup_week[a] != NEVER and week - ag.startup_week[a] == SUSTAINMENT_CHECK_WEEKS:
        ag.delivering_2y[a] = 1 if now else 0


@kernel
def upkeep(ag, week, full, delivers_from, retention, decay):
    for a in range(len(ag.stage)):
        keep_up(ag, a, week, full, delivers_from, retention, decay)


def apply(w: World) -> None:
    upkeep(bundles.agencies(w.state), w.week, w.stages.full, w.stages.delivers_from,
           w.p.pressure_retention, w.p.learning_decay)
