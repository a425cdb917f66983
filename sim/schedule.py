"""The week, declared once: its phases in order, who acts in each, what is drawn.

The engines read this schedule (``sim.engines``): the vectorized engine draws each
phase for every unit at once, the agents engine lets each Mesa agent of the phase's
``actor`` type act in random order, drawing one micro-interaction at a time, and the
compiled engine runs its loop for each phase in this order. Every phase is written once,
in its file of ``sim.phases``; a new weekly mechanism is one ``Phase`` here plus its file
there (docs/extending.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from sim.phases import (
    emergency_partnerships,
    families,
    forgetting,
    partnerships,
    support,
    turnover,
    upkeep,
)
from sim.phases import stages as implementation_stages
from sim.world import World


@dataclass(frozen=True)
class Draw:
    """One random outcome a phase needs: ``name`` in the drawn dict.

    kind: poisson (counts with mean ``p``), binomial (successes out of ``n`` with chance
    ``p``), bernoulli (chance ``p``) or uniform. ``p`` and ``n`` name entries of the
    phase's chances, or of outcomes drawn before in the same phase.
    """

    name: str
    kind: Literal["poisson", "binomial", "bernoulli", "uniform"]
    p: str = ""
    n: str = ""


Units = Callable[[World, int | None], Any]


@dataclass(frozen=True)
class Phase:
    """One step of the week.

    actor: whose agents act in the agents engine (agency, isp, family), or world for a
    deterministic phase that acts on everything at once. units(world, actor) gives the
    rows the phase acts on: for one actor in the agents engine, for all when actor is
    None. prepare(world) is computed once at the start of the phase (a snapshot every
    unit sees); chances(world, rows[, prepared]) and apply(world, rows, drawn[, chances]).
    """

    name: str
    doc: str
    actor: Literal["world", "agency", "isp", "family"]
    apply: Callable[..., None]
    units: Units | None = None
    chances: Callable[..., dict[str, np.ndarray]] | None = None
    draws: tuple[Draw, ...] = ()
    prepare: Callable[[World], Any] | None = None
    apply_needs_chances: bool = False
    when: Callable[[World], bool] = field(default=lambda w: True)


# --- which rows each phase acts on ---------------------------------------------------------


def _agencies(w: World, a: int | None):
    return slice(None) if a is None else np.array([a])


def _caseload(w: World, isp: int | None):
    served = support.served_agencies(w)
    if isp is None:
        return served
    mine = served[w.state.isp_of[served] == isp]
    return w.rng.permutation(mine)


def _partner_rows(w: World, a: int | None):
    t = w.state.ties["agency_agency"]
    return slice(None) if a is None else np.flatnonzero(t.truster == a)


def _family_rows(w: World, f: int | None):
    return slice(None) if f is None else np.array([f])


SCHEDULE: tuple[Phase, ...] = (
    Phase("forgetting", "Evidence on every tie fades.", "world",
          apply=lambda w, *_: forgetting.apply(w)),
    Phase("turnover", "Staff leave, taking person-bound trust; champions may leave.",
          "agency", units=_agencies, chances=lambda w, i, _: turnover.chances_for(w, i),
          draws=(Draw("leavers", "binomial", p="leave", n="staff"), Draw("u", "uniform")),
          apply=turnover.apply),
    Phase("support", "ISPs spend their hours on micro-interactions with their caseload.",
          "isp", units=_caseload, chances=lambda w, i, _: support.chances_for(w, i),
          draws=(Draw("counts", "poisson", p="rates"),
                 Draw("good", "binomial", p="good", n="counts"),
                 Draw("kept", "binomial", p="kept", n="counts")),
          apply=support.apply, apply_needs_chances=True, when=lambda w: w.state.n_isps > 0),
    Phase("partnerships", "Partner agencies work together; delivering partners teach.",
          "agency", units=_partner_rows, chances=lambda w, i, _: partnerships.chances_for(w, i),
          draws=(Draw("counts", "poisson", p="rates"),
                 Draw("good", "binomial", p="good", n="counts")),
          apply=partnerships.apply, apply_needs_chances=True,
          when=lambda w: len(w.state.ties["agency_agency"]) > 0 and w.p.partner_contact_rate > 0),
    Phase("emergency_partnerships", "Emergency rules let agencies form new partnerships "
          "(the resources explanation of a crisis).", "agency", units=_agencies,
          chances=lambda w, i, _: emergency_partnerships.chances_for(w, i),
          draws=(Draw("new", "bernoulli", p="new"), Draw("pick", "uniform")),
          apply=emergency_partnerships.apply, apply_needs_chances=True,
          when=lambda w: w.resources * w.p.resources_partnerships > 0),
    Phase("families", "Cases open and close; families meet their agency and engage or "
          "disengage.", "family", units=_family_rows, prepare=families.prepare_for,
          chances=families.chances_for,
          draws=(Draw("close", "bernoulli", p="close"), Draw("contact", "bernoulli", p="contact"),
                 Draw("good", "bernoulli", p="good"), Draw("engage", "bernoulli", p="engage"),
                 Draw("disengage", "bernoulli", p="disengage"),
                 Draw("new_agency", "uniform"), Draw("new_eligible", "uniform")),
          apply=families.apply, when=lambda w: w.state.n_families > 0),
    Phase("stages", "Agencies move on, fall back or abandon (one draw each), all seeing "
          "the start-of-phase exposure to delivering partners.", "agency", units=_agencies,
          prepare=implementation_stages.prepare_for,
          chances=implementation_stages.chances_for,
          draws=(Draw("u", "uniform"),), apply=implementation_stages.apply,
          apply_needs_chances=True),
    Phase("upkeep", "Pressure fades, knowledge and fidelity decay, milestones recorded.",
          "world", apply=lambda w, *_: upkeep.apply(w)),
)
