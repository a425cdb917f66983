"""Observation (ODD 4.11): what is measured each week and summarised per run.

Implementation outcomes follow Proctor et al. (2011); stages of collaboration follow the
'Relationships' TA brief for Regional Partnership Grants; the milestones follow the Stages
of Implementation Completion (Chamberlain, Brown & Saldana 2011; Saldana et al. 2023);
reach by family group and its gap answer the equity question (Metz 2024).
All weekly measures are computed together once per week (``measure``) and the
``DataCollector`` (``sim.datacollector.WeeklyRecord``) reads them, so collecting costs
one pass over the arrays.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from sim.catalogue import build_catalogue
from sim.parameters import DEFAULT_FAMILY_GROUPS
from sim.phases import views
from sim.phases.upkeep import SUSTAINMENT_CHECK_WEEKS
from sim.state import ABANDONED, NEVER, TIE_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from sim.world import Simulation

STAGE_NAMES = ("exploration", "installation", "initial_implementation", "full_implementation",
               "sustainment")
COLLABORATION_STAGES = ("information sharing", "joint projects", "changing the rules",
                        "systems change")
# Mean partnership trust needed for each stage of collaboration beyond information sharing;
# systems change also needs half the agencies at full implementation ('Relationships' TA
# brief: stages of collaboration).
COLLABORATION_TRUST = (0.55, 0.65, 0.75)


def _weekly(groups, types) -> dict[str, str]:
    out = {"crisis_intensity": "crisis intensity (0-1)"}
    for s in (*STAGE_NAMES, "abandoned"):
        out[f"share_{s}"] = f"share of agencies in {s.replace('_', ' ')}"
    out["share_at_full"] = "share of agencies at full implementation or sustainment"
    for k in TIE_KINDS:
        label = k.replace("_", " -> ")
        out[f"trust_{k}_mean"] = f"mean trust on {label} ties"
        out[f"trust_{k}_sd"] = f"spread (sd) of trust on {label} ties"
        out[f"trust_{k}_high"] = f"share of {label} ties above the trust threshold"
    out.update({
        "acceptability": "mean over agencies of (fit + trust in the ISP) / 2",
        "adoption": "share of agencies past exploration and not abandoned",
        "appropriateness": "mean fit of the practice to the agencies",
        "cost_hours": "ISP hours spent this week",
        "feasibility": "mean of capacity x knowledge",
        "fidelity": "mean fidelity of agencies delivering the practice",
        "reach": "share of families with an open, eligible case engaged with the practice",
        "sustainability": "share of agencies that ever reached full implementation and are "
                          "still at full implementation or sustainment (NaN if none has)",
    })
    for g in groups:
        out[f"reach_{g}"] = f"reach among the {g.replace('_', ' ')} group"
    out["reach_gap"] = "highest minus lowest reach between family groups"
    out["collaboration_stage"] = "stage of collaboration: " + ", ".join(
        f"{i} {n}" for i, n in enumerate(COLLABORATION_STAGES))
    for t in types:
        out[f"hours_{t}"] = f"ISP hours on {t.replace('_', ' ')} this week"
    return out


def _summary(groups) -> dict[str, str]:
    out = {
        "time_to_first_full": "weeks until the first agency reaches full implementation",
        "time_to_50_full": "weeks until half the agencies are at full implementation",
        "time_to_90_full": "weeks until 90% of the agencies are at full implementation",
        "final_share_at_full": "share at full implementation or sustainment at the end",
        "peak_share_at_full": "highest share at full implementation or sustainment",
        "final_sustainability": "share of agencies that reached full implementation still "
                                "there at the end (NaN if none reached it)",
        "share_abandoned": "share of agencies that abandoned the effort",
        "final_reach": "share of eligible families engaged at the end",
        "share_reached_startup": "share of agencies that ever delivered the practice "
                                 "(Stages of Implementation Completion: start-up)",
        "share_competent_of_started": "share of the agencies that started that ever reached "
                                      "full implementation (competence)",
        "share_sustained_of_started": "share of the agencies that started at least two years "
                                      "before the end still delivering two years after "
                                      "start-up (NaN if none started that early)",
        "median_weeks_to_startup": "median over agencies that started of the week of "
                                   "start-up",
        "median_weeks_to_full": "median over agencies that reached full implementation of "
                                "the week they first did",
        "time_to_50_startup": "weeks until half the agencies have started delivering",
    }
    for g in groups:
        out[f"reach_{g}"] = f"final reach among the {g.replace('_', ' ')} group"
    out["reach_gap"] = "final reach gap between family groups"
    for k in TIE_KINDS:
        out[f"trust_{k}_final"] = f"mean trust on {k.replace('_', ' -> ')} ties at the end"
    out.update({
        "mean_fidelity": "mean fidelity of delivering agencies at the end",
        "total_isp_hours": "ISP hours spent over the run (cost)",
        "collaboration_stage_final": "stage of collaboration at the end (0-3)",
    })
    return out


_DEFAULT_GROUPS = [g["name"] for g in DEFAULT_FAMILY_GROUPS]
WEEKLY_OUTCOMES: dict[str, str] = _weekly(_DEFAULT_GROUPS, build_catalogue().names)
SUMMARY_OUTCOMES: dict[str, str] = _summary(_DEFAULT_GROUPS)


def weekly_names(model: Simulation) -> list[str]:
    """The weekly outcomes' names, in record order (a fresh list)."""
    return list(_weekly_names(tuple(model.group_names), tuple(model.catalogue.names)))


