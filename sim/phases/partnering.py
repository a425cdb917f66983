"""New partnerships: whom an agency can be introduced to or partner with, and what a new
tie starts from. ISPs broker introductions (support), preferably across groups of the
partnership network (a bridge), both new ties borrowing trust through the ISP (Josang's
discounting); emergency rules let agencies form partnerships from priors alone (the
resources explanation of a crisis). A new tie's prior is the truster's propensity to
trust and the partner's reputation."""

from __future__ import annotations

import numpy as np

from sim import rules as R
from sim.jit import kernel, unit
from sim.network import components
from sim.phases import bundles
from sim.state import ABANDONED
from sim.world import World


@unit
def candidates(a, linked, stage, open_only, others):
    """Fill ``others`` with the agencies ``a`` has no tie to (``linked``: agency by
    agency), leaving out abandoned ones with ``open_only``; returns how many."""
    count = 0
    for b in range(len(stage)):
        if b != a and not linked[a, b] and not (open_only and stage[b] == ABANDONED):
            others[count] = b
            count += 1
    return count


@unit
def introduction_pool(a, linked, stage, group, others, pool):
    """Whom an ISP can introduce agency ``a`` to, into ``pool``: agencies it has no tie to
    and that have not abandoned, those in another group of the partnership network
    (``group``) if there are any; returns how many (0: nobody)."""
    count = candidates(a, linked, stage, True, others)
    n = 0
    for i in range(count):
        if group[others[i]] != group[a]:
            pool[n] = others[i]
            n += 1
    if n == 0:
        for i in range(count):
            pool[i] = others[i]
        n = count
    return n


@unit
def borrowed_evidence(ai, ia, x, y, P, r, s):
    """The evidence (into ``r``, ``s``) agency ``x`` borrows about agency ``y`` through
    their ISP: x's trust in the ISP discounts what the ISP knows of y."""
    ai_r, ai_s, ia_r, ia_s = ai.r, ai.s, ia.r, ia.s
    for d in range(3):
        r[d], s[d] = R.discounted_evidence(ai_r[x, d], ai_s[x, d], ia_r[y, d], ia_s[y, d],
                                           P.prior_strength)


@unit
def prior_of(ag, x, y, P):
    """Agency ``x``'s prior about a new partner ``y``."""
    propensity, benevolence, integrity = ag.propensity, ag.benevolence, ag.integrity
    return R.partner_prior_mean(propensity[x], benevolence[y], integrity[y],
                                P.propensity_weight)


# --- as the vectorized and agents engines form ties (on the State) -------------------------


def linked(w: World) -> np.ndarray:
    """Which agency already trusts which as a partner (agency by agency)."""
    n = w.state.n_agencies
    out = np.zeros((n, n), np.bool_)
    for a, b in w.state.partners:
        out[a, b] = True
    return out


@kernel
def _pool(a, linked_, stage, group):
    others, pool = np.empty(len(stage), np.int64), np.empty(len(stage), np.int64)
    return pool[:introduction_pool(a, linked_, stage, group, others, pool)]


@kernel
def _borrowed(ai, ia, x, y, P):
    r, s = np.empty(3), np.empty(3)
    borrowed_evidence(ai, ia, x, y, P, r, s)
    return r, s


def add_partnership(w: World, a: int, b: int, r=0.0, s=0.0) -> None:
    """A directed agency -> agency tie, from ``a``'s prior about ``b``."""
    P = bundles.params(w.p)
    w.state.add_partnership(a, b, prior_of(w.state, a, b, P), r, s)


def broker(w: World, a: int, u: float) -> int:
    """Agency ``a``'s ISP introduces it to one of the pool, picked by the uniform draw
    ``u``; both ties start from borrowed evidence. Returns the partner (-1: nobody)."""
    st = w.state
    t = st.ties["agency_agency"]
    pool = _pool(a, linked(w), st.stage, components(st.n_agencies, t.truster, t.trustee))
    if not len(pool):
        return -1
    b = int(pool[int(u * len(pool))])
    ai, ia = bundles.ties(st.ties["agency_isp"]), bundles.ties(st.ties["isp_agency"])
    P = bundles.params(w.p)
    for x, y in ((a, b), (b, a)):
        add_partnership(w, x, y, *_borrowed(ai, ia, x, y, P))
    return b
