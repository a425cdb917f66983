"""Agent-level reporters: what an experiment's ``agents:`` field may ask for, by name.

Each reporter reads one value per agent of its type from the model's state (as
``sim.outcomes`` reads the model-level outcomes) and carries its codebook row (meaning,
unit, range). ``attach`` hands them to a model's DataCollector as Mesa agent-type
reporters, so ``get_agenttype_vars_dataframe(ImplementationSupportPractitioner)`` has one
row per (week, ISP) and a column per reporter; sweeps store them in
``agents/part-*.parquet`` (one row per run, week and agent; ``agent_type`` and
``agent_id``, the agent's row within its type).

Names are unique across types, so a column of the agents table means one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from sim.columns import NEVER, Entry

if TYPE_CHECKING:  # pragma: no cover
    from sim.world import Simulation

#: The agent types an experiment may name, in table order.
TYPES = ("agency", "isp", "family")


@dataclass(frozen=True)
class Reporter:
    """One agent-level reporter: its codebook row and how to read it (one value per agent
    of its type, in row order)."""

    entry: Entry
    read: Callable[[Simulation], np.ndarray]


def _mean_trust(model: Simulation, kind: str, n: int, end: str = "truster",
                keep=None) -> np.ndarray:
    """Mean trust on the ``kind`` ties (those ``keep`` selects) of each of ``n`` agents at
    the tie's ``end`` (truster or trustee), NaN for an agent with none."""
    ties = model.state.ties[kind]
    trust = ties.trust(model.p.prior_strength)
    rows = np.ones(len(ties), bool) if keep is None else keep(ties)
    at = getattr(ties, end)[rows]
    total = np.bincount(at, weights=trust[rows], minlength=n)
    count = np.bincount(at, minlength=n)
    return np.divide(total, count, out=np.full(n, np.nan), where=count > 0)


def _served_now(model: Simulation):
    """Selects agency -> ISP ties to the ISP that serves the agency now."""
    return lambda t: model.state.isp_of[t.truster] == t.trustee


def _stage(model: Simulation) -> np.ndarray:
    names = np.array([*model.stage_names, "abandoned"], dtype=object)
    return names[model.state.stage]  # index -1 is abandoned


_SCORE = ("score", "0-1")
_TRUST = ("trust (0-1)", "0-1")
_FLAG = ("0/1", "0 or 1")

REPORTERS: dict[str, dict[str, Reporter]] = {
    "agency": {
        "stage": Reporter(Entry("the agency's implementation stage (its name, or "
                                "abandoned)", "text"), _stage),
        "readiness": Reporter(Entry("the agency's readiness (tension for change)", *_SCORE),
                              lambda m: m.state.readiness.astype(float)),
        "capacity": Reporter(Entry("the agency's capacity (share of staff time available)",
                                   *_SCORE), lambda m: m.state.capacity.astype(float)),
        "fidelity": Reporter(Entry("the agency's fidelity in delivering the practice",
                                   *_SCORE), lambda m: m.state.fidelity.astype(float)),
        "trust_in_isp": Reporter(
            Entry("the agency's trust in the ISP that supports it", *_TRUST,
                  "the agency has no ISP"),
            lambda m: _mean_trust(m, "agency_isp", m.state.n_agencies,
                                  keep=_served_now(m))),
    },
    "isp": {
        "isp_active": Reporter(Entry("whether the ISP is supporting agencies this week",
                                     *_FLAG), lambda m: m.state.isp_active.astype(float)),
        "isp_strategy_mix": Reporter(Entry("the ISP's strategy mix (0 top-down, 1 "
                                           "co-creative)", "mix", "0-1"),
                                     lambda m: m.state.isp_mix.astype(float)),
        "isp_weekly_hours": Reporter(Entry("hours a week the ISP has for support",
                                           "hours", ">= 0"),
                                     lambda m: m.state.isp_hours.astype(float)),
        "agencies_served": Reporter(Entry("agencies this ISP supports", "count", ">= 0"),
                                    lambda m: np.bincount(m.state.isp_of[m.state.isp_of >= 0],
                                                          minlength=m.state.n_isps
                                                          ).astype(float)),
        "trust_from_agencies": Reporter(
            Entry("mean trust the agencies this ISP supports place in it", *_TRUST,
                  "the ISP supports no agency"),
            lambda m: _mean_trust(m, "agency_isp", m.state.n_isps, "trustee",
                                  keep=_served_now(m))),
    },
    "family": {
        "family_group": Reporter(Entry("the family's group (its name)", "text"),
                                 lambda m: np.array(m.group_names, dtype=object)[
                                     m.state.family_group]),
        "family_agency": Reporter(Entry("the agency holding the family's case (its row)",
                                        "index", ">= 0"),
                                  lambda m: m.state.family_agency.astype(float)),
        "engaged": Reporter(Entry("whether the family is engaged with the practice",
                                  *_FLAG), lambda m: m.state.engaged.astype(float)),
        "eligible": Reporter(Entry("whether the practice is indicated for the family's "
                                   "case", *_FLAG), lambda m: m.state.eligible.astype(float)),
        "trust_in_agency": Reporter(Entry("the family's trust in its agency", *_TRUST,
                                          "the family has no tie to an agency"),
                                    lambda m: _mean_trust(m, "family_agency",
                                                          m.state.n_families)),
    },
}

