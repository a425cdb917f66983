"""The compiled engine's loops (numba): each phase of the declared week as one loop over
its units, and ``_weeks``, the whole week (or a stretch of weeks) in one call.

Each loop computes its units' chances with the equations of ``sim.rules`` (compiled from
the same functions the other engines call), draws each unit's outcomes as it goes and
applies them. Every draw of a week comes from one xoshiro256++ stream
(``sim.engines.streams``), seeded each week from the run's own generator.
``sim.engines.compiled`` drives them; ``MIRRORS`` there ties each loop to the functions of
``sim.processes`` it restates.
"""

from __future__ import annotations

import math

import numpy as np
from numba.core import types
from numba.typed import Dict

from sim import processes as pr
from sim import rules as R
from sim.engines.streams import (
    binomial,
    load,
    next_success,
    next_uniform,
    poisson_given,
    store,
    uniform,
)
from sim.jit import kernel, unit
from sim.network import compiled_components
from sim.phases import families, forgetting, partnerships, turnover, upkeep
from sim.phases import stages as implementation_stages
from sim.phases.bundles import Ties
from sim.state import ABANDONED

PARTNER_TESTS = partnerships.TESTS
FAMILY_TESTS = families.TESTS
CAPTIONS_PER_WEEK = pr.CAPTIONS_PER_WEEK
SEEDS_PER_WEEK = 4  # raw draws of the run's generator: a week's xoshiro256++ state


_components = compiled_components()
njit = kernel


# --- small compiled helpers -------------------------------------------------------------------


@njit
def _tie_trust(r, s, prior, row, weight):
    """rules.overall_trust for one tie row."""
    total = 0.0
    for d in range(3):
        total += R.expected_trust(r[row, d], s[row, d], prior[row, d], weight)
    return total / 3.0


@njit
def _receptivity(trust, exponent):
    """rules.receptivity without the pow call at exponent 1, where pow(x, 1) is x."""
    return trust if exponent == 1.0 else R.receptivity(trust, exponent)


@njit
def _agencies_now(capacity, knowledge, stage, now):
    """This week's capacity, ability and whether each agency delivers the practice
    (sim.processes.capacity_now, agency_trustworthiness, delivering); ``now`` is (crisis,
    crisis_capacity_strain, emergency funding, knowledge_ability_weight, delivers_from)."""
    crisis, strain, funding, kaw, delivers_from = now
    n = len(capacity)
    cap, ability, delivers = np.empty(n), np.empty(n), np.empty(n, np.bool_)
    for a in range(n):
        cap[a] = R.effective_capacity(capacity[a], crisis, strain, funding)
        ability[a] = R.agency_ability(cap[a], knowledge[a], kaw)
        delivers[a] = stage[a] >= delivers_from and stage[a] != ABANDONED
    return cap, ability, delivers


@njit
def _agency_tw_dot(tests, ability, benevolence, integrity):
    return tests[0] * ability + tests[1] * benevolence + tests[2] * integrity


@njit
def _add_evidence(r, s, row, tests, good, bad):
    for d in range(3):
        r[row, d] += good * tests[d]
        s[row, d] += bad * tests[d]


# --- turnover -------------------------------------------------------------------------------


@unit
def turnover_week(stream, ag, P, crisis, ai, ia, aa, aa_n, fa, share):
    """Each agency's leavers (binomial over its staff) and its champion's departure
    (uniform), drawn agency by agency; then the evidence the leavers take, on every kind
    of tie (sim.phases.turnover). ``share`` is room for one share per agency."""
    staff = ag.staff
    chance = turnover.leave_chance(P, crisis)
    any_left = False
    for a in range(len(staff)):
        leavers = binomial(stream, staff[a], chance)
        u = uniform(stream)
        turnover.staff_leave(ag, a, leavers, share)
        turnover.champion_leaves(ag, a, u, chance)
        any_left = any_left or leavers > 0
    if any_left:
        for a in range(len(share)):
            share[a] *= P.person_bound_share
        turnover.wipe(ai, len(ai.truster), share, True, False)
        turnover.wipe(ia, len(ia.truster), share, False, True)
        turnover.wipe(aa, aa_n, share, True, True)
        turnover.wipe(fa, len(fa.truster), share, False, True)


@njit
def _turnover(stream, ag, P, crisis, ai, ia, aa, aa_n, fa):
    turnover_week(stream, ag, P, crisis, ai, ia, aa, aa_n, fa, np.zeros(len(ag.staff)))


