"""The three kinds of agent: agencies, implementation support practitioners and families.

Each agent is a view onto its row of the model's state (``sim.state``), so it can be
asked about its state and its trust in others whichever engine runs. Their ``step``-like
methods are the agents engine: each carries out its own micro-interactions, one at a
time, with the kernels of the phases (``sim.phases``) every engine shares.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.engines.draws import run_units


class _View(mesa.Agent):
    """An agent whose state lives in row ``idx`` of the model's arrays."""

    def __init__(self, model, idx: int):
        super().__init__(model)
        self.idx = idx

    @property
    def state(self):
        return self.model.state

    def act(self, phase, prepared=None) -> None:
        """The agents engine: this agent's part of one phase of the week, unit by unit
        (its own row, its partnership ties, or its caseload), outcomes drawn one
        micro-interaction at a time."""
        w = self.model.world
        for row in phase.units(w, self.idx):
            run_units(w, phase, np.array([row]), prepared, one_by_one=True)


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
        return self.model.world.stages.names[s] if (s := int(self.state.stage[self.idx])) >= 0 \
            else "abandoned"

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


class ImplementationSupportPractitioner(_View):
    """Supports a caseload of agencies with micro-interactions chosen by its strategy
    (ISP competencies and principles: Metz & Bartley, 'Building Trust to Lead
    Implementation'; interview study of 17 ISPs)."""

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


class Family(_View):
    """A family served by one agency, in a group with its own prior trust (Metz 2024)."""

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



#: Which agents act in a phase whose actor is named so (sim.schedule.Phase.actor).
ACTOR_TYPES = {"agency": Agency, "isp": ImplementationSupportPractitioner, "family": Family}
