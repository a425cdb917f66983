"""The three kinds of agent: agencies, implementation support practitioners and families.

Each agent is a view onto its row of the model's state (``sim.state``), so it can be
asked about its state and its trust in others whichever engine runs. Their ``step``-like
methods are the agents engine: each carries out its own micro-interactions, one at a
time, with the shared rules of ``sim.processes``.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim import processes as pr
from sim.state import ABANDONED


class _View(mesa.Agent):
    """An agent whose state lives in row ``idx`` of the model's arrays."""

    def __init__(self, model, idx: int):
        super().__init__(model)
        self.idx = idx

    @property
    def state(self):
        return self.model.state

    def _draw(self, n: int, p: float) -> int:
        """Carry out ``n`` micro-interactions one by one; how many went well."""
        rng = self.model.rng
        return sum(1 for _ in range(int(n)) if rng.random() < p)


class Agency(_View):
    """A public or community organisation implementing an evidence-informed practice."""

    @property
    def name(self) -> str:
        return self.state.name[self.idx]

    @property
    def sector(self) -> str:
        return self.state.sector[self.idx]

    @property
    def stage(self) -> str:
        s = int(self.state.stage[self.idx])
        return "abandoned" if s == ABANDONED else self.model.stage_names[s]

    def __getattr__(self, attr):
        if attr in ("readiness", "capacity", "fit", "knowledge", "fidelity", "leadership",
                    "champion", "voice", "pressure", "propensity", "benevolence", "integrity"):
            return float(getattr(self.model.state, attr)[self.idx])
        raise AttributeError(attr)

    @property
    def isp(self) -> ImplementationSupportPractitioner | None:
        j = int(self.state.isp_of[self.idx])
        return self.model.isp_agents[j] if j >= 0 else None

    def trust_in(self, other) -> float:
        """This agency's trust in its ISP or in a partner agency (NaN if no tie)."""
        p = self.model.p.prior_strength
        if isinstance(other, ImplementationSupportPractitioner):
            if self.state.isp_of[self.idx] != other.idx:
                return float("nan")
            return float(self.state.ties["agency_isp"].trust(p, self.idx))
        row = self.state.partners.get((self.idx, other.idx))
        if row is None:
            return float("nan")
        return float(self.state.ties["agency_agency"].trust(p, row))

    def _partner_rows(self) -> list[int]:
        return [k for (a, _), k in self.state.partners.items() if a == self.idx]

    # --- the agents engine ---------------------------------------------------------------

    def forget(self) -> None:
        pr.forget(self.model, "agency_isp", self.idx)
        for k in self._partner_rows():
            pr.forget(self.model, "agency_agency", k)

    def lose_staff(self) -> None:
        m = self.model
        leavers = m.rng.binomial(int(self.state.staff[self.idx]), pr.turnover_chance(m))
        pr.apply_turnover(m, self.idx, leavers)
        pr.champion_leaves(m, self.idx, m.rng.random())

    def collaborate(self) -> None:
        """Joint work with each partner this week, contact by contact."""
        m = self.model
        for k in self._partner_rows():
            n = m.rng.poisson(pr.partner_rates(m, k))
            good = self._draw(n, pr.partner_chances(m, k))
            pr.apply_partnership(m, k, n, good)

    def decide_stage(self) -> None:
        m = self.model
        chances = pr.stage_chances(m, self.idx, m.peers[self.idx])
        pr.apply_stage(m, self.idx, m.rng.random(), chances)

    def upkeep(self) -> None:
        pr.upkeep(self.model, self.idx)


class ImplementationSupportPractitioner(_View):
    """Supports a caseload of agencies with micro-interactions chosen by its strategy
    (competencies and principles of 001 and 002: ability, benevolence, integrity)."""

    @property
    def name(self) -> str:
        return f"ISP {self.idx + 1}"

    @property
    def ability(self) -> float:
        return float(self.state.isp_trustworthiness[self.idx, 0])

    @property
    def benevolence(self) -> float:
        return float(self.state.isp_trustworthiness[self.idx, 1])

    @property
    def integrity(self) -> float:
        return float(self.state.isp_trustworthiness[self.idx, 2])

    @property
    def active(self) -> bool:
        return bool(self.state.isp_active[self.idx])

    @property
    def strategy_mix(self) -> float:
        return float(self.state.isp_mix[self.idx])

    @property
    def caseload(self) -> list[Agency]:
        return [a for a in self.model.agency_agents if self.state.isp_of[a.idx] == self.idx]

    def trust_in(self, agency: Agency) -> float:
        if self.state.isp_of[agency.idx] != self.idx:
            return float("nan")
        return float(self.state.ties["isp_agency"].trust(self.model.p.prior_strength,
                                                         agency.idx))

    def forget(self) -> None:
        for a in self.caseload:
            pr.forget(self.model, "isp_agency", a.idx)

    def step(self) -> None:
        """A week of support: each agency of the caseload, each interaction in turn."""
        m = self.model
        caseload = self.caseload
        m.random.shuffle(caseload)
        for agency in caseload:
            self.support(agency)

    def support(self, agency: Agency) -> None:
        m, a = self.model, agency.idx
        rates = pr.support_rates(m, a)
        good_p, kept_p = pr.support_chances(m, a)
        counts = m.rng.poisson(rates)
        good = np.array([self._draw(n, p) for n, p in zip(counts, good_p, strict=True)])
        kept = np.array([self._draw(n, p) for n, p in zip(counts, kept_p, strict=True)])
        promised = m.catalogue.reciprocal & (m.catalogue.negative_weight > 1)
        if ((counts - good) * promised).sum() > 0:
            m.note_broken_promise(a)
        pr.apply_support(m, a, counts, good, kept)


class Family(_View):
    """A family served by one agency, in a group with its own prior trust (001, 004)."""

    @property
    def group(self) -> str:
        return self.model.group_names[int(self.state.family_group[self.idx])]

    @property
    def agency(self) -> Agency:
        return self.model.agency_agents[int(self.state.family_agency[self.idx])]

    @property
    def engaged(self) -> bool:
        return bool(self.state.engaged[self.idx])

    def trust_in(self, agency: Agency) -> float:
        if agency.idx != self.state.family_agency[self.idx]:
            return float("nan")
        return float(self.state.ties["family_agency"].trust(self.model.p.prior_strength,
                                                            self.idx))

    def forget(self) -> None:
        pr.forget(self.model, "family_agency", self.idx)

    def step(self) -> None:
        m = self.model
        contact_p, good_p, engage_p, leave_p = pr.family_chances(m, self.idx, m.community)
        contact = m.rng.random() < contact_p
        good = contact and m.rng.random() < good_p
        pr.apply_family(m, self.idx, contact, good, m.rng.random() < engage_p,
                        m.rng.random() < leave_p)