# --- implementation support -------------------------------------------------------------------


@njit
def _support_means(isp_hours, isp_mix, caseload, surge, shift, cat_rate, shares_co, shares_td,
                   shares_crisis):
    """Each ISP's mean count of each interaction type with each agency it serves this week
    (its hours shared over its caseload, spent by its strategy's mix), and the chance of
    none: the same for all its agencies, so worked out once per ISP."""
    means = np.empty((len(isp_hours), len(cat_rate)))
    nones = np.empty((len(isp_hours), len(cat_rate)))
    for j in range(len(isp_hours)):
        hours = isp_hours[j] * (1.0 + surge) / max(caseload[j], 1)
        for k in range(len(cat_rate)):
            normal = isp_mix[j] * shares_co[k] + (1.0 - isp_mix[j]) * shares_td[k]
            share = (1.0 - shift) * normal + shift * shares_crisis[k]
            means[j, k] = hours * share * cat_rate[k]
            nones[j, k] = math.exp(-means[j, k])
    return means, nones


@njit
def _support(stream, isp_of, stage, isp_active, isp_hours, isp_mix, isp_tw, capacity, knowledge,
             benevolence, integrity, effects_state, pressure, to_r, to_s, to_open, to_prior,
             back_r, back_s, cat_rate, cat_tests, cat_quality, cat_legit, cat_strain,
             cat_evidence, cat_negative, cat_reciprocal, cat_encounter, cat_repair, gains,
             cat_pressure, cat_hours_each, cat_broker, promised, shares_co, shares_td,
             shares_crisis, q, now, week_hours, brokered, broken):
    """ISPs' micro-interactions with each served agency: chances, draws and their effects
    on both ties and on the agency (sim.processes.support_chances / apply_support)."""
    surge, shift, shared, authority, asymmetry, prior_w, recept_exp, repair_a, \
        repair_b, repair_i = q
    cap, abilities, _ = _agencies_now(capacity, knowledge, stage, now)
    caseload = np.zeros(len(isp_hours), np.int64)  # sim.processes.caseload
    for a in range(len(isp_of)):
        if isp_of[a] >= 0 and stage[a] != ABANDONED:
            caseload[isp_of[a]] += 1
    n_types = len(cat_rate)
    means, nones = _support_means(isp_hours, isp_mix, caseload, surge, shift, cat_rate,
                                  shares_co, shares_td, shares_crisis)
    good = np.zeros(n_types)
    micro = 0
    for a in range(len(isp_of)):
        j = isp_of[a]
        brokered[a], broken[a] = 0, False  # this week's, whether served or not
        if j < 0 or stage[a] == ABANDONED or not isp_active[j]:  # served_agencies
            continue
        trust = _tie_trust(to_r, to_s, to_prior, a, prior_w)
        legit = R.legitimacy(trust, authority)
        strain = 1.0 - cap[a]
        ability = abilities[a]
        addressed = False
        bad_promise = False
        n_broker, n_good = 0, 0
        for k in range(n_types):
            c = poisson_given(stream, means[j, k], nones[j, k])
            good[k] = 0.0
            if c == 0:
                continue
            tests = cat_tests[k]
            tw = tests[0] * isp_tw[j, 0] + tests[1] * isp_tw[j, 1] + tests[2] * isp_tw[j, 2]
            p_good = R.experienced_well(tw, tests[1], cat_quality[k], legit, cat_legit[k],
                                        strain, cat_strain[k], shared)
            g = binomial(stream, c, p_good)
            good[k] = g
            n_good += g
            bad = (c - g) * cat_encounter[k] * (cat_evidence[k] * asymmetry * cat_negative[k])
            _add_evidence(to_r, to_s, a, tests, g * cat_evidence[k], bad)
            for d in range(3):
                to_open[a, d] += bad * tests[d]
            if cat_reciprocal[k]:
                p_kept = R.experienced_well(
                    _agency_tw_dot(tests, ability, benevolence[a], integrity[a]), tests[1],
                    1.0, 1.0, 0.0, strain, cat_strain[k], shared)
                kept = binomial(stream, c, p_kept)
                _add_evidence(back_r, back_s, a, tests, kept * cat_evidence[k],
                              (c - kept) * (cat_evidence[k] * asymmetry * cat_negative[k]))
            addressed = addressed or (g > 0 and cat_repair[k])
            bad_promise = bad_promise or (c - g > 0 and promised[k])
            n_broker += int(g) * cat_broker[k]
            pressure[a] += c * cat_pressure[k] * authority
            week_hours[k] += c * cat_hours_each[k]
            micro += int(c * cat_encounter[k])
        if addressed:
            for d, part in enumerate((repair_a, repair_b, repair_i)):
                to_s[a, d] -= to_open[a, d] * part
                to_open[a, d] = 0.0
        if n_good > 0:  # no encounter went well: no effect to apply
            recept = _receptivity(_tie_trust(to_r, to_s, to_prior, a, prior_w), recept_exp)
            for e in range(len(effects_state)):
                kept = 1.0  # rules.saturating_gain, its product taken term by term
                for k in range(n_types):
                    if good[k] > 0 and gains[k, e] != 0:
                        for _ in range(int(good[k])):
                            kept *= R.gap_kept(gains[k, e] * recept)
                if kept != 1.0:  # nothing kept of the gap to 1 leaves x as it is
                    effects_state[e][a] = R.gap_narrowed(effects_state[e][a], kept)
        brokered[a] = n_broker
        broken[a] = bad_promise
    return micro


