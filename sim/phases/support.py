"""Implementation support: ISPs spend their hours on micro-interactions with the agencies
they serve.

An ISP shares its hours over its caseload and over the interaction types of the
catalogue by its strategy (co-creative or top-down, sim/data/strategies.yaml); a crisis
may move hours to short, frequent contacts (the relationships explanation) and add a
documented surge (``isp_surge``), never free labour. Each micro-interaction goes well
with the ISP's trustworthiness as the type tests it, the legitimacy of what is asked
(earned by trust or lent by mandate authority) and the agency's strain (Metz 2020;
Mayer, Davis & Schoorman 1995). Outcomes are evidence on both ties (violations weigh
more, Slovic 1993), open violations that a frank conversation can repair (Kim et al.
2004), mandate pressure, and effects on what the agency knows and can do, gated by its
trust in the ISP. Equations are in ``sim.rules``.
"""

from __future__ import annotations

import math

import numpy as np

from sim import rules as R
from sim.catalogue import EFFECTS
from sim.jit import kernel, unit
from sim.phases import bundles, partnering
from sim.phases.views import agency_ability_now, receptivity, shared_purpose, tie_trust
from sim.state import ABANDONED
from sim.world import World

if EFFECTS != ("knowledge", "fit", "fidelity", "readiness", "voice"):  # pragma: no cover
    raise ImportError("sim.phases.support: settle lists the effects in an older order")
FIT = EFFECTS.index("fit")


# --- the start of the phase ----------------------------------------------------------------


@unit
def prepare(ag, isps, P, crisis, cat, caseload, means, nones):
    """Each ISP's caseload (agencies it serves that have not abandoned) and its mean count
    of each interaction type with each agency it serves this week (``means``; ``nones``
    the chance of none): its hours, with a crisis surge, shared over its caseload and
    spent by its strategy's mix, part of it moved to the crisis allocation in a crisis."""
    hours, mix = isps.isp_hours, isps.isp_mix
    co, td, crisis_shares = cat.co_creative, cat.top_down, cat.crisis
    group_size, type_hours = cat.group_size, cat.hours
    count_caseload(ag, caseload)
    surge = P.isp_surge * crisis
    shift = min(1.0, P.relationships_contact * (P.crisis_relationships * crisis))
    for j in range(len(hours)):
        spent = hours[j] * (1.0 + surge) / max(caseload[j], 1)
        for k in range(len(type_hours)):
            normal = mix[j] * co[k] + (1.0 - mix[j]) * td[k]
            share = (1.0 - shift) * normal + shift * crisis_shares[k]
            means[j, k] = spent * share * (group_size[k] / type_hours[k])
            nones[j, k] = math.exp(-means[j, k])


@unit
def count_caseload(ag, caseload):
    """How many agencies (not abandoned) each ISP supports, into ``caseload``."""
    isp_of, stage = ag.isp_of, ag.stage
    caseload[:] = 0
    for a in range(len(isp_of)):
        if isp_of[a] >= 0 and stage[a] != ABANDONED:
            caseload[isp_of[a]] += 1


# --- one served agency ---------------------------------------------------------------------


@unit
def served_by(ag, isps, a):
    """The ISP that serves agency ``a`` this week, or -1 (none, inactive, or abandoned)."""
    isp_of, stage, active = ag.isp_of, ag.stage, isps.isp_active
    j = isp_of[a]
    if j < 0 or stage[a] == ABANDONED or not active[j]:
        return -1
    return j


@unit
def reading(ag, ai, a, P, crisis):
    """How agency ``a`` meets its ISP this week: the legitimacy of what is asked (its trust
    in the ISP, or mandate authority), its strain, and its own ability."""
    trust = tie_trust(ai.r, ai.s, ai.prior, a, P.prior_strength)
    ability, cap = agency_ability_now(ag, a, P, crisis)
    return R.legitimacy(trust, P.mandate_authority), 1.0 - cap, ability


@unit
def good_chance(isps, j, k, legitimacy, strain, cat, P, crisis):
    """The chance an interaction of type ``k`` with ISP ``j`` goes well for the agency."""
    tests, tw = cat.tests, isps.isp_trustworthiness
    seen = tests[k, 0] * tw[j, 0] + tests[k, 1] * tw[j, 1] + tests[k, 2] * tw[j, 2]
    return R.experienced_well(seen, tests[k, 1], cat.quality[k], legitimacy,
                              cat.legitimacy_needed[k], strain, cat.strain_sensitivity[k],
                              shared_purpose(P, crisis))


