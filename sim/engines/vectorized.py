"""The default engine: every agent's week drawn at once, as arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import processes as pr
from sim.state import TIE_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import TrustModel

# Broken promises captioned per week, at most (the dashboard shows the latest few).
CAPTIONS_PER_WEEK = 2


def step(m: TrustModel) -> None:
    st, rng = m.state, m.rng
    for kind in TIE_KINDS:
        pr.forget(m, kind)
    agencies = slice(None)  # every agency; a slice avoids fancy-index copies
    pr.apply_turnover(m, agencies, rng.binomial(st.staff, pr.turnover_chance(m)))
    pr.champion_leaves(m, agencies, rng.random(st.n_agencies))
    _support(m, agencies)
    _partnerships(m)
    _families(m)
    chances = pr.stage_chances(m, agencies, pr.peer_share(m))
    pr.apply_stage(m, agencies, rng.random(st.n_agencies), chances)
    pr.upkeep(m, agencies)


def _support(m: TrustModel, agencies: slice) -> None:
    if not m.state.n_isps:
        return
    rng = m.rng
    counts = rng.poisson(pr.support_rates(m, agencies))
    good_p, kept_p = pr.support_chances(m, agencies)
    good = rng.binomial(counts, good_p)
    kept = rng.binomial(counts, kept_p)
    _caption_broken_promises(m, counts - good)
    pr.apply_support(m, agencies, counts, good, kept)


def _caption_broken_promises(m: TrustModel, broken) -> None:
    """Caption a few promises the ISPs broke this week (the agency's trust falls)."""
    promised = m.catalogue.reciprocal & (m.catalogue.negative_weight > 1)
    hit = np.flatnonzero((broken * promised).sum(axis=1) > 0)
    for a in hit[:CAPTIONS_PER_WEEK]:
        m.note_broken_promise(int(a))


def _partnerships(m: TrustModel) -> None:
    if not len(m.state.ties["agency_agency"]) or not m.p.partner_contact_rate:
        return
    rows = slice(None)
    counts = m.rng.poisson(pr.partner_rates(m, rows))
    good = m.rng.binomial(counts, pr.partner_chances(m, rows))
    pr.apply_partnership(m, rows, counts, good)


def _families(m: TrustModel) -> None:
    n = m.state.n_families
    if not n:
        return
    rng = m.rng
    families = slice(None)
    community = pr.community_trust(m) if m.p.word_of_mouth > 0 else None
    contact_p, good_p, engage_p, leave_p = pr.family_chances(m, families, community)
    contact = rng.random(n) < contact_p
    good = contact & (rng.random(n) < good_p)
    pr.apply_family(m, families, contact, good, rng.random(n) < engage_p,
                    rng.random(n) < leave_p)