# --- partnerships -----------------------------------------------------------------------------


@unit
def partnerships_week(stream, ag, aa, n, P, crisis, delivers_from, good, delivering, learned):
    """Joint-work contacts on the first ``n`` partnership ties, tie by tie (a Poisson
    count, then how many went well), and what agencies learned (sim.phases.partnerships);
    the last three arguments are room for the phase's snapshot."""
    partnerships.prepare(ag, P, crisis, delivers_from, PARTNER_TESTS, good, delivering,
                         learned)
    rate = partnerships.contact_rate(P, crisis)
    none = math.exp(-rate)  # every tie's chance of no contact, worked out once
    micro = 0
    for i in range(n):
        mean, p_good = partnerships.chances(ag, aa, i, rate, good)
        if mean == 0.0:  # a truster that abandoned: no contact, nothing to draw
            continue
        c = poisson_given(stream, rate, none)
        if c == 0:
            continue
        g = binomial(stream, c, p_good)
        partnerships.work_together(aa, i, c, g, P, delivering, learned, PARTNER_TESTS)
        micro += c
    partnerships.learn(ag, learned, P)
    return micro


@njit
def _partnerships(stream, ag, aa, n, P, crisis, delivers_from):
    m = len(ag.stage)
    return partnerships_week(stream, ag, aa, n, P, crisis, delivers_from, np.empty(m),
                             np.empty(m, np.bool_), np.empty(m))



# --- families ---------------------------------------------------------------------------------


@unit
def families_week(stream, ag, fam, fa, P, crisis, delivers_from, quality, community, count,
                  met):
    """The families' phase (sim.phases.families), drawn kind by kind over all families,
    so each kind is a loop with few unpredictable branches: engagement (drawn only for
    families the practice serves, and only the move open to each: engaging or
    disengaging), contacts (the families met listed without a branch, then their
    experience), then the rare closing cases, found by skipping to the next one. The
    last four arguments are room for the phase's snapshot and the families met."""
    families.prepare(ag, fam, fa, P, crisis, FAMILY_TESTS, quality, community, count)
    n, n_agencies = len(fam.family_agency), len(ag.stage)
    x = load(stream)  # the stream's state in registers for the loops
    for f in range(n):
        served, p_engage, p_leave = families.engagement_chances(ag, fam, fa, f, community, P,
                                                                delivers_from)
        if not served:
            families.engage(fam, f, False, True)
            continue
        u, x = next_uniform(x)
        families.engage(fam, f, u < p_engage, u < p_leave)
    contact = families.contact_chance(P, crisis)
    n_met = 0
    for f in range(n):
        u, x = next_uniform(x)
        met[n_met] = f
        n_met += u < contact
    for i in range(n_met):
        f = met[i]
        p_good = families.experience_chance(ag, fam, f, quality, P)
        u, x = next_uniform(x)
        families.meet(fa, f, u < p_good, P, FAMILY_TESTS)
    close = families.closing_chance(P)
    f_at = -1.0
    log_stays_open = math.log1p(-close) if close > 0 else 0.0
    while close > 0:
        f_at, x = next_success(x, f_at, log_stays_open)
        if f_at >= n:
            break
        u_agency, x = next_uniform(x)
        u_eligible, x = next_uniform(x)
        families.open_case(fam, fa, int(f_at), n_agencies, u_agency, u_eligible, P)
    store(stream, x)
    return n_met


