"""The scenario file schema (pydantic, unknown keys forbidden).

Scalar model parameters are generated from ``sim.parameters.PARAMETERS`` so that a
parameter is declared once; structured ones reuse the timeline and catalogue models.
Sections: ``population`` (who is there), ``parameters`` (any other scalar parameter),
``interactions`` / ``strategies`` (catalogue overrides), ``timeline`` (events) and
``arms`` (named variants compared against each other).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from sim.catalogue import MAX_SHARE, InteractionType
from sim.parameters import PARAMETERS, Parameter
from sim.timeline import Event

#: Scalar parameters that live under ``population:`` rather than ``parameters:``.
POPULATION_KEYS = ("n_agencies", "n_isps", "n_families", "partnership_network",
                   "partnership_density", "partnership_degree", "partnership_rewiring",
                   "staff_per_agency")
#: Set at the top level of a scenario, never in a section or an arm.
TOP_LEVEL_PARAMS = ("weeks",)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: Family group names become outcome columns (``reach_<name>``): identifier-like.
GROUP_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: What each name pattern asks for, in words (for error messages).
PATTERN_WORDS = {
    NAME_PATTERN: "a name of letters, digits, '_', '.' and '-' starting with a letter or digit",
    GROUP_NAME_PATTERN: "a name of letters, digits and underscores, not starting with a digit",
}
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=100)]
GroupName = Annotated[str, StringConstraints(pattern=GROUP_NAME_PATTERN, max_length=100)]
Unit = Annotated[float, Field(ge=0, le=1, strict=True)]
#: The trainers' note a scenario carries (``workshop:``): a few plain sentences.
WORKSHOP_MAX = 600


class _Strict(BaseModel):
    # strict: '8' is not a number; no inf or nan anywhere in a scenario
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class FamilyGroup(_Strict):
    """A group of families with its own prior trust in public agencies (Metz 2024)."""

    name: GroupName
    share: Unit
    prior_trust: Unit


def _scalar_type(p: Parameter) -> Any:
    if p.kind == "choice":
        return Literal[p.choices]  # type: ignore[valid-type]
    base = int if p.kind == "int" else float
    return Annotated[base, Field(ge=p.low, le=p.high, strict=True)]


def _partial(model: type[BaseModel], name: str) -> type[BaseModel]:
    """A copy of ``model`` whose fields are all optional (for overrides), nested too."""
    fields: dict[str, Any] = {}
    for key, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            ann = _partial(ann, f"{name}{ann.__name__}")
        elif info.metadata:
            ann = Annotated[(ann, *info.metadata)]
        fields[key] = (ann | None, None)
    return create_model(name, __base__=_Strict, **fields)


InteractionOverride = _partial(InteractionType, "InteractionOverride")

StrategyOverrides = dict[Literal["co_creative", "top_down", "crisis"],
                         dict[str, Annotated[float, Field(ge=0, le=MAX_SHARE, strict=True)]]]

_STRUCTURED_TYPES: dict[str, Any] = {
    "timeline": list[Event],
    "interactions": dict[str, InteractionOverride],
    "strategies": StrategyOverrides,
    "family_groups": Annotated[list[FamilyGroup], Field(min_length=1)],
    "agency_sectors": Annotated[list[Name], Field(min_length=1)],
    "partnership_edges": Annotated[str, StringConstraints(min_length=1, max_length=4096)],
}


def _params_model(name: str, names: list[str]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for key in names:
        p = PARAMETERS[key]
        ann = _STRUCTURED_TYPES[key] if p.kind == "structured" else _scalar_type(p)
        fields[key] = (ann | None, None)
    return create_model(name, __base__=_Strict, **fields)


_SCALARS = [n for n, p in PARAMETERS.items() if p.kind != "structured"]
Population = _params_model("Population",
                           [*POPULATION_KEYS, "family_groups", "agency_sectors",
                            "partnership_edges"])
Parameters = _params_model("Parameters", [n for n in _SCALARS
                                          if n not in POPULATION_KEYS + TOP_LEVEL_PARAMS])
Arm = _params_model("Arm", [n for n in PARAMETERS if n not in TOP_LEVEL_PARAMS])


class ScenarioSpec(_Strict):
    """A whole scenario after ``extends`` has been resolved."""

    name: Name
    description: str = ""
    #: For trainers (the dashboard's About panel): the question, what to click, what to
    #: notice. None when absent, so files without one keep their hash.
    workshop: Annotated[str, StringConstraints(max_length=WORKSHOP_MAX)] | None = None
    weeks: Annotated[int, Field(ge=1, le=5200, strict=True)] = PARAMETERS["weeks"].default
    replicates: Annotated[int, Field(ge=1, le=100_000, strict=True)] = 10
    seed: Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)] = 0
    population: Population = Population()  # type: ignore[valid-type]
    parameters: Parameters = Parameters()  # type: ignore[valid-type]
    interactions: dict[str, InteractionOverride] = {}  # type: ignore[valid-type]
    strategies: StrategyOverrides = {}
    timeline: list[Event] = []
    arms: Annotated[dict[Name, Arm], Field(min_length=1)]  # type: ignore[valid-type]


#: Which section of a scenario file each model parameter belongs to.
def section_of(param: str) -> str:
    """``population``, ``parameters``, a structured section name, or the top level."""
    if param in TOP_LEVEL_PARAMS:
        return ""
    if param in POPULATION_KEYS or param in ("family_groups", "agency_sectors",
                                             "partnership_edges"):
        return "population"
    if PARAMETERS[param].kind == "structured":
        return param
    return "parameters"
