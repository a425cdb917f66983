"""Families: cases open and close; families meet their agency and engage or disengage.

A family's trust in its agency comes from its own encounters, its group's prior and, by
word of mouth, its community's trust (Metz 2024, 'The Role of Implementation Practice in
Advancing Equity'); a contact goes well with the agency's service quality, less so where
power differentials meet a low-trust group, unless families have voice. Families engage
with a delivered practice through agencies they trust. Equations are in ``sim.rules``.
"""

from __future__ import annotations

import numpy as np

from sim import rules as R
from sim.catalogue import contact_tests
from sim.jit import kernel, unit
from sim.phases import bundles
from sim.phases.views import capacity_now, delivers, tie_trust
from sim.world import World

#: What a contact with an agency tests (ability, benevolence, integrity; catalogue).
TESTS = contact_tests()["family_contact"]


# --- the start of the phase: what every family sees ---------------------------------------


@unit
def service_quality(ag, a, P, crisis, tests):
    """Agency ``a``'s service as families test it: its ability, benevolence and
    integrity weighed by what a contact tests."""
    knowledge, benevolence, integrity = ag.knowledge, ag.benevolence, ag.integrity
    ability = R.agency_ability(capacity_now(ag, a, P, crisis), knowledge[a],
                               P.knowledge_ability_weight)
    return tests[0] * ability + tests[1] * benevolence[a] + tests[2] * integrity[a]


@unit
def prepare(ag, fam, fa, P, crisis, tests, quality, community, count):
    """Each agency's service quality (into ``quality``, one per agency) and each (agency,
    group) community's mean trust in its agency (into ``community``, agency by group;
    zeros without word of mouth), from the start of the phase; ``count`` is room for one
    count per community."""
    family_agency, family_group = fam.family_agency, fam.family_group
    r, s, prior = fa.r, fa.s, fa.prior
    n_agencies, n_groups = len(ag.stage), len(fam.group_prior)
    for a in range(n_agencies):
        quality[a] = service_quality(ag, a, P, crisis, tests)
    community[:] = 0.0
    if P.word_of_mouth > 0:
        count[:] = 0.0
        for f in range(len(family_agency)):
            key = family_agency[f] * n_groups + family_group[f]
            community[key] += tie_trust(r, s, prior, f, P.prior_strength)
            count[key] += 1
        for key in range(len(count)):
            if count[key] > 0:
                community[key] /= count[key]


# --- one family's chances ------------------------------------------------------------------


@unit
def family_trust(r, s, prior, f, community_trust, P):
    """Family ``f``'s trust in its agency (its tie's evidence ``r``, ``s`` and ``prior``);
    word of mouth pulls its prior towards its community's trust."""
    wom = P.word_of_mouth
    trust = 0.0
    for d in range(3):
        m = prior[f, d]
        if wom > 0:
            m = (1 - wom) * m + wom * community_trust
        trust += R.expected_trust(r[f, d], s[f, d], m, P.prior_strength)
    return trust / 3.0


@unit
def engagement_chances(ag, fam, fa, f, community, P, delivers_from):
    """Whether the practice serves family ``f`` (its agency delivers it and its case
    calls for it), and its chances to engage (if not engaged) and to disengage (if
    engaged). A family the practice does not serve is not engaged."""
    stage, voice, eligible = ag.stage, ag.voice, fam.eligible
    family_agency, family_group, n_groups = fam.family_agency, fam.family_group, len(
        fam.group_prior)
    r, s, prior = fa.r, fa.s, fa.prior
    a = family_agency[f]
    served = delivers(stage[a], delivers_from) and eligible[f]
    engage_, disengage = 0.0, 1.0
    if served:
        trust = family_trust(r, s, prior, f, community[a * n_groups + family_group[f]], P)
        engage_ = R.engagement_probability(P.family_engagement_rate, trust, voice[a])
        disengage = R.disengagement_probability(P.family_disengagement_rate, trust,
                                                P.family_lapse_rate)
    return served, engage_, disengage


@unit
def contact_chance(P, crisis):
    """Each family's chance of a contact with its agency this week (more in a crisis)."""
    return min(1.0, P.family_contact_rate * (1.0 + P.crisis_family_need * crisis))


@unit
def experience_chance(ag, fam, f, quality, P):
    """The chance family ``f``'s contact goes well (rules.family_experience_probability)."""
    family_agency, family_group, group_prior, voice = (fam.family_agency, fam.family_group,
                                                       fam.group_prior, ag.voice)
    a = family_agency[f]
    return R.family_experience_probability(quality[a], group_prior[family_group[f]],
                                           voice[a], P.voice_effect, P.power_gap)


