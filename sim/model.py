"""``TrustModel``: agencies, ISPs and families trading trust, one week per step.

A Mesa model with flat keyword parameters (``sim.parameters``) and ``rng``, so that
``mesa.batch_run`` and SolaraViz work on it unchanged. The week's submodels are in
``sim.phases`` (one file each); the equations in ``sim.rules``; docs/ODD.md describes it all.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import outcomes
from sim.agents import Agency, Family, ImplementationSupportPractitioner
from sim.config import check_params
from sim.datacollector import WeeklyRecord
from sim.engines import ENGINES
from sim.events import apply_event
from sim.initialisation import (
    agency_values,
    build_state,
    isp_prior,
    partner_prior,
    support_prior,
)
from sim.phases.support import caseload
from sim.timeline import Timeline, parse_timeline
from sim.world import CaptionLog, World, stage_table

LOG_LENGTH = 500


class TrustModel(mesa.Model):
    """How trust, built one micro-interaction at a time, shapes implementation.

    ``TrustModel(rng=1)`` is a county under normal conditions with top-down support
    adopting a new programme; any parameter of ``sim.parameters.PARAMETERS`` can be
    given as a keyword. The week is ``sim.schedule.SCHEDULE``, run on ``self.world``.
    ``record_every`` says which weeks the DataCollector records in full (1 all, k every
    k-th and the last, 0 the last only); the summary is the same whichever.
    ``family_views=False`` skips the Mesa agent of each family (the families live in the
    state arrays either way): runs that only want numbers (``sim.runs.run_once``) save
    most of their set-up time, about 1 ms per 100 families. The agents engine always
    has them, since families act as agents there.
    """

    def __init__(self, rng=None, record_every: int = 1, family_views: bool = True,
                 **params: Any):
        config = check_params(params)
        super().__init__(rng=rng)
        self.params, self.p = config.params, config.p
        self.group_names = [g["name"] for g in config.groups]
        self.sectors = config.sectors
        self.catalogue = config.catalogue
        self.timeline = Timeline(config.events)
        self._log = CaptionLog(LOG_LENGTH)
        state = build_state(self.p, config.groups, self.sectors, self.rng)
        state.week_hours = np.zeros(len(self.catalogue.names))
        self.world = World(state=state, p=self.p, catalogue=self.catalogue,
                           stages=stage_table(self.p.stage_model), rng=self.rng,
                           note=self.note, defer=self._log.defer,
                           crisis=self.timeline.crisis_intensity(0))
        self._engine = ENGINES[self.p.engine]
        self._create_agents(family_views or self.p.engine == "agents")
        for event in self.timeline.due(0):
            apply_event(self, event)
        self._measured: tuple[int, dict] | None = None
        self.datacollector = WeeklyRecord(outcomes.weekly_names(self), record_every)
        self.datacollector.collect(self)

    # --- views of the world ---------------------------------------------------------------

    @property
    def state(self):
        return self.world.state

    @property
    def week(self) -> int:
        return self.world.week

    @property
    def crisis_intensity(self) -> float:
        return self.world.crisis

    @property
    def micro_interactions(self) -> int:
        return self.world.micro_interactions

    @property
    def stage_names(self) -> list[str]:
        return self.world.stages.names

    @property
    def full_stage(self) -> int:
        return self.world.stages.full

    def _create_agents(self, families: bool) -> None:
        st = self.state
        self.agency_agents = [Agency(self, i) for i in range(st.n_agencies)]
        self.isp_agents = [ImplementationSupportPractitioner(self, j) for j in range(st.n_isps)]
        if families:
            Family.create_agents(self, st.n_families, list(range(st.n_families)))

    # --- running ------------------------------------------------------------------------

    def step(self) -> None:
        """One week: the timeline's events, then the declared schedule."""
        w = self.world
        w.week += 1
        w.crisis = self.timeline.crisis_intensity(w.week)
        for event in self.timeline.due(w.week):
            apply_event(self, event)
        w.state.week_hours = np.zeros(len(self.catalogue.names))
        self._engine(w, self)
        self.datacollector.collect(self)
        if w.week >= self.p.weeks:
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
        """Per-run outcomes (sim.outcomes.SUMMARY_OUTCOMES); at the last week the ones the
        weekly record already computed for its last row."""
        final = self.datacollector.final
        return dict(final[1]) if final and final[0] == self.week else outcomes.summarise(self)

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
        the least-loaded active ISP ('identify who is missing', 'Relationships' TA brief)."""
        st, p = self.state, self.p
        load = self.caseload()
        active = np.flatnonzero(st.isp_active)
        isp = int(active[np.argmin(load[active])]) if len(active) else -1
        values = agency_values(p, self.rng, 1, [sector], first=st.n_agencies, stage=0)
        a = st.add_agency(values | {"sector": sector, "isp_of": isp})
        st.ties["agency_isp"].append(a, isp, support_prior(p, st, a))
        st.ties["isp_agency"].append(isp, a, isp_prior(p, st, a))
        others = [b for b in range(a) if self.rng.random() < p.partnership_density]
        if not others and a > 0:
            others = [int(self.rng.integers(a))]
        for b in others:
            st.add_partnership(a, b, partner_prior(p, st, a, b))
            st.add_partnership(b, a, partner_prior(p, st, b, a))
        agent = Agency(self, a)
        self.agency_agents.append(agent)
        self.note(f"{st.name[a]} ({sector.replace('_', ' ')}) joins the partnership")
        return agent

    # --- views --------------------------------------------------------------------------

    def caseload(self) -> np.ndarray:
        """Agencies (not abandoned) each ISP supports."""
        return caseload(self.world)

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

    @property
    def log(self) -> deque[tuple[int, str]]:
        """The captions (week, text), oldest first: the last ``LOG_LENGTH``."""
        return self._log.read()

    def note(self, text: str) -> None:
        self._log.append((self.week, text))