def _in_table(kind: str, entry: Entry) -> Entry:
    """The row as the agents table holds it: other types' rows leave the column empty."""
    other = f"a row of another agent type than {kind}"
    return replace(entry, nan=other if entry.nan == NEVER else f"{entry.nan}; or {other}")


#: Every reporter's codebook row by name (names are unique across types).
ENTRIES: dict[str, Entry] = {name: _in_table(kind, r.entry) for kind, by in REPORTERS.items()
                             for name, r in by.items()}
#: The columns that say whose row it is.
ID_ENTRIES = {"agent_type": Entry("type of agent: " + ", ".join(TYPES), "text"),
              "agent_id": Entry("the agent's row within its type (Agency i is "
                                "model.agency_agents[i])", "index", ">= 0")}


def unknown(kind: str, names: list[str]) -> str | None:
    """What is wrong with asking ``kind``'s ``names`` (None: nothing)."""
    if kind not in REPORTERS:
        return f"unknown agent type '{kind}'; known: {', '.join(TYPES)}"
    for name in names:
        if name not in REPORTERS[kind]:
            return (f"unknown {kind} reporter '{name}'; known: "
                    + ", ".join(REPORTERS[kind]))
    return None


def agent_class(kind: str) -> type:
    """The Mesa agent class of a type (what ``get_agenttype_vars_dataframe`` takes)."""
    from sim.agents import ACTOR_TYPES

    return ACTOR_TYPES[kind]


def read(model: Simulation, asked: dict[str, list[str]]) -> dict[str, dict[str, np.ndarray]]:
    """This week's values: per type, per reporter, one value per agent."""
    return {kind: {name: REPORTERS[kind][name].read(model) for name in names}
            for kind, names in asked.items() if names}


def attach(model: Simulation, asked: dict[str, list[str]]) -> None:
    """Record ``asked`` (type -> reporter names) every week the model's DataCollector
    records in full, from this week on, as Mesa agent-type reporters."""
    model.datacollector.add_agent_reporters(model, asked)


def markdown_table() -> str:
    """The registry as the table docs/sweeps.md quotes (a test keeps the two equal)."""
    rows = ["| type | name | meaning | unit |", "|---|---|---|---|"]
    for kind, by in REPORTERS.items():
        rows += [f"| {kind} | `{name}` | {r.entry.meaning} | {r.entry.unit} |"
                 for name, r in by.items()]
    return "\n".join(rows)
