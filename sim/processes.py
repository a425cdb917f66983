"""What happens in a week, one submodel at a time (docs/ODD.md, section 7).

Each submodel comes in two halves: ``*_chances`` says how likely each outcome is, and
``apply_*`` carries out outcomes already drawn. The engines only differ in how they draw:
the agents engine one agent and one micro-interaction at a time, the vectorized engine for
every agent at once. ``idx`` is therefore one agency (or family, or tie row) or an array
of them; every function here works for both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import rules
from sim.catalogue import EFFECTS
from sim.state import ABANDONED

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import TrustModel

# Families' contacts test benevolence and ability most (ODD 7.6).
FAMILY_TESTS = np.array([0.4, 0.4, 0.2])
# Partnership contacts test benevolence and integrity (003: shared goals, keeping agreements).
PARTNER_TESTS = np.array([0.2, 0.4, 0.4])
# Share of the gap to full knowledge a good contact with an adopted partner closes.
PEER_LEARNING = 0.02


# --- shared views of the state ----------------------------------------------------------


def capacity_now(m: TrustModel, idx=slice(None)):
    return rules.effective_capacity(m.state.capacity[idx], m.crisis_intensity,
                                    m.p.crisis_capacity_strain)


def readiness_now(m: TrustModel, idx=slice(None)):
    st = m.state
    return rules.effective_readiness(st.readiness[idx], st.champion[idx], m.crisis_intensity,
                                     m.p.crisis_urgency)


def agency_trustworthiness(m: TrustModel, idx=slice(None)):
    """(ability, benevolence, integrity) of agencies as partners and service providers."""
    st = m.state
    ability = np.sqrt(capacity_now(m, idx)) * (0.7 + 0.3 * st.knowledge[idx])
    return np.stack((ability, st.benevolence[idx], st.integrity[idx]), axis=-1)


def support_trust(m: TrustModel, idx=slice(None)):
    """An agency's trust in its ISP (the agency -> ISP tie is row ``idx``)."""
    return m.state.ties["agency_isp"].trust(m.p.prior_strength, idx)


def delivering(m: TrustModel, idx=slice(None)):
    stage = m.state.stage[idx]
    return (stage >= m.delivers_from) & (stage != ABANDONED)


def adopted(m: TrustModel, idx=slice(None)):
    return m.state.stage[idx] >= m.full_stage


# --- forgetting ---------------------------------------------------------------------------


def forget(m: TrustModel, kind: str, rows=slice(None)) -> None:
    """Evidence on the truster's ties fades each week (003: constant attention)."""
    ties = m.state.ties[kind]
    ties.r[rows], ties.s[rows] = rules.forget(ties.r[rows], ties.s[rows], m.p.forgetting)


# --- staff turnover -----------------------------------------------------------------------


def turnover_chance(m: TrustModel, idx=slice(None)):
    return rules.weekly_turnover(m.p.turnover_per_year, m.crisis_intensity, m.p.crisis_turnover)


def apply_turnover(m: TrustModel, idx, leavers) -> None:
    """Departing staff take knowledge, part of fidelity, maybe the champion, and their
    share of the evidence on every tie the agency is part of (003: person-bound trust)."""
    st = m.state
    share = np.zeros(st.n_agencies)
    share[idx] = np.asarray(leavers, float) / st.staff[idx]
    if not share.any():
        return
    st.knowledge[idx] *= 1.0 - share[idx]
    st.fidelity[idx] *= 1.0 - 0.5 * share[idx]
    wipe_agency_evidence(m, share * m.p.person_bound_share)


def wipe_agency_evidence(m: TrustModel, share: np.ndarray) -> None:
    """Remove ``share[a]`` of the evidence on every tie touching agency ``a``."""
    ties = m.state.ties
    for kind, ends in (("agency_isp", ("truster",)), ("isp_agency", ("trustee",)),
                       ("agency_agency", ("truster", "trustee")),
                       ("family_agency", ("trustee",))):
        t = ties[kind]
        if not len(t):
            continue
        keep = np.ones(len(t))
        for end in ends:
            keep *= 1.0 - share[getattr(t, end)]
        t.r, t.s = rules.wipe(t.r, t.s, 1.0 - keep)


