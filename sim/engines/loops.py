"""The compiled engine's loops (numba): each phase of the declared week as one loop over
its units, and ``_weeks``, the whole week (or a stretch of weeks) in one call.

The mechanisms are not here: each loop calls its phase's kernels (``sim.phases``, the
ones every engine calls) for each unit's chances and for what its outcomes do, and
draws the outcomes in between; that is this engine's own part. Every draw of a week
comes from one xoshiro256++ stream (``sim.engines.streams``), seeded each week from the
run's own generator. ``sim.engines.compiled`` drives them.
"""

from __future__ import annotations

import math

import numpy as np

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
from sim.phases import (
    emergency_partnerships,
    families,
    forgetting,
    partnering,
    partnerships,
    support,
    turnover,
    upkeep,
)
from sim.phases import stages as implementation_stages
from sim.phases.bundles import Ties

PARTNER_TESTS = partnerships.TESTS
FAMILY_TESTS = families.TESTS
CAPTIONS_PER_WEEK = support.CAPTIONS_PER_WEEK
SEEDS_PER_WEEK = 4  # raw draws of the run's generator: a week's xoshiro256++ state


_components = compiled_components()
njit = kernel


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


@unit
def support_week(stream, ag, isps, ai, ia, P, crisis, cat, week_hours, brokered, broken,
                 caseload, means, nones, good):
    """Each served agency's interactions with its ISP, type by type (a Poisson count, then
    how many went well and, for reciprocal types, how many the agency kept), their effects,
    and the introductions and broken promises they bring (sim.phases.support); the last
    four arguments are room for the phase's snapshot and one agency's good counts."""
    support.prepare(ag, isps, P, crisis, cat, caseload, means, nones)
    micro = 0
    for a in range(len(brokered)):
        brokered[a], broken[a] = 0, False  # this week's, whether served or not
        j = support.served_by(ag, isps, a)
        if j < 0:
            continue
        legitimacy, strain, ability = support.reading(ag, ai, a, P, crisis)
        addressed, broke, n_broker = False, False, 0
        for k in range(len(good)):
            c = poisson_given(stream, means[j, k], nones[j, k])
            good[k] = 0.0
            if c == 0:
                continue
            g = binomial(stream, c, support.good_chance(isps, j, k, legitimacy, strain, cat, P,
                                                        crisis))
            kept = 0
            if cat.reciprocal[k]:
                kept = binomial(stream, c, support.kept_chance(ag, a, k, ability, strain, cat,
                                                               P, crisis))
            good[k] = g
            fixes, breaks, introductions, encounters = support.interact(
                ag, ai, ia, a, k, c, g, kept, cat, P, week_hours)
            addressed, broke = addressed or fixes, broke or breaks
            n_broker += introductions
            micro += encounters
        support.settle(ag, ai, a, addressed, good, cat, P)
        brokered[a], broken[a] = n_broker, broke
    return micro


@njit
def _support(stream, ag, isps, ai, ia, P, crisis, cat, week_hours, brokered, broken):
    n_isps, n_types = len(isps.isp_hours), len(cat.hours)
    return support_week(stream, ag, isps, ai, ia, P, crisis, cat, week_hours, brokered, broken,
                        np.zeros(n_isps, np.int64), np.empty((n_isps, n_types)),
                        np.empty((n_isps, n_types)), np.empty(n_types))



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


# --- brokering and emergency partnerships: new partnership ties inside the loop ----------------


@njit
def _append_tie(aa, n, linked, truster, trustee, prior, r, s):
    """Add one agency -> agency tie to the buffers ``aa`` holding ``n`` ties (TieSet's
    layout), doubling them when full, and mark it in ``linked``."""
    if n == len(aa.truster):
        size = max(8, 2 * n)
        grown = Ties(np.zeros(size, np.int64), np.zeros(size, np.int64), np.zeros((size, 3)),
                     np.zeros((size, 3)), np.zeros((size, 3)), np.zeros((size, 3)))
        for old, new in ((aa.truster, grown.truster), (aa.trustee, grown.trustee)):
            new[:n] = old[:n]
        for old2, new2 in ((aa.r, grown.r), (aa.s, grown.s), (aa.s_open, grown.s_open),
                           (aa.prior, grown.prior)):
            new2[:n] = old2[:n]
        aa = grown
    aa.truster[n], aa.trustee[n] = truster, trustee
    for d in range(3):
        aa.r[n, d], aa.s[n, d], aa.s_open[n, d], aa.prior[n, d] = r[d], s[d], 0.0, prior
    linked[truster, trustee] = True
    return aa, n + 1


@njit
def _links(aa, n, n_agencies):
    """Which agency already trusts which as a partner (agency by agency)."""
    linked = np.zeros((n_agencies, n_agencies), np.bool_)
    for i in range(n):
        linked[aa.truster[i], aa.trustee[i]] = True
    return linked


