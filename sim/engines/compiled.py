"""The compiled engine: the declared week (sim.schedule) with each phase's loop compiled.

The vectorized engine pays Python's call overhead on every small numpy operation (about a
thousand a simulated week on a county's arrays of 12 agencies), which is what bounds a
sweep. Here each drawing phase is one compiled loop (numba) over its units that computes
the chances with the rules of ``sim.rules`` (compiled from the same functions), draws
the outcomes from the run's own generator as it goes and applies them. A run's numbers
therefore depend on its seed only, never on which other runs share its process or task.

Phases without a compiled loop here (forgetting, upkeep, emergency partnerships, and any
phase added to the schedule later) run as in the vectorized engine, so every phase of
``SCHEDULE`` runs whatever the engine. Rare structural changes (a broker's introduction)
go back to ``sim.processes``, which owns the tie lists. The engine draws its randomness
in a different order than the other two, so runs agree with them in distribution (the
docking test), not number by number.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba
import numpy as np

from sim import processes as pr
from sim import rules as R
from sim.catalogue import DRIVERS, EFFECTS, contact_strain, contact_tests
from sim.engines.draws import run_units
from sim.schedule import SCHEDULE
from sim.state import ABANDONED
from sim.world import World

_FIT = EFFECTS.index("fit")


def _cache_dir() -> str:
    """Where compiled loops are cached: numba checks only this file's date, not the rules
    it inlines, so the folder is named after both files' contents; a changed rule is
    compiled afresh instead of read back stale."""
    digest = hashlib.sha256()
    for path in (Path(R.__file__), Path(__file__)):
        digest.update(path.read_bytes())
    base = numba.config.CACHE_DIR or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "trustsim")
    return os.path.join(base, f"numba-{digest.hexdigest()[:16]}")


_USER_CACHE_DIR = numba.config.CACHE_DIR
numba.config.CACHE_DIR = _cache_dir()  # read when each loop below is decorated


def njit(fn):
    return numba.njit(cache=True)(fn)


# --- small compiled helpers -------------------------------------------------------------------


@njit
def _reseed(seed):
    np.random.seed(seed)


@njit
def _tie_trust(r, s, prior, row, weight):
    """rules.overall_trust for one tie row."""
    total = 0.0
    for d in range(3):
        total += R.expected_trust(r[row, d], s[row, d], prior[row, d], weight)
    return total / 3.0


@njit
def _capacity_now(capacity, crisis, strain, funding):
    return R.effective_capacity(capacity, crisis, strain, funding)


@njit
def _agency_tw_dot(tests, ability, benevolence, integrity):
    return tests[0] * ability + tests[1] * benevolence + tests[2] * integrity


@njit
def _add_evidence(r, s, row, tests, good, bad):
    for d in range(3):
        r[row, d] += good * tests[d]
        s[row, d] += bad * tests[d]


# --- turnover -------------------------------------------------------------------------------


@njit
def _turnover(chance, staff, champion, knowledge, fidelity, fidelity_with_leavers,
              share):
    """Leavers (binomial over staff) and a champion's departure, per agency; fills
    ``share`` with the share of staff that left (for the evidence they take)."""
    any_left = False
    for a in range(len(staff)):
        leavers = np.random.binomial(staff[a], chance)
        u = np.random.random()
        share[a] = leavers / staff[a]
        if leavers > 0:
            any_left = True
            knowledge[a] *= 1.0 - share[a]
            fidelity[a] *= 1.0 - fidelity_with_leavers * share[a]
        if champion[a] > 0 and u < chance:
            champion[a] = 0.0
    return any_left


@njit
def _wipe(share, first, second, r, s, s_open):
    """Take ``share`` of the evidence of each tie that touches an agency (rules.wipe);
    ``first``/``second`` are the agency ends of each tie (second < 0: one end only)."""
    for i in range(len(first)):
        keep = 1.0 - share[first[i]]
        if second[i] >= 0:
            keep *= 1.0 - share[second[i]]
        if keep < 1.0:
            for d in range(3):
                r[i, d] *= keep
                s[i, d] *= keep
                s_open[i, d] *= keep


# --- implementation support -------------------------------------------------------------------


@njit
def _support(served, isp_of, caseload, isp_hours, isp_mix, isp_tw, cap, knowledge,
             benevolence, integrity, effects_state, pressure, to_r, to_s, to_open, to_prior,
             back_r, back_s, cat_rate, cat_tests, cat_quality, cat_legit, cat_strain,
             cat_evidence, cat_negative, cat_reciprocal, cat_encounter, cat_repair, gains,
             cat_pressure, cat_hours_each, cat_broker, promised, shares_co, shares_td,
             shares_crisis, q, week_hours, brokered, broken):
    """ISPs' micro-interactions with each served agency: chances, draws and their effects
    on both ties and on the agency (sim.processes.support_chances / apply_support)."""
    surge, shift, shared, authority, asymmetry, prior_w, recept_exp, kaw, repair_a, \
        repair_b, repair_i = q
    n_types = len(cat_rate)
    counts = np.zeros(n_types)
    good = np.zeros(n_types)
    micro = 0
    for a in served:
        j = isp_of[a]
        hours = isp_hours[j] * (1.0 + surge) / max(caseload[j], 1)
        trust = _tie_trust(to_r, to_s, to_prior, a, prior_w)
        legit = R.legitimacy(trust, authority)
        strain = 1.0 - cap[a]
        ability = R.agency_ability(cap[a], knowledge[a], kaw)
        addressed = False
        bad_promise = False
        n_broker = 0
        for k in range(n_types):
            normal = isp_mix[j] * shares_co[k] + (1.0 - isp_mix[j]) * shares_td[k]
            share = (1.0 - shift) * normal + shift * shares_crisis[k]
            c = np.random.poisson(hours * share * cat_rate[k])
            counts[k] = c
            good[k] = 0.0
            if c == 0:
                continue
            tests = cat_tests[k]
            tw = tests[0] * isp_tw[j, 0] + tests[1] * isp_tw[j, 1] + tests[2] * isp_tw[j, 2]
            p_good = R.experienced_well(tw, tests[1], cat_quality[k], legit, cat_legit[k],
                                        strain, cat_strain[k], shared)
            g = np.random.binomial(c, p_good)
            good[k] = g
            bad = (c - g) * cat_encounter[k]
            _add_evidence(to_r, to_s, a, tests, g * cat_evidence[k],
                          bad * (cat_evidence[k] * asymmetry * cat_negative[k]))
            for d in range(3):
                to_open[a, d] += bad * (cat_evidence[k] * asymmetry * cat_negative[k]) * tests[d]
            if cat_reciprocal[k]:
                p_kept = R.experienced_well(
                    _agency_tw_dot(tests, ability, benevolence[a], integrity[a]), tests[1],
                    1.0, 1.0, 0.0, strain, cat_strain[k], shared)
                kept = np.random.binomial(c, p_kept)
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
        recept = R.receptivity(_tie_trust(to_r, to_s, to_prior, a, prior_w), recept_exp)
        for e in range(len(effects_state)):
            total = 0.0
            for k in range(n_types):
                if good[k] > 0:
                    total += good[k] * R.log_gap_kept(gains[k, e] * recept)
            effects_state[e][a] = R.gap_closed(effects_state[e][a], total)
        brokered[a] = n_broker
        broken[a] = bad_promise
    return micro


# --- partnerships -----------------------------------------------------------------------------


@njit
def _partnerships(truster, trustee, r, s, prior, stage, p_good, delivering, rate, asym,
                  tests, prior_w, recept_exp, knowledge, peer_learning):
    """Joint-work contacts on every partnership tie, their evidence, and peer learning from
    delivering partners (sim.processes.partner_chances / apply_partnership)."""
    learned = np.zeros(len(knowledge))
    micro = 0
    for i in range(len(truster)):
        if stage[truster[i]] == ABANDONED:
            continue
        c = np.random.poisson(rate)
        if c == 0:
            continue
        g = np.random.binomial(c, p_good[trustee[i]])
        _add_evidence(r, s, i, tests, g, (c - g) * asym)
        micro += c
        if delivering[trustee[i]]:
            learned[truster[i]] += g * R.receptivity(_tie_trust(r, s, prior, i, prior_w),
                                                     recept_exp)
    keep = R.log_gap_kept(peer_learning)
    for a in range(len(knowledge)):
        if learned[a] > 0:
            knowledge[a] = R.gap_closed(knowledge[a], learned[a] * keep)
    return micro


# --- families ---------------------------------------------------------------------------------


@njit
def _families(fam_agency, fam_group, engaged, eligible, trustee, r, s, prior,
              group_prior, quality, voice, delivering, q, tests):
    """Cases close and open, families meet their agency and engage or disengage
    (sim.processes.family_chances / apply_family). Engagement is drawn only for families
    not engaged and disengagement only for engaged ones: the other draw could not change
    anything."""
    close, contact, wom, voice_effect, power_gap, engage_rate, leave_rate, lapse, asym, \
        prior_w, eligibility = q
    n_agencies, n_groups = len(quality), len(group_prior)
    community = np.zeros(n_agencies * n_groups)
    if wom > 0:
        count = np.zeros(n_agencies * n_groups)
        for f in range(len(fam_agency)):
            key = fam_agency[f] * n_groups + fam_group[f]
            community[key] += _tie_trust(r, s, prior, f, prior_w)
            count[key] += 1
        for key in range(len(count)):
            if count[key] > 0:
                community[key] /= count[key]
    micro = 0
    for f in range(len(fam_agency)):
        a = fam_agency[f]
        total = 0.0
        for d in range(3):
            m = prior[f, d]
            if wom > 0:
                m = (1 - wom) * m + wom * community[a * n_groups + fam_group[f]]
            total += R.expected_trust(r[f, d], s[f, d], m, prior_w)
        trust = total / 3.0
        serves = delivering[a] and eligible[f]
        if np.random.random() < contact:
            micro += 1
            p_good = R.family_experience_probability(quality[a], group_prior[fam_group[f]],
                                                     voice[a], voice_effect, power_gap)
            if np.random.random() < p_good:
                _add_evidence(r, s, f, tests, 1.0, 0.0)
            else:
                _add_evidence(r, s, f, tests, 0.0, asym)
        if engaged[f]:
            engaged[f] = serves and not (
                np.random.random() < R.disengagement_probability(leave_rate, trust, lapse))
        elif serves:
            engaged[f] = np.random.random() < R.engagement_probability(engage_rate, trust, voice[a])
        if np.random.random() < close:
            new = int(np.random.random() * n_agencies)
            fam_agency[f] = new
            trustee[f] = new
            for d in range(3):
                r[f, d] = 0.0
                s[f, d] = 0.0
            engaged[f] = False
            eligible[f] = np.random.random() < eligibility
    return micro


# --- implementation stages --------------------------------------------------------------------


@njit
def _stages(stage, exposure, trust, readiness, cap, drivers_now, exponents, fit,
            fidelity, pressure, depth, advances, weeks_at_full, tab, full, last, q):
    """One uniform draw per agency: move on, fall back, abandon or stay
    (sim.processes.stage_chances / apply_stage)."""
    innovation_rate, peer_influence, mandate_weight, complexity, novelty, relationships, \
        risk, sustainment_weeks, fallback_base, shallow, abandon_base = q
    for a in range(len(stage)):
        u = np.random.random()
        old = stage[a]
        if old == ABANDONED:
            continue
        drive = 1.0
        for d in range(exponents.shape[1]):
            if exponents[old, d] != 0.0:
                drive *= np.power(R.clip01(drivers_now[d, a]), exponents[old, d])
        difficulty = R.innovation_difficulty(complexity, novelty, tab[old, 4], tab[old, 5])
        taking = R.risk_taking(trust[a], relationships, risk)
        mandate = mandate_weight * tab[old, 2] * pressure[a]
        rate = R.advance_rate(innovation_rate * tab[old, 0] * difficulty * taking, drive,
                              peer_influence * tab[old, 1], exposure[a],
                              mandate_weight * tab[old, 2], pressure[a])
        earned = old != full or weeks_at_full[a] >= sustainment_weeks
        advance = R.hazard(rate) if earned else 0.0
        sustain = R.sustain_strength(fit[a], fidelity[a], trust[a])
        fall = R.hazard(tab[old, 3] * R.fallback_rate(fallback_base, sustain, depth[a],
                                                      pressure[a], shallow))
        quit_ = R.hazard(tab[old, 6] * R.abandon_rate(abandon_base, readiness[a], trust[a],
                                                      cap[a]))
        total = advance + fall + quit_
        if total > 1:
            advance, fall, quit_ = advance / total, fall / total, quit_ / total
        if u < advance:
            if old < full:
                share = mandate / rate if rate > 0 else 0.0
                depth[a] = (depth[a] * advances[a] + (1 - share)) / (advances[a] + 1)
                advances[a] += 1
            stage[a] = min(old + 1, last)
        elif u < advance + fall:
            stage[a] = max(old - 1, 0)
        elif u < advance + fall + quit_:
            stage[a] = ABANDONED


# --- the week ------------------------------------------------------------------------------


def _agency_ends(w: World):
    """Each tie kind with the agency ends whose departing staff take its evidence
    (sim.processes.wipe_agency_evidence)."""
    ties = w.state.ties
    out = []
    for kind, first, second in (("agency_isp", "truster", None),
                                ("isp_agency", "trustee", None),
                                ("agency_agency", "truster", "trustee"),
                                ("family_agency", "trustee", None)):
        t = ties[kind]
        if len(t):
            other = getattr(t, second) if second else np.full(len(t), -1)
            out.append((getattr(t, first), other, t.r, t.s, t.s_open))
    return out


def turnover(w: World) -> None:
    st, p = w.state, w.p
    chance = float(R.weekly_turnover(p.turnover_per_year, w.crisis, p.crisis_turnover))
    share = np.zeros(st.n_agencies)
    if _turnover(chance, st.staff, st.champion, st.knowledge, st.fidelity,
                 pr.FIDELITY_WITH_LEAVERS, share):
        share *= p.person_bound_share
        for first, second, r, s, s_open in _agency_ends(w):
            _wipe(share, first, second, r, s, s_open)


def _catalogue_arrays(w: World) -> dict:
    """The catalogue as the support loop reads it, derived once per run."""
    if "catalogue" not in w.derived:
        w.derived["catalogue"] = _derive_catalogue(w)
    return w.derived["catalogue"]


def _derive_catalogue(w: World) -> dict:
    cat = w.catalogue
    gains = cat.effects.copy()
    gains[:, _FIT] *= w.p.innovation_adaptability
    return dict(
        cat_rate=cat.group_size / cat.hours, cat_tests=cat.tests, cat_quality=cat.quality,
        cat_legit=cat.legitimacy_needed, cat_strain=cat.strain_sensitivity,
        cat_evidence=cat.evidence, cat_negative=cat.negative_weight,
        cat_reciprocal=cat.reciprocal, cat_encounter=cat.encounter.astype(float),
        cat_repair=cat.repair, gains=gains, cat_pressure=cat.pressure,
        cat_hours_each=cat.hours / cat.group_size, cat_broker=cat.broker.astype(np.int64),
        promised=cat.reciprocal & (cat.negative_weight > 1), shares_co=cat.co_creative,
        shares_td=cat.top_down, shares_crisis=cat.crisis)


def support(w: World) -> None:
    st, p = w.state, w.p
    served = pr.served_agencies(w)
    if not len(served):
        return
    to_isp, isp_to = st.ties["agency_isp"], st.ties["isp_agency"]
    q = (p.isp_surge * w.crisis, min(1.0, p.relationships_contact * w.relationships),
         min(1.0, p.relationships_sensitivity * w.relationships), p.mandate_authority,
         p.asymmetry, p.prior_strength, p.receptivity, p.knowledge_ability_weight,
         p.repair_ability, p.repair_benevolence, p.repair_integrity)
    brokered = np.zeros(st.n_agencies, dtype=np.int64)
    broken = np.zeros(st.n_agencies, dtype=np.bool_)
    w.micro_interactions += _support(
        served, st.isp_of, pr.caseload(w), st.isp_hours, st.isp_mix,
        st.isp_trustworthiness, pr.capacity_now(w), st.knowledge, st.benevolence,
        st.integrity, tuple(getattr(st, e) for e in EFFECTS), st.pressure, to_isp.r,
        to_isp.s, to_isp.s_open, to_isp.prior, isp_to.r, isp_to.s, q=q,
        week_hours=st.week_hours, brokered=brokered, broken=broken,
        **_catalogue_arrays(w))
    for a in np.flatnonzero(broken)[:pr.CAPTIONS_PER_WEEK]:
        w.note(f"A broken promise at {st.name[a]} cut its trust in ISP {st.isp_of[a] + 1}")
    for a in np.flatnonzero(brokered):
        for _ in range(int(brokered[a])):
            pr.broker(w, int(a))


def partnerships(w: World) -> None:
    st, p = w.state, w.p
    t = st.ties["agency_agency"]
    shared = min(1.0, p.relationships_sensitivity * w.relationships)
    p_good = R.success_probability(
        pr.agency_trustworthiness(w), contact_tests()["partner_contact"], 1.0, 1.0, 0.0,
        1.0 - pr.capacity_now(w), contact_strain()["partner_contact"], shared)
    rate = p.partner_contact_rate * (1.0 + p.relationships_collaboration * w.relationships)
    w.micro_interactions += _partnerships(
        t.truster, t.trustee, t.r, t.s, t.prior, st.stage, p_good, pr.delivering(w),
        rate, p.asymmetry, contact_tests()["partner_contact"], p.prior_strength,
        p.receptivity, st.knowledge, p.peer_learning)


def families(w: World) -> None:
    st, p = w.state, w.p
    t = st.ties["family_agency"]
    tests = contact_tests()["family_contact"]
    q = (float(R.case_closure_probability(p.family_case_weeks)),
         min(1.0, p.family_contact_rate * (1.0 + p.crisis_family_need * w.crisis)),
         p.word_of_mouth, p.voice_effect, p.power_gap, p.family_engagement_rate,
         p.family_disengagement_rate, p.family_lapse_rate, p.asymmetry, p.prior_strength,
         p.family_eligibility)
    w.micro_interactions += _families(
        st.family_agency, st.family_group, st.engaged, st.eligible, t.trustee, t.r,
        t.s, t.prior, st.group_prior, pr.agency_trustworthiness(w) @ tests, st.voice,
        pr.delivering(w), q, tests)


def stages(w: World) -> None:
    st, p, tab = w.state, w.p, w.stages
    trust = pr.support_trust(w)
    readiness, cap = pr.readiness_now(w), pr.capacity_now(w)
    barrier = min(1.0, p.necessity_barriers * w.necessity)
    drivers = {"readiness": readiness, "capacity": R.lowered_barrier(cap, barrier),
               "fit": R.lowered_barrier(st.fit, barrier), "knowledge": st.knowledge,
               "fidelity": st.fidelity, "leadership": R.lowered_barrier(st.leadership, barrier),
               "trust": trust, "evidence": np.full(st.n_agencies, p.innovation_evidence)}
    q = (p.innovation_rate, p.peer_influence, p.mandate_weight,
         p.innovation_complexity * (1.0 - min(1.0, p.resources_waivers * w.resources)),
         p.innovation_novelty, w.relationships, p.relationships_risk,
         float(p.sustainment_weeks), p.fallback_rate, p.shallow_fallback, p.abandon_rate)
    old = st.stage.copy()
    _stages(st.stage, pr.peer_exposure(w), trust, readiness, cap,
            np.stack([drivers[d] for d in DRIVERS]), tab.driver_matrix, st.fit, st.fidelity,
            st.pressure, st.depth, st.advances, st.weeks_at_full, tab.matrix, tab.full,
            tab.last, q)
    for a in np.flatnonzero(st.stage != old):
        pr.note_stage_change(w, int(a), int(old[a]), int(st.stage[a]))


numba.config.CACHE_DIR = _USER_CACHE_DIR  # other numba users keep their setting

COMPILED = {"turnover": turnover, "support": support, "partnerships": partnerships,
            "families": families, "stages": stages}
"""The phases with a compiled loop, by name in sim.schedule.SCHEDULE."""


def step(w: World, model=None) -> None:
    """The declared week: compiled loops where there are, the vectorized phase elsewhere.

    The loops draw from numba's own generator (per thread), seeded each week from the
    run's generator: a week's draws depend only on the run's seed and its past."""
    _reseed(int(w.rng.integers(2**32)))
    for phase in SCHEDULE:
        if not phase.when(w):
            continue
        if phase.name in COMPILED:
            COMPILED[phase.name](w)
        elif phase.actor == "world":
            phase.apply(w)
        else:
            run_units(w, phase, phase.units(w, None),
                      phase.prepare(w) if phase.prepare else None, one_by_one=False)
