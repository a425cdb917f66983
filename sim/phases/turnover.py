"""Staff turnover: staff leave each week, taking what they knew, part of the agency's
fidelity and their share of the evidence on every tie the agency is part of
(person-bound trust, 'Relationships' TA brief); a champion leaves with the same chance
as anyone. A crisis raises the rate (rules.weekly_turnover)."""

from __future__ import annotations

import numpy as np

from sim import rules as R
from sim.jit import kernel, unit
from sim.phases import bundles
from sim.world import World

#: Share of an agency's fidelity that leaves with departing staff, per unit of staff share:
#: half, because fidelity also lives in routines, supervision and materials that stay
#: (a modelling assumption, not from a source).
FIDELITY_WITH_LEAVERS = 0.5


@unit
def leave_chance(P, crisis):
    """Each staff member's (and a champion's) chance of leaving this week."""
    return R.weekly_turnover(P.turnover_per_year, crisis, P.crisis_turnover)


@unit
def staff_leave(ag, a, leavers, share):
    """``leavers`` of agency ``a``'s staff leave with their knowledge and part of its
    fidelity; ``share[a]`` gets the share of staff that left (the evidence they take is
    wiped once every agency has acted, ``wipe``)."""
    staff, knowledge, fidelity = ag.staff, ag.knowledge, ag.fidelity
    share[a] = leavers / staff[a]
    if leavers > 0:
        knowledge[a] *= 1.0 - share[a]
        fidelity[a] *= 1.0 - FIDELITY_WITH_LEAVERS * share[a]


@unit
def champion_leaves(ag, a, u, chance):
    """The champion leaves when the uniform draw ``u`` falls under the chance."""
    champion = ag.champion
    if champion[a] > 0 and u < chance:
        champion[a] = 0.0


@unit
def wipe(t, n, share, truster_is_agency, trustee_is_agency):
    """``share[a]`` of the evidence on each of the first ``n`` ties that touch agency
    ``a`` leaves with its staff (rules.wipe); the flags say which ends are agencies."""
    truster, trustee, r, s, s_open = t.truster, t.trustee, t.r, t.s, t.s_open
    for i in range(n):
        keep = 1.0
        if truster_is_agency:
            keep *= 1.0 - share[truster[i]]
        if trustee_is_agency:
            keep *= 1.0 - share[trustee[i]]
        if keep < 1.0:
            for d in range(3):
                r[i, d] *= keep
                s[i, d] *= keep
                s_open[i, d] *= keep


#: Which ends of each kind of tie are agencies (the others are ISPs or families).
AGENCY_ENDS = {"agency_isp": (True, False), "isp_agency": (False, True),
               "agency_agency": (True, True), "family_agency": (False, True)}


@kernel
def _turnover(ag, rows, leavers, u, chance, share):
    for i in range(len(rows)):
        staff_leave(ag, rows[i], leavers[i], share)
        champion_leaves(ag, rows[i], u[i], chance)


@kernel
def _lose_staff(ag, rows, leavers, share):
    for i in range(len(rows)):
        staff_leave(ag, rows[i], leavers[i], share)


@kernel
def _wipe(t, n, share, truster_is_agency, trustee_is_agency):
    wipe(t, n, share, truster_is_agency, trustee_is_agency)


# --- the phase as the vectorized and agents engines run it (sim.schedule) -----------------


def chances_for(w: World, idx) -> dict[str, np.ndarray]:
    staff = w.state.staff[idx]
    chance = leave_chance(bundles.params(w.p), w.crisis)
    return {"staff": staff, "leave": np.full(np.shape(staff), chance)}


def apply(w: World, idx, drawn) -> None:
    st = w.state
    rows = np.arange(st.n_agencies)[idx]
    share = np.zeros(st.n_agencies)
    chance = leave_chance(bundles.params(w.p), w.crisis)
    _turnover(bundles.agencies(st), rows, np.asarray(drawn["leavers"], np.int64),
              np.asarray(drawn["u"], float), chance, share)
    wipe_agency_evidence(w, share * w.p.person_bound_share)


def lose_staff(w: World, idx, leavers) -> None:
    """Staff leave outside the weekly draw (a turnover wave, ``sim.events``)."""
    st = w.state
    rows = np.arange(st.n_agencies)[idx]
    share = np.zeros(st.n_agencies)
    _lose_staff(bundles.agencies(st), rows, np.asarray(leavers, np.int64), share)
    wipe_agency_evidence(w, share * w.p.person_bound_share)


def wipe_agency_evidence(w: World, share: np.ndarray) -> None:
    """Remove ``share[a]`` of the evidence on every tie touching agency ``a``."""
    if not share.any():
        return
    for kind, ends in AGENCY_ENDS.items():
        t = w.state.ties[kind]
        _wipe(bundles.ties(t), len(t), share, *ends)