@njit
def _families(stream, ag, fam, fa, P, crisis, delivers_from):
    size = len(ag.stage) * len(fam.group_prior)
    return families_week(stream, ag, fam, fa, P, crisis, delivers_from, np.empty(len(ag.stage)),
                         np.empty(size), np.empty(size), np.empty(len(fam.family_agency),
                                                                   np.int64))


# --- implementation stages --------------------------------------------------------------------


@unit
def stages_week(stream, ag, ai, aa, aa_n, P, tab, crisis, exposure):
    """One uniform draw per agency, agency by agency, every agency seeing the
    start-of-phase exposure to delivering partners (sim.phases.stages); ``exposure`` is
    room for it."""
    implementation_stages.peer_exposure(ag, aa, aa_n, P, tab.delivers_from, exposure)
    for a in range(len(exposure)):
        u = uniform(stream)
        advance, fall, quit_, mandate_share = implementation_stages.chances(
            ag, a, ai, exposure, P, tab, crisis)
        implementation_stages.move(ag, a, u, advance, fall, quit_, mandate_share, tab)


@njit
def _stages(stream, ag, ai, aa, aa_n, P, tab, crisis):
    stages_week(stream, ag, ai, aa, aa_n, P, tab, crisis, np.empty(len(ag.stage)))


# --- emergency partnerships -----------------------------------------------------------------


@njit
def _emergency(stream, stage, chance):
    """Which agencies (not abandoned) form a partnership under emergency rules this week
    (sim.processes.emergency_partnership_chances); forming it is sim.processes' job."""
    new = np.zeros(len(stage), np.bool_)
    for a in range(len(stage)):
        new[a] = uniform(stream) < chance and stage[a] != ABANDONED
    return new


# --- brokering and emergency partnerships: new partnership ties inside the loop ----------------


@njit
def _append_tie(aa, n, linked, n_ag, truster, trustee, prior, r, s):
    """Add one agency -> agency tie to the buffers ``aa`` holding ``n`` ties (TieSet's
    layout: truster, trustee, r, s, s_open, prior), doubling them when full, and to the
    set ``linked`` (_links)."""
    if n == len(aa[0]):
        size = max(8, 2 * n)
        grown = Ties(np.zeros(size, np.int64), np.zeros(size, np.int64), np.zeros((size, 3)),
                     np.zeros((size, 3)), np.zeros((size, 3)), np.zeros((size, 3)))
        grown[0][:n], grown[1][:n] = aa[0][:n], aa[1][:n]
        grown[2][:n], grown[3][:n] = aa[2][:n], aa[3][:n]
        grown[4][:n], grown[5][:n] = aa[4][:n], aa[5][:n]
        aa = grown
    aa[0][n], aa[1][n] = truster, trustee
    for d in range(3):
        aa[2][n, d], aa[3][n, d], aa[4][n, d], aa[5][n, d] = r[d], s[d], 0.0, prior
    linked[truster * n_ag + trustee] = True
    return aa, n + 1


@njit
def _links(aa, n, n_agencies):
    """The set of existing agency -> agency ties, as keys truster * n_agencies + trustee."""
    linked = Dict.empty(key_type=types.int64, value_type=types.boolean)
    for i in range(n):
        linked[aa[0][i] * n_agencies + aa[1][i]] = True
    return linked


@njit
def _unlinked(a, linked, stage, open_only, others):
    """Fill ``others`` with the agencies ``a`` has no tie to (not abandoned ones, with
    ``open_only``); returns how many."""
    n_ag, count = len(stage), 0
    for b in range(n_ag):
        if b != a and (a * n_ag + b) not in linked and not (open_only and
                                                             stage[b] == ABANDONED):
            others[count] = b
            count += 1
    return count


