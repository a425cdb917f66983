"""``TrustModel``: agencies, ISPs and families trading trust, one week per step.

A Mesa model with flat keyword parameters (``sim.parameters``) and ``rng``, so that
``mesa.batch_run`` and SolaraViz work on it unchanged. The week's submodels are in
``sim.processes``; the equations in ``sim.rules``; docs/ODD.md describes it all.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import catalogue as cat_mod
from sim import outcomes
from sim.agents import Agency, Family, ImplementationSupportPractitioner
from sim.engines import ENGINES
from sim.events import apply_event
from sim.initialisation import (
    agency_values,
    build_state,
    isp_prior,
    partner_prior,
    support_prior,
)
from sim.parameters import resolve
from sim.state import ABANDONED
from sim.timeline import Timeline, parse_timeline

LOG_LENGTH = 500


@dataclass
class Config:
    """Validated parameters: scalars, family groups, sectors, catalogue, stages, events."""

    params: dict[str, Any]
    p: SimpleNamespace
    groups: list[dict]
    sectors: list[str]
    catalogue: cat_mod.Catalogue
    stages: list[cat_mod.Stage]
    events: list


def _check_groups(groups) -> list[dict]:
    if not isinstance(groups, list) or not groups:
        raise ValueError("parameter 'family_groups': expected a non-empty list of "
                         "{name, share, prior_trust}")
    seen = set()
    for i, g in enumerate(groups):
        where = f"parameter 'family_groups.{i}'"
        if not isinstance(g, dict) or set(g) != {"name", "share", "prior_trust"}:
            raise ValueError(f"{where}: expected exactly the keys name, share, prior_trust")
        if not isinstance(g["name"], str) or not g["name"].isidentifier() or g["name"] in seen:
            raise ValueError(f"{where}.name: expected a unique identifier-like name")
        seen.add(g["name"])
        if not isinstance(g["share"], int | float) or not 0 < g["share"] <= 1:
            raise ValueError(f"{where}.share: expected a number in (0, 1]")
        if not isinstance(g["prior_trust"], int | float) or not 0 <= g["prior_trust"] <= 1:
            raise ValueError(f"{where}.prior_trust: expected a number in [0, 1]")
    return groups


def _check_sectors(sectors) -> list[str]:
    if not isinstance(sectors, list) or not sectors or not all(
            isinstance(s, str) and s for s in sectors):
        raise ValueError("parameter 'agency_sectors': expected a non-empty list of names")
    return sectors


def check_params(params: dict[str, Any]) -> Config:
    """Validate every parameter (structured ones too) without building a model."""
    values = resolve(params)
    if not isinstance(values["interactions"], dict):
        raise ValueError("parameter 'interactions': expected a mapping of type -> fields")
    if not isinstance(values["strategies"], dict):
        raise ValueError("parameter 'strategies': expected a mapping of strategy -> shares")
    events = parse_timeline(values["timeline"])
    for e in events:
        if e.start() > values["weeks"]:
            raise ValueError(f"parameter 'timeline': {e.kind} event at week {e.start()} is "
                             f"after the end of the run (weeks = {values['weeks']})")
    structured = {"timeline", "interactions", "strategies", "family_groups", "agency_sectors"}
    return Config(
        params=values,
        p=SimpleNamespace(**{k: v for k, v in values.items() if k not in structured}),
        groups=_check_groups(values["family_groups"]),
        sectors=_check_sectors(values["agency_sectors"]),
        catalogue=cat_mod.build_catalogue(values["interactions"], values["strategies"]),
        stages=cat_mod.stages(values["stage_model"]), events=events,
    )


class TrustModel(mesa.Model):
    """How trust, built one micro-interaction at a time, shapes implementation.

    ``TrustModel(rng=1)`` is a county under normal conditions with top-down support;
    any parameter of ``sim.parameters.PARAMETERS`` can be given as a keyword.
    """

    def __init__(self, rng=None, **params: Any):
        config = check_params(params)
        super().__init__(rng=rng)
        self.params, self.p = config.params, config.p
        self.group_names = [g["name"] for g in config.groups]
        self.sectors = config.sectors
        self.catalogue = config.catalogue
        self._set_stages(config.stages)
        self.timeline = Timeline(config.events)
        self.week = 0
        self.micro_interactions = 0  # all encounters so far (for speed figures)
        self.crisis_intensity = self.timeline.crisis_intensity(0)
        self.log: deque[tuple[int, str]] = deque(maxlen=LOG_LENGTH)
        self.state = build_state(self.p, config.groups, self.sectors, self.rng)
        self.state.week_hours = np.zeros(len(self.catalogue.names))
        self.community = None
        self.peers = np.zeros(self.state.n_agencies)
        self._engine = ENGINES[self.p.engine]
        self._create_agents()
        for event in self.timeline.due(0):
            apply_event(self, event)
        self._measured: tuple[int, dict] | None = None
        self.datacollector = outcomes.WeeklyRecord(outcomes.weekly_names(self))
        self.datacollector.collect(self)

    # --- set-up -------------------------------------------------------------------------

    def _set_stages(self, stages: list[cat_mod.Stage]) -> None:
        self.stage_names = [s.name for s in stages]
        self.full_stage = self.stage_names.index("full_implementation")
        self.last_stage = len(stages) - 1
        self.delivers_from = next(i for i, s in enumerate(stages) if s.delivers)
        self.fallback_from = 1
        self.stage_rate = np.array([s.rate for s in stages])
        self.stage_peer = np.array([s.peer for s in stages])
        self.stage_abandon = np.array([s.abandon for s in stages])
        # drivers no stage uses are left out: x ** 0 is 1 anyway
        self.stage_exponents = {d: np.array([s.drivers.get(d, 0.0) for s in stages])
                                for d in cat_mod.DRIVERS
                                if any(s.drivers.get(d, 0.0) for s in stages)}

    def _create_agents(self) -> None:
        st = self.state
        self.agency_agents = [Agency(self, i) for i in range(st.n_agencies)]
        self.isp_agents = [ImplementationSupportPractitioner(self, j) for j in range(st.n_isps)]
        Family.create_agents(self, st.n_families, list(range(st.n_families)))

    # --- running ------------------------------------------------------------------------

    def step(self) -> None:
        """One week."""
        self.week += 1
        self.crisis_intensity = self.timeline.crisis_intensity(self.week)
        for event in self.timeline.due(self.week):
            apply_event(self, event)
        self.state.week_hours = np.zeros(len(self.catalogue.names))
        self._engine(self)
        self.datacollector.collect(self)
        if self.week >= self.p.weeks:
            self.running = False

    def run(self) -> TrustModel:
        """Run to the end (``weeks``)."""
        while self.running:
            self.step()
        return self

    def measured(self) -> dict[str, float]:
        """This week's outcomes, computed once per week."""
        if self._measured is None or self._measured[0] != self.week:
            self._measured = (self.week, outcomes.measure(self))
        return self._measured[1]

    def summary(self) -> dict[str, float]:
        """Per-run outcomes (sim.outcomes.SUMMARY_OUTCOMES)."""
        return outcomes.summarise(self)

    # --- changing a running model ---------------------------------------------------------

    def add_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Put an event on the running model's timeline (the dashboard's 'crisis now').

        Weeks already simulated cannot change: an event dated at or before the current week
        starts next week, and is recorded so, so that the run replays exactly.
        """
        data = dict(event)
        key = "onset" if data.get("kind") == "crisis" else "week"
        data[key] = max(int(data.get(key, self.week + 1)), self.week + 1)
        (parsed,) = parse_timeline([data])
        self.timeline.add(parsed)
        if parsed.start() > self.p.weeks:
            self.p.weeks = parsed.start()
            self.running = True
        return parsed.model_dump()

    def add_agency(self, sector: str) -> Agency:
        """A partner joins: a new agency in exploration, tied to some partners and served by
        the least-loaded active ISP (003: 'identify who is missing')."""
        st, p = self.state, self.p
        load = self.caseload()
        active = np.flatnonzero(st.isp_active)
        isp = int(active[np.argmin(load[active])]) if len(active) else -1
        values = agency_values(p, self.rng, 1, [sector], first=st.n_agencies)
        a = st.add_agency(values | {"sector": sector, "isp_of": isp})
        st.ties["agency_isp"].append(a, isp, support_prior(p, st, a))
        st.ties["isp_agency"].append(isp, a, isp_prior(p, st, a))
        others = [b for b in range(a) if self.rng.random() < p.partnership_density]
        if not others and a > 0:
            others = [int(self.rng.integers(a))]
        for b in others:
            st.add_partnership(a, b, partner_prior(p, st, a, b))
            st.add_partnership(b, a, partner_prior(p, st, b, a))
        self.peers = np.append(self.peers, 0.0)
        agent = Agency(self, a)
        self.agency_agents.append(agent)
        self.note(f"{st.name[a]} ({sector.replace('_', ' ')}) joins the partnership")
        return agent

    # --- views --------------------------------------------------------------------------

    def caseload(self) -> np.ndarray:
        """Agencies (not abandoned) each ISP supports."""
        st = self.state
        served = (st.isp_of >= 0) & (st.stage != ABANDONED)
        return np.bincount(st.isp_of[served], minlength=st.n_isps)

    def partner_prior(self, a: int, b: int):
        return partner_prior(self.p, self.state, a, b)

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.timeline.as_dicts()

    def trust_edges(self) -> pd.DataFrame:
        """Agent-level ties (families aggregated per group and agency) for drawing."""
        st, w = self.state, self.p.prior_strength
        rows = []
        names = st.name
        for kind, src_name, dst_name in (
                ("agency_isp", lambda i: names[i], lambda j: f"ISP {j + 1}"),
                ("isp_agency", lambda j: f"ISP {j + 1}", lambda i: names[i]),
                ("agency_agency", lambda i: names[i], lambda j: names[j])):
            t = st.ties[kind]
            trust = t.trust(w)
            for i, j, v in zip(t.truster, t.trustee, trust, strict=True):
                if i >= 0 and j >= 0:
                    rows.append((src_name(i), dst_name(j), kind, float(v)))
        if st.n_families:
            frame = pd.DataFrame({"group": st.family_group, "agency": st.family_agency,
                                  "trust": st.ties["family_agency"].trust(w)})
            for (g, a), v in frame.groupby(["group", "agency"])["trust"].mean().items():
                rows.append((f"families: {self.group_names[g]}", names[a], "family_agency",
                             float(v)))
        return pd.DataFrame(rows, columns=["source", "target", "kind", "trust"])

    # --- captions -------------------------------------------------------------------------

    def note(self, text: str) -> None:
        self.log.append((self.week, text))

    def note_broken_promise(self, a: int) -> None:
        isp = int(self.state.isp_of[a])
        self.note(f"A broken promise at {self.state.name[a]} cut its trust in ISP {isp + 1}")

    def note_stage_change(self, a: int, old: int, new: int) -> None:
        name = self.state.name[a]

        def label(s):
            return "abandoned" if s == ABANDONED else self.stage_names[s].replace("_", " ")

        if new == ABANDONED:
            self.note(f"{name} abandoned the effort during {label(old)}")
        elif new > old:
            self.note(f"{name} moved on to {label(new)}")
        else:
            self.note(f"{name} fell back from {label(old)} to {label(new)}")
