"""What happens in a week, one phase at a time (docs/ODD.md, section 7).

Each phase comes in halves: ``*_chances`` says how likely each outcome is, and
``apply_*`` carries out outcomes already drawn; ``sim.schedule`` declares the order and
what is drawn, and the engines only differ in how they draw (one agent and one
micro-interaction at a time, or everything at once). ``idx`` is a slice or an array of
rows (agencies, tie rows or families); the agents engine passes arrays of one row.
Equations are in ``sim.rules``.
"""

from __future__ import annotations

import numpy as np

from sim import rules
from sim.catalogue import contact_tests
from sim.network import components
from sim.state import ABANDONED
from sim.world import World


def _tests(kind: str) -> np.ndarray:
    return contact_tests()[kind]


# --- shared views of the state ----------------------------------------------------------


def capacity_now(w: World, idx=slice(None)):
    p = w.p
    return rules.effective_capacity(w.state.capacity[idx], w.crisis, p.crisis_capacity_strain,
                                    min(1.0, p.resources_capacity * w.resources))


def readiness_now(w: World, idx=slice(None)):
    st, p = w.state, w.p
    return rules.effective_readiness(st.readiness[idx], st.champion[idx], p.champion_readiness,
                                     w.necessity, p.necessity_urgency)


def agency_trustworthiness(w: World, idx=slice(None)):
    """(ability, benevolence, integrity) of agencies as partners and service providers."""
    st = w.state
    ability = rules.agency_ability(capacity_now(w, idx), st.knowledge[idx],
                                   w.p.knowledge_ability_weight)
    return np.stack((ability, st.benevolence[idx], st.integrity[idx]), axis=-1)


def support_trust(w: World, idx=slice(None)):
    """An agency's trust in its ISP (the agency -> ISP tie is row ``idx``)."""
    return w.state.ties["agency_isp"].trust(w.p.prior_strength, idx)


def delivering(w: World, idx=slice(None)):
    stage = w.state.stage[idx]
    return (stage >= w.stages.delivers_from) & (stage != ABANDONED)


def caseload(w: World) -> np.ndarray:
    """Agencies (not abandoned) each ISP supports."""
    st = w.state
    served = (st.isp_of >= 0) & (st.stage != ABANDONED)
    return np.bincount(st.isp_of[served], minlength=st.n_isps)


def served_agencies(w: World) -> np.ndarray:
    """Agencies an active ISP supports this week."""
    st = w.state
    isp = np.maximum(st.isp_of, 0)
    ok = (st.isp_of >= 0) & (st.stage != ABANDONED)
    return np.flatnonzero(ok & st.isp_active[isp]) if st.n_isps else np.zeros(0, int)


# --- implementation support: ISP <-> agency micro-interactions -----------------------------


def note_broken_promise(w: World, a: int, isp: int) -> None:
    w.note(f"A broken promise at {w.state.name[a]} cut its trust in ISP {isp + 1}")


def broker(w: World, a: int) -> None:
    """The ISP introduces agency ``a`` to an agency it is not yet tied to, preferably one in
    another group of the partnership network (a bridge), both ties borrowing trust
    through the ISP (Josang discounting)."""
    st = w.state
    isp = st.isp_of[a]
    others = np.array([b for b in range(st.n_agencies)
                       if b != a and (a, b) not in st.partners and st.stage[b] != ABANDONED])
    if not len(others):
        return
    t = st.ties["agency_agency"]
    group = components(st.n_agencies, t.truster, t.trustee)
    bridges = others[group[others] != group[a]]
    pool = bridges if len(bridges) else others
    b = int(pool[int(w.rng.integers(len(pool)))])
    to_isp, isp_to = st.ties["agency_isp"], st.ties["isp_agency"]
    for x, y in ((a, b), (b, a)):
        r, s = rules.discounted_evidence(to_isp.r[x], to_isp.s[x], isp_to.r[y], isp_to.s[y],
                                         w.p.prior_strength)
        add_partnership(w, x, y, r, s)
    note_introduction(w, int(isp), a, b)


def note_introduction(w: World, isp: int, a: int, b: int) -> None:
    st = w.state
    w.note(f"ISP {isp + 1} introduced {st.name[a]} to {st.name[b]}: a new partnership "
           "built on borrowed trust")


def add_partnership(w: World, a: int, b: int, r=0.0, s=0.0) -> None:
    from sim.initialisation import partner_prior

    w.state.add_partnership(a, b, partner_prior(w.p, w.state, a, b), r, s)


# --- emergency partnerships (the resources explanation) --------------------------------------


def emergency_partnership_chances(w: World, idx):
    chance = min(1.0, w.p.resources_partnerships * w.resources)
    live = w.state.stage[idx] != ABANDONED
    return {"new": np.where(live, chance, 0.0)}


def apply_emergency_partnership(w: World, idx, drawn) -> None:
    """A public-private partnership formed under emergency rules: a new tie to an agency
    not yet a partner, starting from priors alone."""
    st = w.state
    for a in np.arange(st.n_agencies)[idx][np.asarray(drawn["new"], bool)]:
        others = [b for b in range(st.n_agencies) if b != a and (a, b) not in st.partners]
        if not others:
            continue
        b = others[int(w.rng.integers(len(others)))]
        add_partnership(w, int(a), b)
        add_partnership(w, b, int(a))
        note_emergency(w, int(a), b)


def note_emergency(w: World, a: int, b: int) -> None:
    st = w.state
    w.note(f"Emergency rules let {st.name[a]} and {st.name[b]} form a partnership")
