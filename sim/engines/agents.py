"""The reference engine: idiomatic Mesa, each agent carries out its own week.

Stages of the week run as Mesa's staged activation: every agent forgets, agencies lose
staff, ISPs hold their support sessions one micro-interaction at a time, agencies work
with partners, families meet their agencies, agencies decide on their stage (seeing the
same start-of-week snapshot of their partners), then upkeep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import processes as pr

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import TrustModel


def step(m: TrustModel) -> None:
    from sim.agents import Agency, Family, ImplementationSupportPractitioner

    agencies = m.agents_by_type[Agency]
    isps = m.agents_by_type.get(ImplementationSupportPractitioner)
    families = m.agents_by_type.get(Family)
    m.agents.do("forget")
    agencies.shuffle_do("lose_staff")
    if isps is not None:
        isps.shuffle_do("step")
    agencies.shuffle_do("collaborate")
    if families is not None:
        m.community = pr.community_trust(m) if m.p.word_of_mouth > 0 else None
        families.shuffle_do("step")
    m.peers = pr.peer_share(m)
    agencies.shuffle_do("decide_stage")
    agencies.do("upkeep")