@unit
def kept_chance(ag, a, k, ability, strain, cat, P, crisis):
    """For a reciprocal type, the chance the agency keeps its side (what the ISP learns
    of it); 0 for the others."""
    tests, benevolence, integrity = cat.tests, ag.benevolence, ag.integrity
    if not cat.reciprocal[k]:
        return 0.0
    seen = tests[k, 0] * ability + tests[k, 1] * benevolence[a] + tests[k, 2] * integrity[a]
    return R.experienced_well(seen, tests[k, 1], 1.0, 1.0, 0.0, strain,
                              cat.strain_sensitivity[k], shared_purpose(P, crisis))


@unit
def interact(ag, ai, ia, a, k, count, good, kept, cat, P, week_hours):
    """``count`` interactions of type ``k`` with agency ``a``, ``good`` of them good and
    ``kept`` kept by the agency: evidence on both ties (violations open until repaired),
    pressure, and the ISP hours spent. Returns whether one could repair open violations,
    whether a promise was broken, the introductions it brings and the encounters."""
    tests, evidence, negative = cat.tests, cat.evidence[k], cat.negative_weight[k]
    r, s, s_open, back_r, back_s = ai.r, ai.s, ai.s_open, ia.r, ia.s
    pressure = ag.pressure
    bad = (count - good) * cat.encounter[k] * (evidence * P.asymmetry * negative)
    for d in range(3):
        r[a, d] += good * evidence * tests[k, d]
        s[a, d] += bad * tests[k, d]
        s_open[a, d] += bad * tests[k, d]
    if cat.reciprocal[k]:
        unkept = (count - kept) * (evidence * P.asymmetry * negative)
        for d in range(3):
            back_r[a, d] += kept * evidence * tests[k, d]
            back_s[a, d] += unkept * tests[k, d]
    pressure[a] += count * cat.pressure[k] * P.mandate_authority
    week_hours[k] += count * (cat.hours[k] / cat.group_size[k])
    promised = cat.reciprocal[k] and negative > 1
    return (good > 0 and cat.repair[k], count - good > 0 and promised,
            int(good) * cat.broker[k], int(count * cat.encounter[k]))


@unit
def settle(ag, ai, a, addressed, good, cat, P):
    """After the week's interactions with agency ``a``: a frank conversation repairs its
    open violations; each good interaction closes part of the gap to 1 of what it works
    on (``good`` per type), gated by the agency's trust in its ISP (rules.receptivity);
    fit gains scale with the innovation's adaptability."""
    s, s_open = ai.s, ai.s_open
    if addressed:
        parts = (P.repair_ability, P.repair_benevolence, P.repair_integrity)
        for d in range(3):
            s[a, d] -= s_open[a, d] * parts[d]
            s_open[a, d] = 0.0
    n_good = 0.0
    for k in range(len(good)):
        n_good += good[k]
    if n_good == 0:  # no encounter went well: no effect to apply
        return
    recept = receptivity(tie_trust(ai.r, ai.s, ai.prior, a, P.prior_strength), P.receptivity)
    knowledge, fit, fidelity, readiness, voice = (ag.knowledge, ag.fit, ag.fidelity,
                                                  ag.readiness, ag.voice)
    for e, x in enumerate((knowledge, fit, fidelity, readiness, voice)):
        kept = _gap_kept(good, cat.effects, e, P.innovation_adaptability, recept)
        if kept != 1.0:  # nothing kept of the gap to 1 leaves x as it is
            x[a] = R.gap_narrowed(x[a], kept)


@unit
def _gap_kept(good, effects, e, adaptability, recept):
    """rules.saturating_gain's product, term by term: the share of the gap to 1 of effect
    ``e`` that the good interactions leave."""
    kept = 1.0
    for k in range(len(good)):
        gain = effects[k, e] * adaptability if e == FIT else effects[k, e]
        if good[k] > 0 and gain != 0:
            for _ in range(int(good[k])):
                kept *= R.gap_kept(gain * recept)
    return kept


# --- the phase as the vectorized and agents engines run it (sim.schedule) -----------------


@kernel
def _chances(ag, isps, ai, rows, P, crisis, cat):
    n_types = len(cat.hours)
    caseload = np.zeros(len(isps.isp_hours), np.int64)
    means, nones = np.empty((len(isps.isp_hours), n_types)), np.empty((len(isps.isp_hours),
                                                                        n_types))
    prepare(ag, isps, P, crisis, cat, caseload, means, nones)
    rates, good, kept = (np.zeros((len(rows), n_types)), np.zeros((len(rows), n_types)),
                         np.zeros((len(rows), n_types)))
    for i in range(len(rows)):
        a = rows[i]
        j = served_by(ag, isps, a)
        if j < 0:
            continue
        legitimacy, strain, ability = reading(ag, ai, a, P, crisis)
        for k in range(n_types):
            rates[i, k] = means[j, k]
            good[i, k] = good_chance(isps, j, k, legitimacy, strain, cat, P, crisis)
            kept[i, k] = kept_chance(ag, a, k, ability, strain, cat, P, crisis)
    return rates, good, kept