@njit
def _broker(stream, a, ag, ai, ia, aa, n, linked, P):
    """The ISP introduces agency ``a`` (sim.phases.partnering); returns the buffers, their
    count and the partner (-1: none)."""
    stage = ag.stage
    others, pool = np.empty(len(stage), np.int64), np.empty(len(stage), np.int64)
    group = _components(len(stage), aa.truster[:n], aa.trustee[:n])
    count = partnering.introduction_pool(a, linked, stage, group, others, pool)
    if count == 0:
        return aa, n, -1
    b = pool[int(uniform(stream) * count)]
    r, s = np.empty(3), np.empty(3)
    for x, y in ((a, b), (b, a)):
        partnering.borrowed_evidence(ai, ia, x, y, P, r, s)
        aa, n = _append_tie(aa, n, linked, x, y, partnering.prior_of(ag, x, y, P), r, s)
    return aa, n, b


@njit
def _emergency_ties(stream, ag, aa, n, linked, P, crisis, log, n_log, week):
    """Partnerships formed under emergency rules (sim.phases.emergency_partnerships), agency
    by agency: one uniform draw for whether, one for whom."""
    stage = ag.stage
    others = np.empty(len(stage), np.int64)
    zero = np.zeros(3)
    for a in range(len(stage)):
        if not uniform(stream) < emergency_partnerships.chance_of(ag, a, P, crisis):
            continue
        count = partnering.candidates(a, linked, stage, False, others)
        if count == 0:
            continue
        b = emergency_partnerships.partner(others, count, uniform(stream))
        for x, y in ((a, b), (b, a)):
            aa, n = _append_tie(aa, n, linked, x, y, partnering.prior_of(ag, x, y, P), zero,
                                zero)
        log, n_log = _log(log, n_log, week, EMERGENCY, a, b, 0)
    return aa, n, log, n_log


@njit
def _emergency(stream, ag, aa, n, P, crisis):
    """The emergency partnerships' phase alone (a schedule _weeks does not know): the
    buffers, their count and the caption log."""
    return _emergency_ties(stream, ag, aa, n, _links(aa, n, len(ag.stage)), P, crisis,
                           np.zeros((4, 5), np.int64), 0, 0)


# --- captions: what happened, for the phases to word -----------------------------------

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


@njit
def _weeks(first, crisis, seeds, P, ag, isps, fam, ai, ia, fa, aa, aa_n, cat,
           tab, captions, trace_share, trace_hours, week_hours):
    """Weeks ``first``, ``first + 1``, ... (one per entry of ``crisis``, that week's
    intensity) of the declared week (sim.schedule.SCHEDULE, phase by phase in its order),
    each week's draws seeded from ``seeds`` (SEEDS_PER_WEEK raw draws of the run's generator
    per week). Fills the weekly trace (share at full implementation, ISP hours) and returns
    the partnership ties' buffers and count, the micro-interactions and the caption log."""
    isp_of, stage = ag.isp_of, ag.stage
    full, last, delivers_from = tab.full, tab.last, tab.delivers_from
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
    n_isps, n_types = len(isps.isp_hours), len(cat.hours)
    caseload, good_of_type = np.zeros(n_isps, np.int64), np.empty(n_types)
    means, nones = np.empty((n_isps, n_types)), np.empty((n_isps, n_types))
    communities = n_ag * len(fam.group_prior)
    community, members = np.empty(communities), np.empty(communities)
    met = np.empty(len(fam.family_agency), np.int64)
    for k in range(len(crisis)):
        week, c = first + k, crisis[k]
        for i in range(SEEDS_PER_WEEK):
            stream[i] = seeds[SEEDS_PER_WEEK * k + i] | np.uint64(1)  # never all zero
        week_hours[:] = 0.0
        # forgetting
        forgetting.forget(ai, len(ai.truster), P.forgetting)
        forgetting.forget(ia, len(ia.truster), P.forgetting)
        forgetting.forget(aa, aa_n, P.forgetting)
        forgetting.forget(fa, len(fa.truster), P.forgetting)
        # turnover
        turnover_week(stream, ag, P, c, ai, ia, aa, aa_n, fa, share)
        # support, then the introductions it brought about
        if len(isps.isp_hours) > 0:
            micro += support_week(stream, ag, isps, ai, ia, P, c, cat, week_hours, brokered,
                                  broken, caseload, means, nones, good_of_type)
            shown = 0
            for a in range(n_ag):
                if broken[a] and shown < CAPTIONS_PER_WEEK:
                    log, n_log = _log(log, n_log, week, BROKEN_PROMISE, a, isp_of[a], 0)
                    shown += 1
            for a in range(n_ag):
                for _ in range(brokered[a]):
                    aa, aa_n, b = _broker(stream, a, ag, ai, ia, aa, aa_n, linked, P)
                    if b >= 0:
                        log, n_log = _log(log, n_log, week, INTRODUCTION, isp_of[a], a, b)
        # partnerships
        if aa_n > 0 and P.partner_contact_rate > 0:
            micro += partnerships_week(stream, ag, aa, aa_n, P, c, delivers_from, good,
                                       delivering, learned)
        # emergency partnerships
        if emergency_partnerships.chance(P, c) > 0:
            aa, aa_n, log, n_log = _emergency_ties(stream, ag, aa, aa_n, linked, P, c, log,
                                                   n_log, week)
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