def champion_leaves(m: TrustModel, idx, u) -> None:
    """A champion leaves with the same chance as any staff member that week."""
    st = m.state
    gone = (st.champion[idx] > 0) & (u < turnover_chance(m))
    st.champion[idx] = np.where(gone, 0.0, st.champion[idx])


# --- implementation support: ISP <-> agency micro-interactions -----------------------------


def support_rates(m: TrustModel, idx):
    """Expected micro-interactions of each type this week between agency and its ISP.

    An ISP spreads its hours over its caseload and over types by its strategy; a crisis
    raises how often they are in touch (000: 'communication at a high frequency').
    """
    st, cat = m.state, m.catalogue
    isp = st.isp_of[idx]
    served = (isp >= 0) & (st.stage[idx] != ABANDONED)
    isp_safe = np.maximum(isp, 0)
    active = served & st.isp_active[isp_safe]
    load = np.maximum(m.caseload()[isp_safe], 1)
    hours = st.isp_hours[isp_safe] / load
    shares = cat.hour_shares(st.isp_mix[isp_safe])
    contact = 1.0 + m.p.crisis_contact * m.crisis_intensity
    return np.where(np.asarray(active)[..., None], hours[..., None] * shares / cat.hours
                    * contact, 0.0)


def support_chances(m: TrustModel, idx):
    """Chance each type goes well (agency's view of the ISP), and for reciprocal types the
    chance the agency keeps its side (ISP's view of the agency)."""
    st, cat, p = m.state, m.catalogue, m.p
    isp = np.maximum(st.isp_of[idx], 0)
    tw = st.isp_trustworthiness[isp]
    trust = support_trust(m, idx)
    strain = 1.0 - capacity_now(m, idx)
    shared = p.crisis_shared_purpose * m.crisis_intensity
    good = rules.success_probability(
        np.asarray(tw)[..., None, :], cat.tests, cat.quality, np.asarray(trust)[..., None],
        cat.needs_trust, np.asarray(strain)[..., None], cat.strain_sensitivity, shared)
    rec = cat.reciprocal_types
    kept = np.zeros(np.shape(good))
    kept[..., rec] = rules.success_probability(
        np.asarray(agency_trustworthiness(m, idx))[..., None, :], cat.tests[rec], 1.0, 1.0, 0.0,
        np.asarray(strain)[..., None], cat.strain_sensitivity[rec], shared)
    return good, kept


def apply_support(m: TrustModel, idx, counts, good, kept) -> None:
    """Evidence, repair, effects on the agency, pressure, brokering and hours."""
    st, cat, p = m.state, m.catalogue, m.p
    counts, good, kept = (np.asarray(x, float) for x in (counts, good, kept))
    bad = counts - good
    to_isp = st.ties["agency_isp"]
    dr, ds = rules.evidence_increment(good, bad, cat.tests, cat.evidence, p.asymmetry,
                                      cat.negative_weight)
    to_isp.r[idx] += dr
    to_isp.s[idx] += ds
    n_repair = (good * cat.repair).sum(axis=-1)
    repair_share = 1.0 - np.power(1.0 - np.array([p.repair_ability, p.repair_ability,
                                                  p.repair_integrity]),
                                  np.asarray(n_repair)[..., None])
    to_isp.s[idx] = rules.repair(to_isp.s[idx], repair_share)
    rec = counts * cat.reciprocal
    dr, ds = rules.evidence_increment(kept, rec - kept, cat.tests, cat.evidence, p.asymmetry,
                                      cat.negative_weight)
    st.ties["isp_agency"].r[idx] += dr
    st.ties["isp_agency"].s[idx] += ds
    _apply_effects(m, idx, good)
    st.pressure[idx] += (counts * cat.pressure).sum(axis=-1)
    st.week_hours += np.atleast_2d(counts * cat.hours).sum(axis=0)
    m.micro_interactions += int(counts.sum())
    for a, n in _brokered(idx, (good * cat.broker).sum(axis=-1)):
        for _ in range(int(n)):
            broker(m, a)