@lru_cache(maxsize=64)
def _weekly_names(groups: tuple[str, ...], types: tuple[str, ...]) -> tuple[str, ...]:
    """Named once per family groups and interaction types, not worded for every model."""
    return tuple(_weekly(groups, types))


def _mean(x) -> float:
    """Mean via the ufunc (ndarray.mean's wrapper dominates on small arrays)."""
    n = np.size(x)
    return float(np.add.reduce(x, axis=None)) / n if n else float("nan")


def _tie_stats(values: np.ndarray, threshold: float) -> tuple[float, float, float]:
    if not len(values):
        return np.nan, np.nan, np.nan
    mean = _mean(values)
    sd = max(_mean(values * values) - mean * mean, 0.0) ** 0.5
    return mean, sd, _mean(values > threshold)


def _stage_counts(model: Simulation) -> np.ndarray:
    """Share of agencies abandoned (index 0) and at each stage (index stage + 1)."""
    stage = model.state.stage
    return np.bincount(stage + 1, minlength=len(model.stage_names) + 1) / len(stage)


def _share_at_full(model: Simulation, counts: np.ndarray) -> float:
    return float(counts[model.full_stage + 1:].sum())


def share_at_full(model: Simulation) -> float:
    """This week's share of agencies at full implementation (what the summary's
    milestones read across weeks)."""
    return _share_at_full(model, _stage_counts(model))


def _stage_shares(model: Simulation) -> dict[str, float]:
    counts = _stage_counts(model)
    out = {f"share_{s}": 0.0 for s in STAGE_NAMES}
    for i, name in enumerate(model.stage_names):
        out[f"share_{name}"] = float(counts[i + 1])
    out["share_abandoned"] = float(counts[0])
    out["share_at_full"] = _share_at_full(model, counts)
    return out


def _reach(model: Simulation) -> dict[str, float]:
    """Reach among families whose case is open and for whom the practice is indicated."""
    st = model.state
    n_groups = len(model.group_names)
    members = np.bincount(st.family_group, weights=st.eligible, minlength=n_groups)
    engaged = np.bincount(st.family_group, weights=st.engaged & st.eligible,
                          minlength=n_groups)
    by_group = np.divide(engaged, members, out=np.zeros(n_groups), where=members > 0)
    n_eligible = st.eligible.sum()
    out = {"reach": float((st.engaged & st.eligible).sum() / n_eligible) if n_eligible
           else 0.0}
    for name, value in zip(model.group_names, by_group, strict=True):
        out[f"reach_{name}"] = float(value)
    out["reach_gap"] = float(by_group.max() - by_group.min())
    return out


def collaboration_stage(mean_partner_trust: float, share_at_full: float) -> int:
    """Stage of collaboration of the partnership network."""
    if np.isnan(mean_partner_trust):
        return 0
    stage = int(np.searchsorted(COLLABORATION_TRUST, mean_partner_trust, side="right"))
    if stage == 3 and share_at_full < 0.5:
        stage = 2
    return stage