@njit
def _broker(stream, a, aa, n, linked, stage, to_r, to_s, back_r, back_s, propensity,
            benevolence, integrity, prior_w, propensity_weight):
    """The ISP introduces agency ``a`` to one it has no tie to, preferably in another
    group of the partnership network, both ties borrowing trust through the ISP
    (sim.processes.broker). Returns the buffers, their count and the partner (-1: none)."""
    n_ag = len(stage)
    others = np.empty(n_ag, np.int64)
    count = _unlinked(a, linked, stage, True, others)
    if count == 0:
        return aa, n, -1
    group = _components(n_ag, aa[0][:n], aa[1][:n])
    bridges = np.empty(count, np.int64)
    n_bridges = 0
    for i in range(count):
        if group[others[i]] != group[a]:
            bridges[n_bridges] = others[i]
            n_bridges += 1
    pool = bridges[:n_bridges] if n_bridges else others[:count]
    b = pool[int(uniform(stream) * len(pool))]
    r, s = np.empty(3), np.empty(3)
    for x, y in ((a, b), (b, a)):
        for d in range(3):
            r[d], s[d] = R.discounted_evidence(to_r[x, d], to_s[x, d], back_r[y, d],
                                               back_s[y, d], prior_w)
        prior = R.partner_prior_mean(propensity[x], benevolence[y], integrity[y],
                                     propensity_weight)
        aa, n = _append_tie(aa, n, linked, n_ag, x, y, prior, r, s)
    return aa, n, b


@njit
def _emergency_ties(stream, aa, n, linked, stage, chance, propensity, benevolence, integrity,
                    propensity_weight, log, n_log, week):
    """Partnerships formed under emergency rules: a new tie each way to an agency not yet a
    partner, from priors alone (sim.processes.apply_emergency_partnership)."""
    n_ag = len(stage)
    others = np.empty(n_ag, np.int64)
    zero = np.zeros(3)
    for a in range(n_ag):
        if not (uniform(stream) < chance and stage[a] != ABANDONED):
            continue
        count = _unlinked(a, linked, stage, False, others)
        if count == 0:
            continue
        b = others[int(uniform(stream) * count)]
        for x, y in ((a, b), (b, a)):
            prior = R.partner_prior_mean(propensity[x], benevolence[y], integrity[y],
                                         propensity_weight)
            aa, n = _append_tie(aa, n, linked, n_ag, x, y, prior, zero, zero)
        log, n_log = _log(log, n_log, week, EMERGENCY, a, b, 0)
    return aa, n, log, n_log


# --- captions: what happened, for sim.processes to word -----------------------------------

BROKEN_PROMISE, INTRODUCTION, EMERGENCY, STAGE_CHANGE = 0, 1, 2, 3


@njit
def _log(log, n_log, week, kind, a, b, c):
    if n_log == len(log):
        grown = np.zeros((max(16, 2 * n_log), 5), np.int64)
        grown[:n_log] = log[:n_log]
        log = grown
    log[n_log, 0], log[n_log, 1], log[n_log, 2], log[n_log, 3], log[n_log, 4] = (
        week, kind, a, b, c)
    return log, n_log + 1


# --- each phase's parameters for one week (P: sim.engines.compiled.Params, c: crisis) ----


@njit
def now_of(P, c, delivers_from):
    """What _agencies_now reads: (crisis, strain, emergency funding, knowledge weight,
    delivers_from)."""
    funding = min(1.0, P.resources_capacity * (P.crisis_resources * c))
    return (c, P.crisis_capacity_strain, funding, P.knowledge_ability_weight, delivers_from)


@njit
def shared_purpose(P, c):
    return min(1.0, P.relationships_sensitivity * (P.crisis_relationships * c))


@njit
def support_q(P, c):
    relationships = P.crisis_relationships * c
    return (P.isp_surge * c, min(1.0, P.relationships_contact * relationships),
            shared_purpose(P, c), P.mandate_authority, P.asymmetry, P.prior_strength,
            P.receptivity, P.repair_ability, P.repair_benevolence, P.repair_integrity)


@njit
def partner_rate(P, c):
    relationships = P.crisis_relationships * c
    return P.partner_contact_rate * (1.0 + P.relationships_collaboration * relationships)


@njit
def emergency_chance(P, c):
    return min(1.0, P.resources_partnerships * (P.crisis_resources * c))