def _apply_effects(m: TrustModel, idx, good) -> None:
    """Each good interaction closes part of the gap to 1 of what it works on, gated by the
    agency's trust in its ISP (rules.receptivity): x <- 1 - (1 - x) prod (1 - g r)^n."""
    st, cat = m.state, m.catalogue
    recept = np.asarray(rules.receptivity(support_trust(m, idx), m.p.receptivity))
    log_keep = np.log1p(-np.minimum(cat.effects * recept[..., None, None], 0.999999))
    total = np.einsum("...k,...ke->...e", good, log_keep)
    keep = np.exp(total)
    for e, name in enumerate(EFFECTS):
        x = getattr(st, name)
        x[idx] = 1.0 - (1.0 - x[idx]) * keep[..., e]


def _brokered(idx, n):
    """(agency, number of good brokering introductions) for agencies that had any."""
    n = np.atleast_1d(n)
    ids = np.atleast_1d(np.arange(len(n)) if isinstance(idx, slice) else idx)
    return [(int(ids[i]), n[i]) for i in np.flatnonzero(n)]


def broker(m: TrustModel, a: int) -> None:
    """The ISP introduces agency ``a`` to an agency it is not yet tied to (preferably in
    the same caseload); both new ties borrow trust through the ISP (Josang discounting)."""
    st = m.state
    isp = st.isp_of[a]
    others = [b for b in range(st.n_agencies) if b != a and (a, b) not in st.partners]
    if not others:
        return
    same = [b for b in others if st.isp_of[b] == isp]
    pool = same or others
    b = pool[int(m.rng.integers(len(pool)))]
    w = m.p.prior_strength
    to_isp, isp_to = st.ties["agency_isp"], st.ties["isp_agency"]
    for x, y in ((a, b), (b, a)):
        r, s = rules.discounted_evidence(to_isp.r[x], to_isp.s[x], isp_to.r[y], isp_to.s[y], w)
        st.add_partnership(x, y, m.partner_prior(x, y), r, s)
    m.note(f"ISP {isp + 1} introduced {st.name[a]} to {st.name[b]}: a new partnership "
           "built on borrowed trust")


def add_contact_evidence(m: TrustModel, ties, rows, contacts, good, tests) -> np.ndarray:
    """Evidence from ``contacts`` encounters of which ``good`` went well (7.1); returns
    ``good`` as floats."""
    contacts, good = np.asarray(contacts, float), np.asarray(good, float)
    dr, ds = rules.evidence_increment(good, contacts - good, tests, 1.0, m.p.asymmetry, 1.0)
    ties.r[rows] += dr
    ties.s[rows] += ds
    m.micro_interactions += int(contacts.sum())
    return good


# --- partnerships: agency <-> agency joint work ------------------------------------------


def partner_rates(m: TrustModel, rows):
    t = m.state.ties["agency_agency"]
    live = (m.state.stage[t.truster[rows]] != ABANDONED)
    rate = m.p.partner_contact_rate * (1.0 + m.p.crisis_collaboration * m.crisis_intensity)
    return np.where(live, rate, 0.0)


def partner_chances(m: TrustModel, rows):
    t = m.state.ties["agency_agency"]
    strain = 1.0 - capacity_now(m)
    shared = m.p.crisis_shared_purpose * m.crisis_intensity
    per_agency = rules.success_probability(agency_trustworthiness(m), PARTNER_TESTS, 1.0, 1.0,
                                           0.0, strain, 0.5, shared)
    return per_agency[t.trustee[rows]]


def apply_partnership(m: TrustModel, rows, counts, good) -> None:
    """Evidence on the partnership tie; good contacts with partners that have adopted
    teach the truster (002: peer learning)."""
    st, p = m.state, m.p
    t = st.ties["agency_agency"]
    good = add_contact_evidence(m, t, rows, counts, good, PARTNER_TESTS)
    truster = np.atleast_1d(t.truster[rows])
    learned = np.atleast_1d(good * adopted(m, t.trustee[rows]))
    recept = rules.receptivity(t.trust(p.prior_strength, rows), p.receptivity)
    log_keep = np.atleast_1d(learned * np.log1p(-np.minimum(PEER_LEARNING * recept, 0.999)))
    total = np.bincount(truster, weights=log_keep, minlength=st.n_agencies)
    st.knowledge[:] = 1.0 - (1.0 - st.knowledge) * np.exp(total)


