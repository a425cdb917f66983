"""Implementation stages: each week an agency moves on, falls back, abandons or stays,
with one draw. Moving on is driven by the stage's drivers (readiness, capacity, fit,
knowledge, fidelity, leadership, trust, evidence: CFIR 2.0), by exposure to trusted
partners that deliver (Bass 1969; Rogers), and by mandate pressure; what holds an agency
at its stage is fit, fidelity and trust; the Stages of Implementation Completion name the
stages (sim/data/stages.yaml). Equations are in ``sim.rules``."""

from __future__ import annotations

import numpy as np

from sim import rules as R
from sim.catalogue import DRIVERS
from sim.jit import kernel, unit
from sim.phases import bundles
from sim.phases.views import capacity_now, delivers, readiness_now, resources_reach, tie_trust
from sim.state import ABANDONED
from sim.world import World

if DRIVERS != ("readiness", "capacity", "fit", "knowledge", "fidelity", "leadership", "trust",
               "evidence"):  # pragma: no cover
    raise ImportError("sim.phases.stages: chances lists the drivers in an older order")

@unit
def peer_exposure(ag, aa, n, P, delivers_from, trusted):
    """Each agency's exposure to trusted partners that deliver the practice (the first
    ``n`` partnership ties), from the start-of-phase snapshot every agency sees, into
    ``trusted`` (one per agency)."""
    stage, truster, trustee, r, s, prior = (ag.stage, aa.truster, aa.trustee, aa.r, aa.s,
                                            aa.prior)
    trusted[:] = 0.0
    for i in range(n):
        if delivers(stage[trustee[i]], delivers_from):
            trusted[truster[i]] += tie_trust(r, s, prior, i, P.prior_strength)
    for a in range(len(trusted)):
        trusted[a] = R.peer_exposure(trusted[a], P.peer_reference)


@unit
def chances(ag, a, ai, exposure, P, tab, crisis):
    """Agency ``a``'s chances this week to move on, fall back and abandon, and the
    mandate's share of the push to move on (for shallow adoption). ``ai`` holds its trust
    in its ISP (row ``a``), ``exposure`` its exposure to delivering partners."""
    stage, pressure, fit, fidelity = ag.stage, ag.pressure, ag.fit, ag.fidelity
    knowledge, leadership, depth = ag.knowledge, ag.leadership, ag.depth
    weeks_at_full, exponents = ag.weeks_at_full, tab.exponents
    ai_r, ai_s, ai_prior = ai.r, ai.s, ai.prior
    old = stage[a]
    if old == ABANDONED:
        return 0.0, 0.0, 0.0, 0.0
    necessity = P.crisis_necessity * crisis
    barrier = min(1.0, P.necessity_barriers * necessity)
    trust = tie_trust(ai_r, ai_s, ai_prior, a, P.prior_strength)
    ready, cap = readiness_now(ag, a, P, crisis), capacity_now(ag, a, P, crisis)
    # the drivers in the order of catalogue.DRIVERS; necessity lowers the barriers of
    # capacity, fit and leadership
    drivers = (ready, R.lowered_barrier(cap, barrier), R.lowered_barrier(fit[a], barrier),
               knowledge[a], fidelity[a], R.lowered_barrier(leadership[a], barrier), trust,
               P.innovation_evidence)
    drive = 1.0  # rules.stage_drive
    for d in range(len(drivers)):
        e = exponents[old, d]
        if e == 1.0:  # pow(x, 1) is x exactly (pow errs under one ulp): no call
            drive *= R.clip01(drivers[d])
        elif e != 0.0:
            drive *= np.power(R.clip01(drivers[d]), e)
    complexity = P.innovation_complexity * (1.0 - resources_reach(P.resources_waivers, P, crisis))
    difficulty = R.innovation_difficulty(complexity, P.innovation_novelty,
                                         tab.complexity[old], tab.novelty[old])
    taking = R.risk_taking(trust, P.crisis_relationships * crisis, P.relationships_risk)
    mandate = P.mandate_weight * tab.mandate[old] * pressure[a]
    rate = R.advance_rate(P.innovation_rate * tab.rate[old] * difficulty * taking, drive,
                          P.peer_influence * tab.peer[old], exposure[a],
                          P.mandate_weight * tab.mandate[old], pressure[a])
    earned = old != tab.full or weeks_at_full[a] >= P.sustainment_weeks
    advance = R.hazard(rate) if earned else 0.0
    sustain = R.sustain_strength(fit[a], fidelity[a], trust)
    fall = R.hazard(tab.fallback[old] * R.fallback_rate(P.fallback_rate, sustain, depth[a],
                                                        pressure[a], P.shallow_fallback))
    quit_ = R.hazard(tab.abandon[old] * R.abandon_rate(P.abandon_rate, ready, trust, cap))
    return advance, fall, quit_, mandate / rate if rate > 0 else 0.0


