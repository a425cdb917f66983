"""What the phases read of one unit this week, compiled: trust on a tie, an agency's
capacity and readiness under the crisis, and whether it delivers the practice. The
equations are those of ``sim.rules``."""

from __future__ import annotations

import numpy as np

from sim import rules as R
from sim.jit import kernel, unit
from sim.phases import bundles
from sim.state import ABANDONED


@unit
def tie_trust(r, s, prior, i, weight):
    """Trust on tie ``i`` of a kind of ties with evidence ``r``, ``s`` and priors ``prior``
    (rules.overall_trust: the mean over the three dimensions)."""
    total = 0.0
    for d in range(3):
        total += R.expected_trust(r[i, d], s[i, d], prior[i, d], weight)
    return total / 3.0


@unit
def resources_reach(lever, P, crisis):
    """How far one lever of the resources explanation (emergency funding, waived rules,
    emergency partnerships: its weight ``lever``) reaches this week, at most all the
    way."""
    return min(1.0, lever * (P.crisis_resources * crisis))


@unit
def emergency_funding(P, crisis):
    """The share of a capacity gap emergency money fills."""
    return resources_reach(P.resources_capacity, P, crisis)


@unit
def capacity_now(ag, a, P, crisis):
    """Staff time left this week (rules.effective_capacity)."""
    capacity = ag.capacity
    return R.effective_capacity(capacity[a], crisis, P.crisis_capacity_strain,
                                emergency_funding(P, crisis))


@unit
def readiness_now(ag, a, P, crisis):
    """Tension for change this week (rules.effective_readiness)."""
    readiness, champion = ag.readiness, ag.champion
    return R.effective_readiness(readiness[a], champion[a], P.champion_readiness,
                                 P.crisis_necessity * crisis, P.necessity_urgency)


@unit
def delivers(stage, delivers_from):
    """Whether an agency at ``stage`` delivers the practice."""
    return stage >= delivers_from and stage != ABANDONED


@unit
def shared_purpose(P, crisis):
    """How far a crisis's shared purpose spares encounters from strain (the relationships
    explanation)."""
    return min(1.0, P.relationships_sensitivity * (P.crisis_relationships * crisis))


@unit
def agency_ability_now(ag, a, P, crisis):
    """Agency ``a``'s ability as partners and families see it this week, and its capacity
    (rules.agency_ability)."""
    knowledge = ag.knowledge
    cap = capacity_now(ag, a, P, crisis)
    return R.agency_ability(cap, knowledge[a], P.knowledge_ability_weight), cap


@unit
def receptivity(trust, exponent):
    """rules.receptivity without the pow call at exponent 1, where pow(x, 1) is x."""
    return trust if exponent == 1.0 else R.receptivity(trust, exponent)


# --- the same views over every agency, for outcomes (numpy) --------------------------------


def capacity_of(w) -> np.ndarray:
    """Every agency's staff time left this week (capacity_now)."""
    P = bundles.params(w.p)
    return R.effective_capacity(w.state.capacity, w.crisis, P.crisis_capacity_strain,
                                emergency_funding(P, w.crisis))


def delivering(w) -> np.ndarray:
    """Whether each agency delivers the practice (delivers)."""
    return _delivering(w.state.stage, w.stages.delivers_from)


@kernel
def _delivering(stage, delivers_from):
    out = np.empty(len(stage), np.bool_)
    for a in range(len(stage)):
        out[a] = delivers(stage[a], delivers_from)
    return out