# --- families --------------------------------------------------------------------------


def community_trust(m: TrustModel) -> np.ndarray:
    """Mean trust of each (agency, group) community in its agency: word of mouth."""
    st = m.state
    t = st.ties["family_agency"]
    n_groups = len(st.group_prior)
    key = st.family_agency * n_groups + st.family_group
    trust = t.trust(m.p.prior_strength)
    size = st.n_agencies * n_groups
    total = np.bincount(key, weights=trust, minlength=size)
    count = np.bincount(key, minlength=size)
    return np.divide(total, count, out=np.zeros(size), where=count > 0)


def family_chances(m: TrustModel, f, community):
    """Chances of contact, a good experience, engaging and disengaging this week."""
    st, p = m.state, m.p
    a = st.family_agency[f]
    prior = st.group_prior[st.family_group[f]]
    contact = min(1.0, p.family_contact_rate * (1.0 + p.crisis_family_need * m.crisis_intensity))
    quality = (agency_trustworthiness(m) @ FAMILY_TESTS)[a]  # per agency, then per family
    voice = st.voice[a]
    good = rules.family_experience_probability(quality, prior, voice, p.voice_effect)
    trust = family_trust(m, f, community)
    serves = delivering(m)[a]
    engage = np.where(serves, rules.engagement_probability(p.family_engagement_rate, trust,
                                                          voice), 0.0)
    disengage = np.where(serves, rules.disengagement_probability(
        p.family_disengagement_rate, trust), 1.0)
    return np.broadcast_to(contact, np.shape(good)), good, engage, disengage


def family_trust(m: TrustModel, f, community):
    """A family's trust in its agency; word of mouth pulls its prior to its community's."""
    st, p = m.state, m.p
    t = st.ties["family_agency"]
    own_prior = t.prior[f]
    if p.word_of_mouth > 0:
        key = st.family_agency[f] * len(st.group_prior) + st.family_group[f]
        mixed = (1 - p.word_of_mouth) * own_prior + p.word_of_mouth * np.asarray(
            community[key])[..., None]
        return rules.overall_trust(t.r[f], t.s[f], mixed, p.prior_strength)
    return rules.overall_trust(t.r[f], t.s[f], own_prior, p.prior_strength)


def apply_family(m: TrustModel, f, contact, good, engage, disengage) -> None:
    st = m.state
    add_contact_evidence(m, st.ties["family_agency"], f, contact, good, FAMILY_TESTS)
    st.engaged[f] = np.where(st.engaged[f], ~np.asarray(disengage, bool),
                             np.asarray(engage, bool))


# --- implementation stages -----------------------------------------------------------------


def peer_share(m: TrustModel) -> np.ndarray:
    """Trust-weighted share of each agency's partners at full implementation (at the start
    of the week, so every agency sees the same snapshot)."""
    st = m.state
    t = st.ties["agency_agency"]
    n = st.n_agencies
    if not len(t):
        return np.zeros(n)
    weight = t.trust(m.p.prior_strength) * adopted(m, t.trustee)
    total = np.bincount(t.truster, weights=weight, minlength=n)
    degree = np.bincount(t.truster, minlength=n)
    return np.divide(total, degree, out=np.zeros(n), where=degree > 0)


