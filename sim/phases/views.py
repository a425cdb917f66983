"""What the phases read of one unit this week, compiled: trust on a tie, an agency's
capacity and readiness under the crisis, and whether it delivers the practice. The
equations are those of ``sim.rules``."""

from __future__ import annotations

from numba.extending import register_jitable as jitable

from sim import rules as R
from sim.state import ABANDONED


@jitable
def tie_trust(t, i, weight):
    """Trust on tie ``i`` (rules.overall_trust: the mean over the three dimensions)."""
    total = 0.0
    for d in range(3):
        total += R.expected_trust(t.r[i, d], t.s[i, d], t.prior[i, d], weight)
    return total / 3.0


@jitable
def emergency_funding(P, crisis):
    """The share of a capacity gap emergency money fills (the resources explanation)."""
    return min(1.0, P.resources_capacity * (P.crisis_resources * crisis))


@jitable
def capacity_now(ag, a, P, crisis):
    """Staff time left this week (rules.effective_capacity)."""
    return R.effective_capacity(ag.capacity[a], crisis, P.crisis_capacity_strain,
                                emergency_funding(P, crisis))


@jitable
def readiness_now(ag, a, P, crisis):
    """Tension for change this week (rules.effective_readiness)."""
    return R.effective_readiness(ag.readiness[a], ag.champion[a], P.champion_readiness,
                                 P.crisis_necessity * crisis, P.necessity_urgency)


@jitable
def delivers(stage, delivers_from):
    """Whether an agency at ``stage`` delivers the practice."""
    return stage >= delivers_from and stage != ABANDONED