@unit
def closing_chance(P):
    """Each case's chance of closing this week."""
    return R.case_closure_probability(P.family_case_weeks)


# --- one family's outcomes -----------------------------------------------------------------


@unit
def engage(fam, f, engages, disengages):
    """An engaged family stays unless it disengages; another engages if it draws so."""
    engaged = fam.engaged
    engaged[f] = not disengages if engaged[f] else engages


@unit
def meet(fa, f, good, P, tests):
    """Evidence from one contact that went well (``good``) or not."""
    bad = 0.0 if good else P.asymmetry
    plus = 1.0 if good else 0.0
    r, s = fa.r, fa.s
    for d in range(3):
        r[f, d] += plus * tests[d]
        s[f, d] += bad * tests[d]


@unit
def open_case(fam, fa, f, n_agencies, u_agency, u_eligible, P):
    """A closed case makes room for a new family of the same group: one of the
    ``n_agencies`` agencies drawn at random (``u_agency``), fresh trust from the group's
    prior, not engaged, and the practice indicated for it with chance family_eligibility
    (``u_eligible``)."""
    new = int(u_agency * n_agencies)
    r, s, trustee = fa.r, fa.s, fa.trustee
    family_agency, engaged, eligible = fam.family_agency, fam.engaged, fam.eligible
    family_agency[f] = new
    trustee[f] = new
    for d in range(3):
        r[f, d] = 0.0
        s[f, d] = 0.0
    engaged[f] = False
    eligible[f] = u_eligible < P.family_eligibility


# --- the phase as the vectorized and agents engines run it (sim.schedule) -----------------


@kernel
def _prepare(ag, fam, fa, P, crisis, tests):
    size = len(ag.stage) * len(fam.group_prior)
    quality, community = np.empty(len(ag.stage)), np.empty(size)
    prepare(ag, fam, fa, P, crisis, tests, quality, community, np.empty(size))
    return quality, community


@kernel
def _chances(ag, fam, fa, rows, quality, community, P, delivers_from):
    out = np.empty((3, len(rows)))  # good, engage, disengage
    for i in range(len(rows)):
        f = rows[i]
        _, out[1, i], out[2, i] = engagement_chances(ag, fam, fa, f, community, P,
                                                     delivers_from)
        out[0, i] = experience_chance(ag, fam, f, quality, P)
    return out


@kernel
def _apply(fam, fa, rows, n_agencies, close, contact, good, engages, disengages, u_agency,
           u_eligible, P, tests):
    met = 0
    for i in range(len(rows)):
        f = rows[i]
        if contact[i]:
            meet(fa, f, good[i], P, tests)
            met += 1
        engage(fam, f, engages[i], disengages[i])
        if close[i]:
            open_case(fam, fa, f, n_agencies, u_agency[i], u_eligible[i], P)
    return met


def prepare_for(w: World):
    st = w.state
    return _prepare(bundles.agencies(st), bundles.families(st),
                    bundles.ties(st.ties["family_agency"]), bundles.params(w.p), w.crisis,
                    TESTS)


def chances_for(w: World, f, prepared) -> dict[str, np.ndarray]:
    """Chances of the case closing, contact, a good experience, engaging and disengaging
    this week, for the families ``f``."""
    st = w.state
    rows = np.arange(st.n_families)[f]
    P = bundles.params(w.p)
    good, engage_, disengage = _chances(
        bundles.agencies(st), bundles.families(st), bundles.ties(st.ties["family_agency"]),
        rows, *prepared, P, w.stages.delivers_from)
    n = len(rows)
    return {"close": np.full(n, closing_chance(P)),
            "contact": np.full(n, contact_chance(P, w.crisis)), "good": good,
            "engage": engage_, "disengage": disengage}


def apply(w: World, f, drawn) -> None:
    st = w.state
    rows = np.arange(st.n_families)[f]
    w.micro_interactions += _apply(
        bundles.families(st), bundles.ties(st.ties["family_agency"]), rows, st.n_agencies,
        *(np.asarray(drawn[k], bool) for k in ("close", "contact", "good", "engage",
                                               "disengage")),
        np.asarray(drawn["new_agency"], float), np.asarray(drawn["new_eligible"], float),
        bundles.params(w.p), TESTS)
