"""The weekly record: Mesa's ``DataCollector`` fed by one ``sim.outcomes.measure`` pass a
week (kept apart from ``sim.outcomes`` so that what only needs the outcomes' names, a
sweep's coordinator among them, does not import Mesa).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from sim import outcomes

if TYPE_CHECKING:
    from sim.world import Simulation


#: Weekly values that a per-run outcome reads across every week, beyond the share at
#: full implementation and the hours: name -> its value on a model, appended to
#: ``WeeklyRecord.trace`` each week (docs/extending.md, "A new outcome"). With any, the
#: compiled engine runs one week per call, so that each week is measured.
TRACED: dict[str, Callable[[Simulation], float]] = {}


class WeeklyRecord(mesa.DataCollector):
    """Mesa's DataCollector, recording every weekly outcome from one ``measure`` pass.

    Same tables and ``get_model_vars_dataframe`` as Mesa's (SolaraViz and batch_run read
    it), without a reporter call and a deep copy per outcome per week: the values are
    plain floats. Each agency's stage is recorded the Mesa way, as an agent-type reporter:
    ``get_agenttype_vars_dataframe(Agency)`` has a ``stage`` column of stage names.

    ``every`` says which weeks get the full record (``sim.runs.keep_weeks``: 1 all, k every
    k-th and the last, 0 the last only), so a run that keeps few weeks does not pay for
    measuring the others. ``trace`` holds, for every week, what the summary reads across
    weeks (share at full, hours), so the summary is the same whichever weeks are kept.
    """

    def __init__(self, names: list[str], every: int = 1):
        from sim.agents import Agency

        super().__init__(model_reporters={"week": "week", **{n: n for n in names}},
                         agenttype_reporters={Agency: {"stage": "stage"}})
        self._names = names
        self._name_set = frozenset(names)
        self._agency = Agency
        self.every = every
        self.final: tuple[int, dict[str, float]] | None = None  # (week, run summary)
        self.agent_asked: dict[str, list[str]] = {}  # sim.reporters, by agent type
        self.agent_rows: list[tuple[int, dict[str, dict[str, np.ndarray]]]] = []
        self.trace: dict[str, list[float]] = {"week": [], "share_at_full": [],
                                              "cost_hours": [], **{n: [] for n in TRACED}}

    def keeps(self, model: Simulation, week: int | None = None) -> bool:
        """Whether this week (or ``week``) gets the full record."""
        week = model.week if week is None else week
        return self.next_kept(model, week) == week

    def next_kept(self, model: Simulation, week: int) -> int:
        """The first week from ``week`` on that gets the full record: each week, each
        ``every``-th, and from the last week of the run on."""
        every, end = self.every, max(week, model.p.weeks)
        if every == 1:
            return week
        return min(-(-week // every) * every, end) if every > 1 else end

    def collect(self, model: Simulation) -> None:
        self.add_trace([model.week], np.array([outcomes.share_at_full(model)]),
                       model.state.week_hours[None])
        self.trace_more(model)
        if self.keeps(model):
            self.record(model)

    def add_trace(self, weeks: list[int], share_at_full: np.ndarray, hours: np.ndarray
                  ) -> None:
        """What the summary reads across weeks: the share at full implementation and the
        ISP hours (one row of hours by type per week)."""
        self.trace["week"].extend(weeks)
        self.trace["share_at_full"].extend(share_at_full.tolist())
        self.trace["cost_hours"].extend(hours.sum(axis=-1).tolist())

    def trace_more(self, model: Simulation) -> None:
        """This week's value of each outcome in ``TRACED``."""
        for name, value in TRACED.items():
            self.trace[name].append(float(value(model)))

    def record(self, model: Simulation) -> None:
        """This week's full record (``measure``), and the summary at the last week."""
        values = model.measured()
        if hasattr(self, "_collection_steps"):  # Mesa's own bookkeeping (batch_run reads it)
            self._collection_steps.append(model.time)
        self.model_vars["week"].append(model.week)
        for name in self._names:
            self.model_vars[name].append(values[name])
        self._agenttype_records[model.week] = {self._agency: _stage_records(model)}
        if self.agent_asked:
            self._record_agents(model)
        if model.week >= model.p.weeks:
            self._add_summary(model)

    def add_agent_reporters(self, model: Simulation, asked: dict[str, list[str]]) -> None:
        """Also record ``asked`` (agent type -> ``sim.reporters`` names) as agent-type
        reporters from this week on (this week too, if it was recorded already)."""
        from sim import reporters

        for kind, names in asked.items():
            known = self.agent_asked.setdefault(kind, [])
            known.extend(n for n in names if n not in known)
            cls = reporters.agent_class(kind)
            have = self.agenttype_reporters.setdefault(cls, {})
            for name in known:
                have.setdefault(name, name)
        if self._agenttype_records.get(model.week):
            self._record_agents(model)

    def _record_agents(self, model: Simulation) -> None:
        """This week's agent-level reporters: kept as arrays (``agent_columns``) and as
        Mesa's records, so ``get_agenttype_vars_dataframe`` shows them."""
        from sim import reporters

        values = reporters.read(model, self.agent_asked)
        if self.agent_rows and self.agent_rows[-1][0] == model.week:
            self.agent_rows.pop()
        self.agent_rows.append((model.week, values))
        records = self._agenttype_records.setdefault(model.week, {})
        for kind, columns in values.items():
            cls = reporters.agent_class(kind)
            names = list(self.agenttype_reporters[cls])
            ids = _agent_ids(model, kind)
            if kind == "agency":
                columns = {**columns, "stage": reporters.REPORTERS["agency"]["stage"]
                           .read(model)}
            records[cls] = list(zip([model.week] * len(ids), ids,
                                    *(columns[n].tolist() for n in names), strict=True))

    def agent_columns(self) -> dict[str, np.ndarray]:
        """The recorded agent-level reporters as one long table: ``week``, ``agent_type``,
        ``agent_id`` and a column per reporter (NaN, or None for text, where a type does
        not have it)."""
        from sim import reporters

        names = [n for kind in reporters.TYPES for n in self.agent_asked.get(kind, [])]
        parts: dict[str, list[np.ndarray]] = {k: [] for k in ("week", "agent_type",
                                                              "agent_id", *names)}
        for week, values in self.agent_rows:
            for kind in reporters.TYPES:
                if kind not in values:
                    continue
                n = len(next(iter(values[kind].values())))
                parts["week"].append(np.full(n, week, np.int64))
                parts["agent_type"].append(np.full(n, kind, dtype=object))
                parts["agent_id"].append(np.arange(n, dtype=np.int64))
                for name in names:
                    col = values[kind].get(name)
                    parts[name].append(col if col is not None else _blank(
                        reporters.ENTRIES[name], n))
        return {k: np.concatenate(v) if v else np.array([]) for k, v in parts.items()}

    def _add_summary(self, model: Simulation) -> None:
        """The last week's row also holds the run's summary outcomes (NaN on earlier weeks),
        which is the row ``mesa.batch_run`` reports; names shared with weekly outcomes hold
        the same value there already."""
        n = len(self.model_vars["week"])
        self.final = (model.week, outcomes.summarise(model))  # model.summary() reads it back
        for name, value in self.final[1].items():
            if name not in self._name_set:
                column = self.model_vars.setdefault(name, [])
                column.extend([float("nan")] * (n - 1 - len(column)))
                column.append(value)

    def columns(self) -> dict[str, np.ndarray]:
        """The weekly outcomes as one array per column (``week`` first): what a batch run
        hands back, without building a DataFrame only to take it apart again."""
        return {k: np.array(self.model_vars[k]) for k in ("week", *self._names)}

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The weekly outcomes, one row per week."""
        return pd.DataFrame(self.columns())


def _stage_records(model: Simulation) -> list[tuple]:
    """(week, agent id, stage name) for every agency, read from the state arrays."""
    names = [*model.stage_names, "abandoned"]  # index -1 is abandoned
    stages = model.state.stage.tolist()
    return [(model.week, agent.unique_id, names[s])
            for agent, s in zip(model.agency_agents, stages, strict=True)]


def _agent_ids(model: Simulation, kind: str) -> list:
    """Mesa's ``unique_id`` of each agent of a type where it has a view, else its row."""
    agents = {"agency": model.agency_agents, "isp": model.isp_agents}.get(kind)
    if agents is None:
        from sim.reporters import agent_class

        views = list(model.agents_by_type.get(agent_class("family"), []))
        agents = views if len(views) == model.state.n_families else None
    if agents is None:
        return list(range(model.state.n_families))
    return [a.unique_id for a in agents]


def _blank(entry, n: int) -> np.ndarray:
    """A column a type does not have: None for text, NaN otherwise."""
    return np.full(n, None, dtype=object) if entry.unit == "text" else np.full(n, np.nan)
