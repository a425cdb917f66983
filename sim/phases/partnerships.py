"""Partnerships: partner agencies work together. Each joint-work contact is evidence on
the partnership tie, more of them in a crisis under the relationships explanation
('collaborative decision-making is happening daily'); a contact goes well with the
partner's trustworthiness; good contacts with partners that deliver the practice teach
(peer learning, gated by trust: Metz 2020). Equations are in ``sim.rules``."""

from __future__ import annotations

import numpy as np

from sim import rules as R
from sim.catalogue import contact_strain, contact_tests
from sim.jit import kernel, unit
from sim.phases import bundles
from sim.phases.views import (
    agency_ability_now,
    delivers,
    receptivity,
    shared_purpose,
    tie_trust,
)
from sim.state import ABANDONED
from sim.world import World

#: What a joint-work contact tests (ability, benevolence, integrity) and how much the
#: partner's strain spoils it (sim/data/contacts.yaml).
TESTS = contact_tests()["partner_contact"]
STRAIN = contact_strain()["partner_contact"]


@unit
def contact_rate(P, crisis):
    """Mean joint-work contacts per partnership tie this week."""
    return P.partner_contact_rate * (1.0 + P.relationships_collaboration
                                     * (P.crisis_relationships * crisis))


@unit
def prepare(ag, P, crisis, delivers_from, tests, good, delivering, learned):
    """From the start of the phase: each agency's chance, as a partner, that a contact
    with it goes well (``good``), whether it delivers the practice (``delivering``), and
    nothing learned yet (``learned``)."""
    stage, benevolence, integrity = ag.stage, ag.benevolence, ag.integrity
    shared = shared_purpose(P, crisis)
    for b in range(len(stage)):
        ability, cap = agency_ability_now(ag, b, P, crisis)
        tw = tests[0] * ability + tests[1] * benevolence[b] + tests[2] * integrity[b]
        good[b] = R.experienced_well(tw, tests[1], 1.0, 1.0, 0.0, 1.0 - cap, STRAIN, shared)
        delivering[b] = delivers(stage[b], delivers_from)
        learned[b] = 0.0


@unit
def chances(ag, aa, i, rate, good):
    """Tie ``i``'s mean contacts this week (none once its truster abandoned) and the
    chance each goes well (its trustee's, from ``prepare``)."""
    stage, truster, trustee = ag.stage, aa.truster, aa.trustee
    live = stage[truster[i]] != ABANDONED
    return (rate if live else 0.0), good[trustee[i]]


@unit
def work_together(aa, i, contacts, good_contacts, P, delivering, learned, tests):
    """Evidence from ``contacts`` contacts on tie ``i``, ``good_contacts`` of them good;
    good contacts with a partner that delivers teach its truster, as much as it trusts
    the partner (``learned``, applied by ``learn``)."""
    truster, trustee, r, s, prior = aa.truster, aa.trustee, aa.r, aa.s, aa.prior
    bad = (contacts - good_contacts) * P.asymmetry
    for d in range(3):
        r[i, d] += good_contacts * tests[d]
        s[i, d] += bad * tests[d]
    if delivering[trustee[i]]:
        trust = tie_trust(r, s, prior, i, P.prior_strength)
        learned[truster[i]] += good_contacts * receptivity(trust, P.receptivity)


@unit
def learn(ag, learned, P):
    """Each agency closes part of its knowledge gap for what it learned from partners."""
    knowledge = ag.knowledge
    keep = R.log_gap_kept(P.peer_learning)
    for a in range(len(knowledge)):
        if learned[a] > 0:
            knowledge[a] = R.gap_closed(knowledge[a], learned[a] * keep)


# --- the phase as the vectorized and agents engines run it (sim.schedule) -----------------


@kernel
def _chances(ag, aa, rows, P, crisis, delivers_from, tests):
    n = len(ag.stage)
    good, delivering, learned = np.empty(n), np.empty(n, np.bool_), np.empty(n)
    prepare(ag, P, crisis, delivers_from, tests, good, delivering, learned)
    rate = contact_rate(P, crisis)
    rates, goods = np.empty(len(rows)), np.empty(len(rows))
    for k in range(len(rows)):
        rates[k], goods[k] = chances(ag, aa, rows[k], rate, good)
    return rates, goods, delivering


@kernel
def _apply(ag, aa, rows, counts, good, delivering, P, tests):
    learned = np.zeros(len(ag.stage))
    for k in range(len(rows)):
        work_together(aa, rows[k], counts[k], good[k], P, delivering, learned, tests)
    learn(ag, learned, P)


def chances_for(w: World, rows) -> dict[str, np.ndarray]:
    st = w.state
    aa = st.ties["agency_agency"]
    rows = np.arange(len(aa))[rows]
    rates, good, delivering = _chances(bundles.agencies(st), bundles.ties(aa), rows,
                                       bundles.params(w.p), w.crisis, w.stages.delivers_from,
                                       TESTS)
    return {"rates": rates, "good": good, "delivering": delivering, "rows": rows}


def apply(w: World, rows, drawn, chances_) -> None:
    st = w.state
    counts = np.asarray(drawn["counts"], float)
    _apply(bundles.agencies(st), bundles.ties(st.ties["agency_agency"]), chances_["rows"],
           counts, np.asarray(drawn["good"], float), chances_["delivering"],
           bundles.params(w.p), TESTS)
    w.micro_interactions += int(counts.sum())