@kernel
def _apply(ag, ai, ia, rows, counts, good, kept, cat, P, week_hours, brokered, broken):
    micro = 0
    for i in range(len(rows)):
        a = rows[i]
        addressed, broke, n_broker = False, False, 0
        for k in range(len(cat.hours)):
            if counts[i, k] > 0:
                fixes, breaks, introductions, encounters = interact(
                    ag, ai, ia, a, k, counts[i, k], good[i, k], kept[i, k], cat, P,
                    week_hours)
                addressed, broke = addressed or fixes, broke or breaks
                n_broker += introductions
                micro += encounters
        settle(ag, ai, a, addressed, good[i], cat, P)
        brokered[i], broken[i] = n_broker, broke
    return micro


def chances_for(w: World, idx) -> dict[str, np.ndarray]:
    """Expected interactions of each type between each agency and its ISP this week, the
    chance each goes well (the agency's view of the ISP) and, for reciprocal types, the
    chance the agency keeps its side (the ISP's view)."""
    st = w.state
    rows = np.atleast_1d(np.arange(st.n_agencies)[idx])
    rates, good, kept = _chances(bundles.agencies(st), bundles.isps(st),
                                 bundles.ties(st.ties["agency_isp"]), rows,
                                 bundles.params(w.p), w.crisis, bundles.catalogue(w.catalogue))
    return {"rates": rates, "good": good, "kept": kept, "rows": rows}


def apply(w: World, idx, drawn, chances) -> None:
    """Evidence and repair on both ties, effects on the agency, pressure, hours; then the
    captions of broken promises and the introductions good interactions brought about."""
    st = w.state
    rows = chances["rows"]
    brokered, broken = np.zeros(len(rows), np.int64), np.zeros(len(rows), np.bool_)
    w.micro_interactions += _apply(
        bundles.agencies(st), bundles.ties(st.ties["agency_isp"]),
        bundles.ties(st.ties["isp_agency"]), rows,
        *(np.asarray(drawn[k], float) for k in ("counts", "good", "kept")),
        bundles.catalogue(w.catalogue), bundles.params(w.p), st.week_hours, brokered, broken)
    captions_and_introductions(w, rows, brokered, broken)


#: Broken promises captioned per week, at most (the dashboard shows the latest few).
CAPTIONS_PER_WEEK = 2


def captions_and_introductions(w: World, rows, brokered, broken) -> None:
    """Caption the first broken promises of the week, then let each agency's ISP make
    the introductions its good interactions brought about (sim.phases.partnering), each
    partner picked with a uniform draw of the run's generator."""
    st = w.state
    for a in rows[broken][:CAPTIONS_PER_WEEK]:
        note_broken_promise(w, int(a), int(st.isp_of[a]))
    for a, n in zip(rows, brokered, strict=True):
        for _ in range(int(n)):
            b = partnering.broker(w, int(a), w.rng.random())
            if b >= 0:
                note_introduction(w, int(st.isp_of[a]), int(a), b)


def note_broken_promise(w: World, a: int, isp: int) -> None:
    w.note(f"A broken promise at {w.state.name[a]} cut its trust in ISP {isp + 1}")


def note_introduction(w: World, isp: int, a: int, b: int) -> None:
    st = w.state
    w.note(f"ISP {isp + 1} introduced {st.name[a]} to {st.name[b]}: a new partnership "
           "built on borrowed trust")


@kernel
def _caseload(ag, n_isps):
    caseload = np.zeros(n_isps, np.int64)
    count_caseload(ag, caseload)
    return caseload


@kernel
def _served(ag, isps):
    out = np.empty(len(ag.stage), np.int64)
    n = 0
    for a in range(len(ag.stage)):
        if served_by(ag, isps, a) >= 0:
            out[n] = a
            n += 1
    return out[:n]


def caseload(w: World) -> np.ndarray:
    """Agencies (not abandoned) each ISP supports."""
    return _caseload(bundles.agencies(w.state), w.state.n_isps)


def served_agencies(w: World) -> np.ndarray:
    """Agencies an active ISP supports this week."""
    st = w.state
    if not st.n_isps:
        return np.zeros(0, np.int64)
    return _served(bundles.agencies(st), bundles.isps(st))
