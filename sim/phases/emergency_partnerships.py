"""Emergency partnerships: in a crisis, waived rules let agencies form public-private
partnerships (part of the resources explanation of the crisis pivot, beside emergency
funding); each week an agency forms one, with weekly chance
min(1, resources_partnerships x resources), with an agency it is not yet tied to, picked
at random, the new pair of ties starting from priors alone."""

from __future__ import annotations

import numpy as np

from sim.jit import kernel, unit
from sim.phases import bundles, partnering
from sim.phases.views import resources_reach
from sim.state import ABANDONED
from sim.world import World


@unit
def chance(P, crisis):
    """Each agency's weekly chance to form a partnership under emergency rules."""
    return resources_reach(P.resources_partnerships, P, crisis)


@unit
def chance_of(ag, a, P, crisis):
    """Agency ``a``'s chance (none once it abandoned)."""
    stage = ag.stage
    return chance(P, crisis) if stage[a] != ABANDONED else 0.0


@unit
def partner(others, count, u):
    """The partner picked by the uniform draw ``u`` among the ``count`` agencies in
    ``others`` it is not yet tied to (partnering.candidates; at least one)."""
    return others[int(u * count)]


# --- the phase as the vectorized and agents engines run it (sim.schedule) -----------------


@kernel
def _partners(rows, new, pick, linked, stage):
    others = np.empty(len(stage), np.int64)
    out = np.full(len(rows), -1, np.int64)
    for i in range(len(rows)):
        if not new[i]:
            continue
        count = partnering.candidates(rows[i], linked, stage, False, others)
        if count > 0:
            out[i] = partner(others, count, pick[i])
            # the next agency sees this partnership
            linked[rows[i], out[i]] = linked[out[i], rows[i]] = True
    return out


def chances_for(w: World, idx) -> dict[str, np.ndarray]:
    rows = np.atleast_1d(np.arange(w.state.n_agencies)[idx])
    ag, P = bundles.agencies(w.state), bundles.params(w.p)
    return {"new": np.array([chance_of(ag, a, P, w.crisis) for a in rows]), "rows": rows}


def apply(w: World, idx, drawn, chances) -> None:
    rows = chances["rows"]
    partners = _partners(rows, np.asarray(drawn["new"], np.bool_),
                         np.asarray(drawn["pick"], float), partnering.linked(w), w.state.stage)
    for a, b in zip(rows, partners, strict=True):
        if b >= 0:
            partnering.add_partnership(w, int(a), int(b))
            partnering.add_partnership(w, int(b), int(a))
            note_emergency(w, int(a), int(b))


def note_emergency(w: World, a: int, b: int) -> None:
    st = w.state
    w.note(f"Emergency rules let {st.name[a]} and {st.name[b]} form a partnership")