def stage_chances(m: TrustModel, idx, peers):
    """Weekly chances to advance, fall back and abandon, and the mandate's share of the
    push to advance (for shallow adoption)."""
    st, p = m.state, m.p
    stage = np.asarray(st.stage[idx])
    live = stage != ABANDONED
    s = np.where(live, stage, 0)
    trust = support_trust(m, idx)
    drivers = {
        "readiness": readiness_now(m, idx), "capacity": capacity_now(m, idx),
        "fit": st.fit[idx], "knowledge": st.knowledge[idx], "fidelity": st.fidelity[idx],
        "leadership": st.leadership[idx], "trust": trust,
    }
    drive = np.ones(np.shape(stage))
    for d, exponents in m.stage_exponents.items():  # drivers are in [0, 1] by construction
        drive = drive * np.power(drivers[d], exponents[s])
    innovation = p.innovation_rate * m.stage_rate[s] * drive
    peer = p.peer_influence * m.stage_peer[s] * np.asarray(peers)
    mandate = p.mandate_weight * st.pressure[idx] * (m.stage_rate[s] > 0)
    advance = rules.hazard(innovation + peer + mandate)
    mandate_share = np.divide(mandate, innovation + peer + mandate,
                              out=np.zeros(np.shape(mandate)), where=(innovation + peer
                                                                      + mandate) > 0)
    sustain = np.cbrt(st.fit[idx] * st.fidelity[idx] * trust)
    fall = rules.hazard(rules.fallback_rate(p.fallback_rate, sustain, st.depth[idx],
                                            st.pressure[idx], p.shallow_fallback))
    fall = np.where(s >= m.fallback_from, fall, 0.0)
    fall = np.where(s == m.last_stage, 0.5 * fall, fall)
    quit_ = rules.hazard(rules.abandon_rate(p.abandon_rate, drivers["readiness"], trust))
    quit_ = np.where(m.stage_abandon[s], quit_, 0.0)
    return (np.where(live, advance, 0.0), np.where(live, fall, 0.0),
            np.where(live, quit_, 0.0), mandate_share)


def apply_stage(m: TrustModel, idx, u, chances) -> None:
    """One uniform draw per agency decides: advance, fall back, abandon, or stay."""
    st = m.state
    advance, fall, quit_, mandate_share = chances
    total = advance + fall + quit_
    scale = np.where(total > 1, 1.0 / np.maximum(total, 1e-12), 1.0)
    advance, fall, quit_ = advance * scale, fall * scale, quit_ * scale
    stage = np.asarray(st.stage[idx])
    up = u < advance
    down = ~up & (u < advance + fall)
    gone = ~up & ~down & (u < advance + fall + quit_)
    n = st.advances[idx]
    st.depth[idx] = np.where(up, (st.depth[idx] * n + (1 - mandate_share)) / (n + 1),
                             st.depth[idx])
    st.advances[idx] = n + up
    new = np.where(up, np.minimum(stage + 1, m.full_stage), stage)
    fallen = np.where(stage == m.last_stage, m.full_stage - 1, stage - 1)
    new = np.where(down, np.maximum(fallen, 0), new)
    new = np.where(gone, ABANDONED, new)
    st.stage[idx] = new
    st.weeks_at_full[idx] = np.where(new >= m.full_stage, st.weeks_at_full[idx], 0)
    ids = np.atleast_1d(np.arange(st.n_agencies)[idx])
    old, new = np.atleast_1d(stage), np.atleast_1d(new)
    for i in np.flatnonzero(new != old):
        m.note_stage_change(int(ids[i]), int(old[i]), int(new[i]))


# --- upkeep ----------------------------------------------------------------------------------


def upkeep(m: TrustModel, idx=slice(None)) -> None:
    """Pressure fades, unpractised knowledge and fidelity decay, time at full counts up and
    long enough at full is sustainment."""
    st, p = m.state, m.p
    st.pressure[idx] *= p.pressure_retention
    st.knowledge[idx] *= p.learning_decay
    st.fidelity[idx] *= p.learning_decay
    at_full = st.stage[idx] >= m.full_stage
    st.weeks_at_full[idx] = np.where(at_full, st.weeks_at_full[idx] + 1, 0)
    st.ever_full[idx] = st.ever_full[idx] | at_full
    if m.last_stage > m.full_stage:
        promote = at_full & (st.weeks_at_full[idx] >= p.sustainment_weeks)
        st.stage[idx] = np.where(promote, m.last_stage, st.stage[idx])