def measure(model: Simulation) -> dict[str, float]:
    """Every weekly outcome of the model's current state."""
    st, p = model.state, model.p
    out = {"crisis_intensity": float(model.crisis_intensity)}
    out.update(_stage_shares(model))
    trusts = {kind: st.ties[kind].trust(p.prior_strength) for kind in TIE_KINDS}
    has_isp = st.isp_of >= 0
    for kind, trust in trusts.items():
        if kind in ("agency_isp", "isp_agency"):
            trust = trust[has_isp]
        m, sd, hi = _tie_stats(trust, p.trust_threshold)
        out[f"trust_{kind}_mean"], out[f"trust_{kind}_sd"], out[f"trust_{kind}_high"] = m, sd, hi
    live = st.stage != ABANDONED
    support = trusts["agency_isp"]
    delivering = views.delivering(model.world)
    out["acceptability"] = _mean((st.fit + support) / 2)
    out["adoption"] = _mean(live & (st.stage >= 1))
    out["appropriateness"] = _mean(st.fit)
    out["cost_hours"] = float(st.week_hours.sum())
    out["feasibility"] = _mean(views.capacity_of(model.world) * st.knowledge)
    out["fidelity"] = _mean(st.fidelity[delivering]) if delivering.any() else 0.0
    out.update(_reach(model))
    ever = st.ever_full.sum()
    out["sustainability"] = float((st.ever_full & (st.stage >= model.full_stage)).sum() / ever
                                  ) if ever else float("nan")
    out["collaboration_stage"] = float(collaboration_stage(out["trust_agency_agency_mean"],
                                                           out["share_at_full"]))
    for name, hours in zip(model.catalogue.names, st.week_hours, strict=True):
        out[f"hours_{name}"] = float(hours)
    return out


def _first_week(weeks: np.ndarray, reached: np.ndarray) -> float:
    hits = np.flatnonzero(reached)
    return float(weeks[hits[0]]) if len(hits) else float("nan")


def _median_or_nan(weeks: np.ndarray) -> float:
    return float(np.median(weeks)) if len(weeks) else float("nan")


def _milestones(model: Simulation) -> dict[str, float]:
    """Stages of Implementation Completion milestones over agencies (Saldana et al. 2023)."""
    st, week = model.state, model.week
    started = st.startup_week != NEVER
    n = st.n_agencies
    starts = np.sort(st.startup_week[started])
    checkable = started & (st.startup_week <= week - SUSTAINMENT_CHECK_WEEKS)
    return {
        "share_reached_startup": _mean(started),
        "share_competent_of_started": _mean(st.ever_full[started]),  # NaN if none started
        "share_sustained_of_started": _mean(st.delivering_2y[checkable] == 1),
        "median_weeks_to_startup": _median_or_nan(starts),
        "median_weeks_to_full": _median_or_nan(st.first_full_week[st.first_full_week != NEVER]),
        "time_to_50_startup": float(starts[math.ceil(n / 2) - 1]) if len(starts) >= n / 2
        else float("nan"),
    }


def summarise(model: Simulation) -> dict[str, float]:
    """Per-run outcomes from the weekly trace and this week's state (its measures are the
    last row of the weekly record at the end of a run)."""
    trace = model.datacollector.trace
    weeks, at_full = np.array(trace["week"]), np.array(trace["share_at_full"])
    n = model.state.n_agencies
    last = model.measured()
    out = {
        "time_to_first_full": _first_week(weeks, at_full * n >= 1 - 1e-9),
        "time_to_50_full": _first_week(weeks, at_full >= 0.5 - 1e-9),
        "time_to_90_full": _first_week(weeks, at_full >= 0.9 - 1e-9),
        "final_share_at_full": float(last["share_at_full"]),
        "peak_share_at_full": float(at_full.max()),
        "final_sustainability": float(last["sustainability"]),
        "share_abandoned": float(last["share_abandoned"]),
        "final_reach": float(last["reach"]),
    }
    for g in model.group_names:
        out[f"reach_{g}"] = float(last[f"reach_{g}"])
    out["reach_gap"] = float(last["reach_gap"])
    for k in TIE_KINDS:
        out[f"trust_{k}_final"] = float(last[f"trust_{k}_mean"])
    out["mean_fidelity"] = float(last["fidelity"])
    out["total_isp_hours"] = float(np.sum(trace["cost_hours"]))
    out["collaboration_stage_final"] = float(last["collaboration_stage"])
    out.update(_milestones(model))
    return out