@njit
def _weeks(first, crisis, seeds, P, ag, isps, fam, ai, ia, fa, aa, aa_n, cat,
           tab, captions, trace_share, trace_hours, week_hours):
    """Weeks ``first``, ``first + 1``, ... (one per entry of ``crisis``, that week's
    intensity) of the declared week (sim.schedule.SCHEDULE, phase by phase in its order),
    each week's draws seeded from ``seeds`` (SEEDS_PER_WEEK raw draws of the run's generator
    per week). Fills the weekly trace (share at full implementation, ISP hours) and returns
    the partnership ties' buffers and count, the micro-interactions and the caption log."""
    readiness, capacity, fit, knowledge = ag.readiness, ag.capacity, ag.fit, ag.knowledge
    fidelity, propensity, benevolence = ag.fidelity, ag.propensity, ag.benevolence
    integrity, voice, isp_of, stage = ag.integrity, ag.voice, ag.isp_of, ag.stage
    pressure = ag.pressure
    isp_tw, isp_active, isp_mix, isp_hours = isps
    full, last, delivers_from = tab.full, tab.last, tab.delivers_from
    effects = (knowledge, fit, fidelity, readiness, voice)
    n_ag = len(stage)
    stream = np.empty(4, np.uint64)
    log, n_log = captions, 0
    micro = 0
    linked = _links(aa, aa_n, n_ag)
    brokered = np.zeros(n_ag, np.int64)
    broken = np.zeros(n_ag, np.bool_)
    # room for each phase's snapshot, taken once per call
    share, exposure, quality = np.empty(n_ag), np.empty(n_ag), np.empty(n_ag)
    good, delivering, learned = np.empty(n_ag), np.empty(n_ag, np.bool_), np.empty(n_ag)
    communities = n_ag * len(fam.group_prior)
    community, members = np.empty(communities), np.empty(communities)
    met = np.empty(len(fam.family_agency), np.int64)
    for k in range(len(crisis)):
        week, c = first + k, crisis[k]
        for i in range(SEEDS_PER_WEEK):
            stream[i] = seeds[SEEDS_PER_WEEK * k + i] | np.uint64(1)  # never all zero
        now = now_of(P, c, delivers_from)
        week_hours[:] = 0.0
        # forgetting
        forgetting.forget(ai, len(ai.truster), P.forgetting)
        forgetting.forget(ia, len(ia.truster), P.forgetting)
        forgetting.forget(aa, aa_n, P.forgetting)
        forgetting.forget(fa, len(fa.truster), P.forgetting)
        # turnover
        turnover_week(stream, ag, P, c, ai, ia, aa, aa_n, fa, share)
        # support, then the introductions it brought about
        if len(isp_hours) > 0:
            micro += _support(stream, isp_of, stage, isp_active, isp_hours, isp_mix, isp_tw,
                              capacity, knowledge, benevolence, integrity, effects, pressure, ai[2],
                              ai[3], ai[4], ai[5], ia[2], ia[3], *cat, support_q(P, c), now,
                              week_hours, brokered, broken)
            shown = 0
            for a in range(n_ag):
                if broken[a] and shown < CAPTIONS_PER_WEEK:
                    log, n_log = _log(log, n_log, week, BROKEN_PROMISE, a, isp_of[a], 0)
                    shown += 1
            for a in range(n_ag):
                for _ in range(brokered[a]):
                    aa, aa_n, b = _broker(stream, a, aa, aa_n, linked, stage, ai[2], ai[3],
                                          ia[2], ia[3], propensity, benevolence, integrity,
                                          P.prior_strength, P.propensity_weight)
                    if b >= 0:
                        log, n_log = _log(log, n_log, week, INTRODUCTION, isp_of[a], a, b)
        # partnerships
        if aa_n > 0 and P.partner_contact_rate > 0:
            micro += partnerships_week(stream, ag, aa, aa_n, P, c, delivers_from, good,
                                       delivering, learned)
        # emergency partnerships
        if emergency_chance(P, c) > 0:
            aa, aa_n, log, n_log = _emergency_ties(
                stream, aa, aa_n, linked, stage, emergency_chance(P, c), propensity,
                benevolence, integrity, P.propensity_weight, log, n_log, week)
        # families
        if len(fam.family_agency) > 0:
            micro += families_week(stream, ag, fam, fa, P, c, delivers_from, quality,
                                   community, members, met)
        # stages
        old = stage.copy()
        stages_week(stream, ag, ai, aa, aa_n, P, tab, c, exposure)
        for a in range(n_ag):
            if stage[a] != old[a]:
                log, n_log = _log(log, n_log, week, STAGE_CHANGE, a, old[a], stage[a])
        # upkeep
        upkeep.upkeep(ag, week, full, delivers_from, P.pressure_retention, P.learning_decay)
        # the trace, summed as sim.outcomes sums it (stage by stage, shares of agencies)
        at_full = 0.0
        for level in range(full, last + 1):
            count = 0
            for a in range(n_ag):
                count += stage[a] == level
            at_full += count / n_ag
        trace_share[k] = at_full
        trace_hours[k, :] = week_hours
    return aa, aa_n, micro, log, n_log

