"""Every keyword parameter of ``TrustModel``: default, allowed range and meaning.

One table serves the model constructor, scenario files, sweeps and the dashboard, so a
parameter is declared once. Defaults describe a county (12 agencies, 4 ISPs, 1,200
families; one step is one week) under normal conditions with top-down support; see
docs/ODD.md for where each value comes from.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, field
from typing import Any

#: Parameters that take lists or mappings, validated by their own modules.
STRUCTURED = ("timeline", "interactions", "strategies", "family_groups", "agency_sectors",
              "partnership_edges")


@dataclass(frozen=True)
class Parameter:
    """One model parameter. ``low``/``high`` bound numbers; ``choices`` bound strings."""

    name: str
    default: Any
    doc: str
    group: str
    kind: str = "float"  # float | int | choice | structured
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)

    def describe_range(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "structured":
            return "a list or mapping as documented"
        what = "a whole number" if self.kind == "int" else "a number"
        if self.low is not None and self.high is not None:
            return f"{what} in [{_fmt(self.low)}, {_fmt(self.high)}]"
        if self.low is not None:
            return f"{what} >= {_fmt(self.low)}"
        return what


def _fmt(x: float) -> str:
    return f"{x:g}"


def _p(name, default, low, high, doc, group, kind="float"):
    return Parameter(name=name, default=default, low=low, high=high, doc=doc, group=group,
                     kind=kind)


def _choice(name, default, choices, doc, group):
    return Parameter(name=name, default=default, doc=doc, group=group, kind="choice",
                     choices=tuple(choices))


def _structured(name, default, doc, group):
    return Parameter(name=name, default=default, doc=doc, group=group, kind="structured")


DEFAULT_FAMILY_GROUPS = [
    {"name": "general", "share": 0.7, "prior_trust": 0.6},
    {"name": "low_trust_community", "share": 0.3, "prior_trust": 0.3},
]

DEFAULT_SECTORS = [
    "child_welfare", "substance_use_treatment", "mental_health", "court", "health",
    "community",
]

NETWORKS = ("random", "small_world", "scale_free", "hub_and_spoke", "ring", "complete",
            "edge_list")
STAGES = ("exploration", "installation", "initial_implementation")

_TABLE = [
    # --- run -------------------------------------------------------------------------
    _p("weeks", 260, 1, 5200, "Weeks to simulate (one step is one week).", "run", "int"),
    _choice("engine", "compiled", ("compiled", "vectorized", "agents"),
            "compiled: each phase of the week one compiled loop (fast, the default); "
            "vectorized: the rules on numpy arrays; agents: each agent steps itself "
            "(readable reference). Same week schedule and rules, docked by test.", "run"),
    _choice("stage_model", "nirn", ("nirn", "single"),
            "nirn: exploration, installation, initial and full implementation, sustainment; "
            "single: one adopt/not-adopt step (the Bass limit).", "run"),
    # --- population --------------------------------------------------------------------
    _p("n_agencies", 12, 1, 100_000, "Public and community agencies.", "population", "int"),
    _p("n_isps", 4, 0, 10_000, "Implementation support practitioners.", "population", "int"),
    _p("n_families", 1200, 0, 10_000_000, "Families served by the agencies.", "population",
       "int"),
    _structured("family_groups", DEFAULT_FAMILY_GROUPS,
                "Family groups: name, share of families, prior trust in public agencies "
                "(lower for communities with histories of harm; Metz 2024, "
                "'The Role of Implementation Practice in Advancing Equity').", "population"),
    _structured("agency_sectors", DEFAULT_SECTORS,
                "Sectors assigned to agencies in turn (cross-system partnerships of the "
                "Regional Partnership Grants, 'Relationships' TA brief).", "population"),
    _choice("partnership_network", "random", NETWORKS,
            "Structure of the agency-agency partnership network: random (Erdos-Renyi, "
            "partnership_density), small_world (Watts-Strogatz), scale_free "
            "(Barabasi-Albert), hub_and_spoke (one lead agency tied to all), ring (a chain "
            "closed into a loop), complete, or edge_list (partnership_edges).", "population"),
    _p("partnership_density", 0.3, 0, 1,
       "random network: chance that two agencies start with a partnership tie.", "population"),
    _p("partnership_degree", 4, 1, 1000,
       "small_world / ring: neighbours per agency; scale_free: ties each new agency makes "
       "(halved, at least 1).", "population", "int"),
    _p("partnership_rewiring", 0.1, 0, 1,
       "small_world: chance each ring tie is rewired to a random agency (Watts & Strogatz "
       "1998).", "population"),
    _structured("partnership_edges", None,
                "edge_list network: a CSV file with columns source,target (agency numbers "
                "from 1, one partnership per row; a real county's partnerships).",
                "population"),
    _p("partner_contact_rate", 0.1, 0, 10,
       "Joint-work contacts per partnership tie per week under normal conditions.",
       "population"),
    # --- the innovation (CFIR 2.0 innovation domain; Damschroder et al. 2022) ------------
    _p("innovation_complexity", 0.6, 0, 1,
       "Complexity of the practice: how many steps, roles and changes it takes; slows "
       "installation and initial implementation.", "innovation"),
    _p("innovation_novelty", 1.0, 0, 1,
       "Distance from current practice: 0 adapts a service agencies already deliver (the "
       "COVID pivots), 1 adopts a new programme.", "innovation"),
    _p("innovation_evidence", 0.7, 0, 1,
       "Strength of the evidence as agencies see it; drives the decision in exploration.",
       "innovation"),
    _p("innovation_adaptability", 0.5, 0, 1,
       "How far the practice can be fitted to local context; scales fit gained from "
       "co-design, coaching and improvement cycles.", "innovation"),
    _choice("start_stage", "exploration", STAGES,
            "Stage every agency starts in; an adaptation of existing work may start at "
            "installation (decided) or initial implementation (already delivering a "
            "version).", "innovation"),
    # --- agencies ----------------------------------------------------------------------
    _p("agency_readiness", 0.35, 0, 1, "Mean readiness / tension for change.", "agency"),
    _p("agency_capacity", 0.75, 0, 1, "Mean capacity: share of staff time available.",
       "agency"),
    _p("agency_fit", 0.4, 0, 1, "Mean initial fit of the practice to the agency's context.",
       "agency"),
    _p("agency_knowledge", 0.1, 0, 1, "Mean initial knowledge of the practice.", "agency"),
    _p("agency_leadership", 0.5, 0, 1, "Mean leadership support for the practice.", "agency"),
    _p("champion_share", 0.3, 0, 1, "Share of agencies with a champion.", "agency"),
    _p("champion_readiness", 0.15, 0, 1,
       "Readiness a champion adds to the agency's own (champions in the 'Relationships' TA "
       "brief).", "agency"),
    _p("agency_propensity", 0.5, 0, 1, "Mean propensity to trust of agency staff.", "agency"),
    _p("agency_benevolence", 0.85, 0, 1,
       "Agencies' benevolence: care shown to families and partners.", "agency"),
    _p("agency_integrity", 0.9, 0, 1, "Agencies' integrity: keeping their word.", "agency"),
    _p("knowledge_ability_weight", 0.3, 0, 1,
       "Share of an agency's ability (as partners and families see it) that comes from "
       "knowing the practice; the rest is staff time (capacity).", "agency"),
    _p("agency_heterogeneity", 0.1, 0, 0.5,
       "Standard deviation of agencies' initial state around the means.", "agency"),
    _p("staff_per_agency", 25, 1, 10_000, "Staff per agency (turnover is drawn per person).",
       "agency", "int"),
    _p("turnover_per_year", 0.25, 0, 1,
       "Share of an agency's staff leaving per year (child welfare: 20-40%).", "agency"),
    # --- implementation support -----------------------------------------------------------
    _p("isp_hours", 20.0, 0, 80, "Hours per week each ISP spends on support.", "support"),
    _p("strategy_mix", 0.0, 0, 1,
       "Co-creative share of the ISPs' hours: 0 top-down, 1 co-creative.", "support"),
    _p("isp_ability", 0.85, 0, 1, "ISPs' ability (competence, methodical use of evidence).",
       "support"),
    _p("isp_benevolence", 0.85, 0, 1, "ISPs' benevolence (empathy, humility).", "support"),
    _p("isp_integrity", 0.9, 0, 1, "ISPs' integrity (commitment, reliability).", "support"),
    _p("isp_reputation", 0.5, 0, 1, "Agencies' prior belief in an ISP before any contact.",
       "support"),
    _p("mandate_authority", 0.5, 0, 1,
       "Formal authority behind directives (a fiscal or policy mandate: Lau & "
       "Brookman-Frazee 2016): lends them legitimacy where trust is missing and scales "
       "the pressure they add.", "support"),
    _structured("interactions", {},
                "Overrides or additions to the micro-interaction catalogue "
                "(sim/data/interactions.yaml), by type name and field.", "support"),
    _structured("strategies", {},
                "Overrides of the strategies' hour allocations over interaction types "
                "(sim/data/strategies.yaml).", "support"),
    # --- trust -------------------------------------------------------------------------
    _p("asymmetry", 3.0, 1, 5,
       "Weight of a negative experience relative to a positive one (Slovic 1993).", "trust"),
    _p("forgetting", 0.98, 0.5, 1,
       "Weekly factor on past evidence (0.95: half-life about 13.5 weeks).", "trust"),
    _p("prior_strength", 2.0, 0.01, 100,
       "Weight of the prior in units of experiences (2 is the uniform Beta prior).", "trust"),
    _p("propensity_weight", 0.5, 0, 1,
       "Share of the prior set by the truster's propensity (the rest: the trustee's "
       "reputation).", "trust"),
    _p("established_evidence", 0.0, 0, 500,
       "Positive experiences already on agency-ISP and partnership ties at the start "
       "(a history of working together).", "trust"),
    _p("repair_ability", 0.5, 0, 1,
       "Share of the negative ability evidence of an unaddressed violation that a frank "
       "conversation repairs (Kim, Ferrin, Cooper & Dirks 2004).", "trust"),
    _p("repair_benevolence", 0.3, 0, 1,
       "Share of unaddressed negative benevolence evidence a frank conversation repairs.",
       "trust"),
    _p("repair_integrity", 0.15, 0, 1,
       "Share of unaddressed negative integrity evidence a frank conversation repairs "
       "(integrity violations repair worst: Kim et al. 2004).", "trust"),
    _p("person_bound_share", 0.7, 0, 1,
       "Share of the evidence on an agency's ties that leaves with departing staff.",
       "trust"),
    _p("leader_share", 0.25, 0, 1,
       "Share of an agency's person-bound evidence held by its leaders (lost when they "
       "change).", "trust"),
    _p("receptivity", 1.0, 0, 5,
       "How strongly trust in the source gates learning from support (exponent).", "trust"),
    _p("trust_threshold", 0.6, 0, 1, "Trust above which a tie counts as trusting.", "trust"),
    # --- crisis: three competing explanations of the pivot, each a weight ----------------
    _p("crisis_necessity", 1.0, 0, 5,
       "Weight of the necessity explanation: urgency lowers barriers and raises readiness "
       "directly, whoever is involved.", "crisis"),
    _p("crisis_relationships", 1.0, 0, 5,
       "Weight of the relationships explanation (Metz 2020, 'the crisis elevated the role "
       "of relationships'): more collaborative decisions, high-frequency communication, "
       "sensitivity to each other's priorities; trust lets agencies take risks.",
       "crisis"),
    _p("crisis_resources", 1.0, 0, 5,
       "Weight of the resources explanation: emergency funding, waived rules and "
       "public-private partnerships raise capacity.", "crisis"),
    _p("necessity_urgency", 1.0, 0, 5,
       "Necessity: readiness (tension for change) added at full crisis.", "crisis"),
    _p("necessity_barriers", 0.5, 0, 1,
       "Necessity: share of the gap to 1 closed on the fit, leadership and capacity "
       "barriers at full crisis.", "crisis"),
    _p("relationships_contact", 0.5, 0, 1,
       "Relationships: share of ISP hours moved to the crisis allocation of short, "
       "frequent contacts (strategies.yaml 'crisis'); a reallocation, not extra hours.",
       "crisis"),
    _p("relationships_collaboration", 3.0, 0, 10,
       "Relationships: joint decisions between partner agencies multiplied by 1 + this "
       "('collaborative decision-making is happening daily').", "crisis"),
    _p("relationships_sensitivity", 0.3, 0, 1,
       "Relationships: share of the gap to a good experience closed on the "
       "benevolence-testing part of encounters ('heightened sensitivity to each other's "
       "priorities', 'everyone is in this together').", "crisis"),
    _p("relationships_risk", 2.0, 0, 10,
       "Relationships: stage hazards multiplied by 1 + this x trust^2 at full crisis "
       "('when trust exists, individuals engage in the risk-taking ... change requires').",
       "crisis"),
    _p("resources_capacity", 0.4, 0, 1,
       "Resources: share of the capacity gap emergency funding fills at full crisis.",
       "crisis"),
    _p("resources_waivers", 0.5, 0, 1,
       "Resources: share of the innovation's complexity waived rules remove at full "
       "crisis.", "crisis"),
    _p("resources_partnerships", 0.02, 0, 1,
       "Resources: weekly chance per agency of a new public-private partnership at full "
       "crisis.", "crisis"),
    _p("isp_surge", 0.1, 0, 2,
       "Extra ISP hours during a crisis, as a share of normal hours at full intensity "
       "(a documented surge, shown in the hours outputs).", "crisis"),
    _p("crisis_capacity_strain", 0.3, 0, 1, "Crisis cost: share of agency capacity taken.",
       "crisis"),
    _p("crisis_turnover", 0.5, 0, 5, "Crisis cost: staff turnover multiplied by 1 + this.",
       "crisis"),
    _p("crisis_family_need", 0.5, 0, 5, "Crisis cost: families' need and contact raised.",
       "crisis"),
    # --- adoption ----------------------------------------------------------------------
    _p("innovation_rate", 0.2, 0, 5,
       "Weekly hazard scale of moving to the next stage when every driver is at its best "
       "(Bass p in the single-stage limit).", "adoption"),
    _p("peer_influence", 0.05, 0, 5,
       "Weekly hazard added by full exposure to trusted partners that deliver the practice "
       "(Bass q in the single-stage limit).", "adoption"),
    _p("peer_reference", 2.0, 0.1, 100_000,
       "Trust-weighted count of delivering partners that makes exposure full; more "
       "partners add nothing, fewer add in proportion.", "adoption"),
    _p("peer_learning", 0.02, 0, 1,
       "Share of the gap to full knowledge one good contact with a delivering partner "
       "closes (peer learning).", "adoption"),
    _p("mandate_weight", 0.05, 0, 5,
       "Weekly hazard added per unit of mandate pressure, regardless of trust or fit.",
       "adoption"),
    _p("pressure_retention", 0.9, 0, 1, "Weekly share of mandate pressure that remains.",
       "adoption"),
    _p("fallback_rate", 0.04, 0, 1,
       "Weekly hazard scale of falling back a stage when fit, fidelity and trust are gone.",
       "adoption"),
    _p("abandon_rate", 0.01, 0, 1,
       "Weekly hazard scale of abandoning (de-adopting) without readiness and trust.",
       "adoption"),
    _p("shallow_fallback", 4.0, 0, 50,
       "Extra fall-back hazard of mandated (shallow) adoption once pressure is gone.",
       "adoption"),
    _p("sustainment_weeks", 52, 1, 1040,
       "Weeks at full implementation before sustainment can be earned.", "adoption", "int"),
    _p("learning_decay", 0.995, 0, 1,
       "Weekly retention of knowledge and fidelity without reinforcement.", "adoption"),
    # --- families ----------------------------------------------------------------------
    _p("family_contact_rate", 0.25, 0, 1, "Weekly chance a family has contact with its agency.",
       "families"),
    _p("family_case_weeks", 52.0, 1, 5200,
       "Mean weeks a family's case stays open; closed cases are replaced by new ones "
       "(a caseload that turns over).", "families"),
    _p("family_eligibility", 0.7, 0, 1,
       "Share of cases for which the practice is indicated (only they can engage).",
       "families"),
    _p("family_engagement_rate", 0.08, 0, 1,
       "Weekly chance a fully trusting family engages with a delivered practice.", "families"),
    _p("family_disengagement_rate", 0.05, 0, 1,
       "Weekly chance a distrusting family disengages.", "families"),
    _p("family_lapse_rate", 0.01, 0, 1,
       "Weekly chance an engaged family's engagement lapses whatever its trust (moves, "
       "missed sessions).", "families"),
    _p("voice_effect", 0.5, 0, 1,
       "How much family voice (co-design) lifts low-trust families' experiences.",
       "families"),
    _p("power_gap", 0.3, 0, 1,
       "Share of a family's encounters spoiled per unit of missing prior trust (power "
       "differentials).", "families"),
    _p("word_of_mouth", 0.0, 0, 1,
       "Weight of the community's trust in a family's prior (family-family ties).",
       "families"),
    # --- scenario events -----------------------------------------------------------------
    _structured("timeline", [],
                "Events: crisis, support_withdrawn, funding_cut, turnover_wave, partner_joins, "
                "leadership_change, strategy_switch, violation (see sim/timeline.py).",
                "events"),
]

PARAMETERS: dict[str, Parameter] = {p.name: p for p in _TABLE}
_STRUCTURED_DEFAULTS = tuple(p.name for p in _TABLE if p.kind == "structured")


def defaults() -> dict[str, Any]:
    """A fresh copy of every default (structured ones deep-copied; the others are
    immutable). The structured defaults are plain lists and mappings, copied in one pickle
    round trip, several times faster than ``copy.deepcopy`` (paid by every model built)."""
    out = {name: p.default for name, p in PARAMETERS.items()}
    structured = {name: out[name] for name in _STRUCTURED_DEFAULTS}
    out.update(pickle.loads(pickle.dumps(structured, pickle.HIGHEST_PROTOCOL)))
    return out


def closest_name(name: str, names=None) -> str | None:
    """The closest valid name, for 'did you mean' hints."""
    import difflib

    hits = difflib.get_close_matches(name, list(names or PARAMETERS), n=1, cutoff=0.5)
    return hits[0] if hits else None


def check_value(name: str, value: Any) -> Any:
    """Return ``value`` coerced to the parameter's kind, or raise ValueError saying why."""
    if name not in PARAMETERS:
        hint = closest_name(name)
        extra = f" (did you mean '{hint}'?)" if hint else ""
        raise ValueError(f"unknown parameter '{name}'{extra}")
    p = PARAMETERS[name]
    if p.kind == "structured":
        return value
    if p.kind == "choice":
        if value not in p.choices:
            raise ValueError(f"parameter '{name}' = {value!r}: expected {p.describe_range()}")
        return value
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or (isinstance(value, float) and not math.isfinite(value))):  # int(inf) raises
        raise ValueError(f"parameter '{name}' = {value!r}: expected {p.describe_range()}")
    if p.kind == "int":
        if float(value) != int(value):
            raise ValueError(f"parameter '{name}' = {value!r}: expected {p.describe_range()}")
        value = int(value)
    else:
        value = float(value)
    bad = math.isnan(value) or (p.low is not None and value < p.low) or (
        p.high is not None and value > p.high)
    if bad:
        raise ValueError(f"parameter '{name}' = {value!r}: expected {p.describe_range()}")
    return value


def resolve(params: dict[str, Any]) -> dict[str, Any]:
    """Defaults updated by ``params``, every value checked; structured ones parsed later."""
    out = defaults()
    for name, value in params.items():
        out[name] = check_value(name, value)
    return out
