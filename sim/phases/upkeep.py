"""Upkeep: pressure fades, unpractised knowledge and fidelity decay, and the milestones of
the Stages of Implementation Completion are recorded (start-up, competence, and whether a
site still delivers two years after start-up: Saldana et al. 2023)."""

from __future__ import annotations

from sim.jit import kernel, unit
from sim.phases import bundles
from sim.state import ABANDONED, NEVER
from sim.world import World

#: Weeks after start-up at which the Stages of Implementation Completion literature asks
#: whether a site is still delivering (Saldana et al. 2023: sustainment two years on).
SUSTAINMENT_CHECK_WEEKS = 104


@unit
def keep_up(ag, a, week, full, delivers_from, retention, decay):
    """One agency's week-end upkeep (retention: P.pressure_retention, decay:
    P.learning_decay; full and delivers_from: stages of the stage model)."""
    stage, weeks_at_full, ever_full = ag.stage, ag.weeks_at_full, ag.ever_full
    first_full_week, startup_week, delivering_2y = (ag.first_full_week, ag.startup_week,
                                                    ag.delivering_2y)
    ag.pressure[a] *= retention
    ag.knowledge[a] *= decay
    ag.fidelity[a] *= decay
    at_full = stage[a] >= full
    weeks_at_full[a] = weeks_at_full[a] + 1 if at_full else 0
    if at_full:
        ever_full[a] = True
        if first_full_week[a] == NEVER:
            first_full_week[a] = week
    now = stage[a] >= delivers_from and stage[a] != ABANDONED
    if now and startup_week[a] == NEVER:
        startup_week[a] = week
    if startup_week[a] != NEVER and week - startup_week[a] == SUSTAINMENT_CHECK_WEEKS:
        delivering_2y[a] = 1 if now else 0


@unit
def upkeep(ag, week, full, delivers_from, retention, decay):
    for a in range(len(ag.stage)):
        keep_up(ag, a, week, full, delivers_from, retention, decay)


@kernel
def _upkeep(ag, week, full, delivers_from, retention, decay):
    upkeep(ag, week, full, delivers_from, retention, decay)


def apply(w: World) -> None:
    _upkeep(bundles.agencies(w.state), w.week, w.stages.full, w.stages.delivers_from,
           w.p.pressure_retention, w.p.learning_decay)