@unit
def move(ag, a, u, advance, fall, quit_, mandate_share, tab):
    """The uniform draw ``u`` decides: move on, fall back, abandon, or stay. Moving on
    before full implementation records how much of the push was mandate (depth)."""
    stage, advances, depth = ag.stage, ag.advances, ag.depth
    old = stage[a]
    if old == ABANDONED:
        return
    total = advance + fall + quit_
    if total > 1:
        advance, fall, quit_ = advance / total, fall / total, quit_ / total
    if u < advance:
        if old < tab.full:
            n = advances[a]
            depth[a] = (depth[a] * n + (1 - mandate_share)) / (n + 1)
            advances[a] = n + 1
        stage[a] = min(old + 1, tab.last)
    elif u < advance + fall:
        stage[a] = max(old - 1, 0)
    elif u < advance + fall + quit_:
        stage[a] = ABANDONED


# --- the phase as the vectorized and agents engines run it (sim.schedule) -----------------


@kernel
def _exposure(ag, aa, n, P, delivers_from):
    exposure = np.empty(len(ag.stage))
    peer_exposure(ag, aa, n, P, delivers_from, exposure)
    return exposure


@kernel
def _chances(ag, rows, ai, exposure, P, tab, crisis):
    out = np.empty((len(rows), 4))
    for i in range(len(rows)):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = chances(ag, rows[i], ai, exposure, P,
                                                             tab, crisis)
    return out


@kernel
def _move(ag, rows, u, ch, tab):
    for i in range(len(rows)):
        move(ag, rows[i], u[i], ch[i, 0], ch[i, 1], ch[i, 2], ch[i, 3], tab)


def prepare_for(w: World) -> np.ndarray:
    st = w.state
    aa = st.ties["agency_agency"]
    return _exposure(bundles.agencies(st), bundles.ties(aa), len(aa), bundles.params(w.p),
                     w.stages.delivers_from)


def chances_for(w: World, idx, exposure) -> dict[str, np.ndarray]:
    st = w.state
    rows = np.arange(st.n_agencies)[idx]
    table = _chances(bundles.agencies(st), rows, bundles.ties(st.ties["agency_isp"]),
                     exposure, bundles.params(w.p), bundles.stages(w.stages), w.crisis)
    return {"table": table, "u_for": rows}


def apply(w: World, idx, drawn, chances_) -> None:
    st = w.state
    rows = chances_["u_for"]
    old = st.stage[rows].copy()
    _move(bundles.agencies(st), rows, np.asarray(drawn["u"], float), chances_["table"],
          bundles.stages(w.stages))
    for a, before in zip(rows, old, strict=True):
        if st.stage[a] != before:
            note_stage_change(w, int(a), int(before), int(st.stage[a]))


def note_stage_change(w: World, a: int, old: int, new: int) -> None:
    name, label = w.state.name[a], w.stages.label
    if new == ABANDONED:
        w.note(f"{name} abandoned the effort during {label(old)}")
    elif new > old:
        w.note(f"{name} moved on to {label(new)}")
    else:
        w.note(f"{name} fell back from {label(old)} to {label(new)}")
