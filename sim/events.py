"""Timeline events acting on a running model: a grant ending, a funding cut, a turnover
wave, a partner joining, a leadership change, a strategy switch, a trust violation
('Relationships' TA brief for turnover, partners and leadership). Crisis intensity itself
is read from the timeline each week, and its effects live in the phases (``sim.phases``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import rules
from sim.catalogue import DIMENSIONS
from sim.initialisation import agency_values
from sim.phases import turnover
from sim.timeline import (
    FundingCut,
    LeadershipChange,
    PartnerJoins,
    StrategySwitch,
    SupportWithdrawn,
    TurnoverWave,
    Violation,
)

if TYPE_CHECKING:  # pragma: no cover
    from sim.world import Simulation


def apply_event(m: Simulation, event) -> None:
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(m, event)


def _support_withdrawn(m: Simulation, e: SupportWithdrawn) -> None:
    st = m.state
    active = np.flatnonzero(st.isp_active)
    n = int(round(e.share * len(active)))
    stop = m.rng.choice(active, size=n, replace=False) if n else []
    st.isp_active[stop] = False
    m.note(f"Support withdrawn: {n} of {len(active)} ISPs stop (the grant ended)")


def _funding_cut(m: Simulation, e: FundingCut) -> None:
    m.state.capacity *= 1.0 - e.severity
    m.note(f"Funding cut: agencies lose {e.severity:.0%} of their capacity")


def _turnover_wave(m: Simulation, e: TurnoverWave) -> None:
    st = m.state
    leavers = np.round(e.share * st.staff)
    idx = np.arange(st.n_agencies)
    turnover.lose_staff(m.world, idx, leavers)
    lost = (st.champion > 0) & (m.rng.random(st.n_agencies) < e.share)
    st.champion[lost] = 0.0
    m.note(f"Turnover wave: {e.share:.0%} of staff leave, taking their relationships")


def _partner_joins(m: Simulation, e: PartnerJoins) -> None:
    for _ in range(e.count):
        m.add_agency(e.sector)


def _leadership_change(m: Simulation, e: LeadershipChange) -> None:
    st, p = m.state, m.p
    n = int(round(e.share * st.n_agencies))
    chosen = m.rng.choice(st.n_agencies, size=n, replace=False)
    fresh = agency_values(p, m.rng, n, m.sectors)
    st.leadership[chosen] = fresh["leadership"]
    st.champion[chosen] = fresh["champion"]
    share = np.zeros(st.n_agencies)
    share[chosen] = p.leader_share * p.person_bound_share
    turnover.wipe_agency_evidence(m.world, share)
    m.note(f"Leadership change at {n} agencies: new leaders, relationships to rebuild")


def _strategy_switch(m: Simulation, e: StrategySwitch) -> None:
    m.state.isp_mix[:] = e.strategy_mix
    m.note(f"ISPs switch strategy: {e.strategy_mix:.0%} of hours co-creative")


def _violation(m: Simulation, e: Violation) -> None:
    """ISPs let agencies down: ``severity`` bad experiences on one trust dimension of this
    share of agency -> ISP ties (a competence lapse or an integrity breach, Kim et al.
    2004); the evidence is open for repair by a frank conversation."""
    st, p = m.state, m.p
    ties = st.ties["agency_isp"]
    served = np.flatnonzero(st.isp_of >= 0)
    n = int(round(e.share * len(served)))
    hit = served if n == len(served) else m.rng.choice(served, size=n, replace=False)
    tests = np.eye(len(DIMENSIONS))[DIMENSIONS.index(e.dimension)]
    _, ds = rules.evidence_increment(0.0, e.severity, tests, 1.0, p.asymmetry, 1.0)
    ties.s[hit] += ds
    ties.s_open[hit] += ds
    m.note(f"An {e.dimension} violation: ISPs let {n} agencies down")


_HANDLERS = {
    SupportWithdrawn: _support_withdrawn, FundingCut: _funding_cut,
    TurnoverWave: _turnover_wave, PartnerJoins: _partner_joins,
    LeadershipChange: _leadership_change, StrategySwitch: _strategy_switch,
    Violation: _violation,
}
