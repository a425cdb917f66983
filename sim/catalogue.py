"""The editable catalogues: interaction types, strategies and implementation stages.

They are data (``sim/data/*.yaml``) so that a researcher can retune or add a type in a
scenario file without code; this module validates them (pydantic) and turns them into
the arrays the engines read.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DIMENSIONS = ("ability", "benevolence", "integrity")
EFFECTS = ("knowledge", "fit", "fidelity", "readiness", "voice")
DRIVERS = ("readiness", "capacity", "fit", "knowledge", "fidelity", "leadership", "trust",
           "evidence")
STRATEGIES = ("co_creative", "top_down", "crisis")

Unit = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[float, Field(ge=0, le=10)]
#: Largest hour share of a type in a strategy (shares are weights, normalised per strategy).
MAX_SHARE = 100.0


class _Strict(BaseModel):
    # strict: '8' is not a number; no inf or nan (the model would overflow or warn)
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Tests(_Strict):
    ability: Unit = 0.0
    benevolence: Unit = 0.0
    integrity: Unit = 0.0


class Effects(_Strict):
    knowledge: Unit = 0.0
    fit: Unit = 0.0
    fidelity: Unit = 0.0
    readiness: Unit = 0.0
    voice: Unit = 0.0


class InteractionType(_Strict):
    """One kind of micro-interaction (fields documented in sim/data/interactions.yaml)."""

    label: str
    description: str = ""
    strategy: Literal["co_creative", "top_down", "both"] = "both"
    hours: Annotated[float, Field(gt=0, le=80)]
    group_size: Annotated[float, Field(ge=1, le=100)] = 1.0
    tests: Tests
    quality: Unit = 0.8
    legitimacy_needed: Unit = 0.0
    strain_sensitivity: Unit = 0.0
    evidence: Annotated[float, Field(ge=0, le=100)] = 1.0
    negative_weight: Annotated[float, Field(ge=0, le=100)] = 1.0
    reciprocal: bool = False
    effects: Effects = Effects()
    pressure: Rate = 0.0
    special: Literal["broker", "repair", "coordination"] | None = None
    strengths: str = ""
    costs: str = ""
    source: str = ""


class Contact(_Strict):
    """Encounters outside ISP support (sim/data/contacts.yaml)."""

    tests: Tests
    strain_sensitivity: Unit = 0.0
    source: str = ""


class Stage(_Strict):
    """One implementation stage and its weekly hazards (sim/data/stages.yaml)."""

    name: str
    rate: Rate = 0.0
    peer: Rate = 0.0
    mandate: Rate = 0.0
    abandon: Rate = 0.0
    fallback: Rate = 0.0
    complexity: Rate = 0.0
    novelty: Rate = 0.0
    delivers: bool = False
    drivers: dict[Literal[DRIVERS], Annotated[float, Field(ge=0, le=10)]] = {}  # type: ignore[valid-type]


def _read(name: str) -> Any:
    return yaml.safe_load(resources.files("sim.data").joinpath(name).read_text())


@cache
def _shipped_interactions() -> dict[str, Any]:
    return _read("interactions.yaml")


@cache
def _shipped_strategies() -> dict[str, Any]:
    return _read("strategies.yaml")


@cache
def _shipped_stages() -> dict[str, Any]:
    return _read("stages.yaml")


def _tests_array(tests: Tests) -> np.ndarray:
    """Test weights over DIMENSIONS, normalised to sum to one (all zero stays zero)."""
    t = np.array([getattr(tests, d) for d in DIMENSIONS], dtype=float)
    return t / t.sum() if t.sum() > 0 else t


@cache
def _contacts() -> dict[str, Contact]:
    return {name: Contact.model_validate(spec) for name, spec in _read("contacts.yaml").items()}


@cache
def contact_tests() -> dict[str, np.ndarray]:
    """What family and partnership contacts test, from sim/data/contacts.yaml."""
    return {name: _tests_array(c.tests) for name, c in _contacts().items()}


@cache
def contact_strain() -> dict[str, float]:
    """How much capacity strain spoils each kind of contact (sim/data/contacts.yaml)."""
    return {name: c.strain_sensitivity for name, c in _contacts().items()}


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _first_error(exc: ValidationError, prefix: str) -> ValueError:
    err = exc.errors()[0]
    where = ".".join(str(x) for x in err["loc"])
    return ValueError(f"parameter '{prefix}.{where}': {err['msg']}")


def interaction_types(overrides: dict[str, Any] | None = None) -> dict[str, InteractionType]:
    """The shipped catalogue with a scenario's overrides or additions applied."""
    raw = _merge(_shipped_interactions(), overrides or {})
    out = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise ValueError(f"parameter 'interactions.{name}': expected a mapping of fields")
        try:
            out[name] = InteractionType.model_validate(spec)
        except ValidationError as exc:
            raise _first_error(exc, f"interactions.{name}") from None
    return out


def strategies(overrides: dict[str, Any] | None, types: dict[str, InteractionType]
               ) -> dict[str, dict[str, float]]:
    """Hour shares per strategy, normalised; unknown strategy or type names are errors."""
    raw = _merge(_shipped_strategies(), overrides or {})
    out = {}
    for name in STRATEGIES:
        if name not in raw:
            raise ValueError(f"parameter 'strategies': missing strategy '{name}'")
    for name, shares in raw.items():
        if name not in STRATEGIES:
            raise ValueError(f"parameter 'strategies.{name}': unknown strategy; expected "
                             "one of " + ", ".join(STRATEGIES))
        for t, w in shares.items():
            if t not in types:
                raise ValueError(f"parameter 'strategies.{name}.{t}': unknown interaction type")
            if (isinstance(w, bool) or not isinstance(w, int | float)
                    or not 0 <= w <= MAX_SHARE):  # nan fails this too
                raise ValueError(f"parameter 'strategies.{name}.{t}' = {w!r}: expected a "
                                 f"share in [0, {MAX_SHARE:g}]")
        total = sum(shares.values())
        if total <= 0:
            raise ValueError(f"parameter 'strategies.{name}': shares must not all be zero")
        out[name] = {t: w / total for t, w in shares.items()}
    return out


def stages(stage_model: str) -> list[Stage]:
    return list(_validated_stages(stage_model))


@cache
def _validated_stages(stage_model: str) -> tuple[Stage, ...]:
    raw = _shipped_stages()
    if stage_model not in raw:
        raise ValueError(f"parameter 'stage_model' = {stage_model!r}: expected one of "
                         + ", ".join(repr(k) for k in raw))
    return tuple(Stage.model_validate(s) for s in raw[stage_model])


@dataclass
class Catalogue:
    """The interaction types and strategies as arrays (one row per type)."""

    names: list[str]
    types: dict[str, InteractionType]
    hours: np.ndarray  # (K,) ISP hours per interaction
    group_size: np.ndarray  # (K,) agencies reached per interaction
    tests: np.ndarray  # (K, 3) normalised weights over DIMENSIONS
    quality: np.ndarray
    legitimacy_needed: np.ndarray
    strain_sensitivity: np.ndarray
    evidence: np.ndarray
    negative_weight: np.ndarray
    reciprocal: np.ndarray  # bool
    effects: np.ndarray  # (K, len(EFFECTS))
    pressure: np.ndarray
    broker: np.ndarray  # bool
    repair: np.ndarray  # bool
    encounter: np.ndarray  # bool: False for coordination (hours without an encounter)
    co_creative: np.ndarray  # (K,) hour shares
    top_down: np.ndarray
    crisis: np.ndarray

    @property
    def reciprocal_types(self) -> np.ndarray:
        """Indices of the types in which the ISP also learns about the agency."""
        return np.flatnonzero(self.reciprocal)

    def hour_shares(self, strategy_mix, crisis_shift=0.0) -> np.ndarray:
        """Hour shares over types for a co-creative share (scalar or per ISP -> (n, K)),
        with ``crisis_shift`` of the hours moved to the crisis allocation."""
        mix = np.asarray(strategy_mix, dtype=float)[..., None]
        normal = mix * self.co_creative + (1.0 - mix) * self.top_down
        return (1.0 - crisis_shift) * normal + crisis_shift * self.crisis


def build_catalogue(interactions: dict | None = None, strategy_overrides: dict | None = None
                    ) -> Catalogue:
    types = interaction_types(interactions)
    strat = strategies(strategy_overrides, types)
    names = list(types)

    def col(attr):
        return np.array([getattr(types[n], attr) for n in names], dtype=float)

    def special(kind):
        return np.array([types[n].special == kind for n in names])

    tests = np.array([_tests_array(types[n].tests) for n in names]).reshape(len(names), 3)
    effects = np.array([[getattr(types[n].effects, e) for e in EFFECTS] for n in names])
    return Catalogue(
        names=names, types=types, hours=col("hours"), group_size=col("group_size"),
        tests=tests, quality=col("quality"), legitimacy_needed=col("legitimacy_needed"),
        strain_sensitivity=col("strain_sensitivity"),
        evidence=col("evidence"), negative_weight=col("negative_weight"),
        reciprocal=np.array([types[n].reciprocal for n in names]),
        effects=effects, pressure=col("pressure"),
        broker=special("broker"), repair=special("repair"), encounter=~special("coordination"),
        **{s: np.array([strat[s].get(n, 0.0) for n in names]) for s in STRATEGIES},
    )


def shared_catalogue(interactions: dict | None = None,
                     strategy_overrides: dict | None = None) -> Catalogue:
    """``build_catalogue``, built once per distinct overrides and shared by the runs that
    give them: validating and deep-copying the catalogue cost as much as setting up the
    rest of a run, and no run writes to its catalogue (the engines copy what they
    scale). Overrides are told apart by their pickle, types and key order included."""
    try:
        key = pickle.dumps((interactions, strategy_overrides), pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - what cannot be pickled is built afresh
        return build_catalogue(interactions, strategy_overrides)
    return _catalogue_of(key)


@lru_cache(maxsize=64)
def _catalogue_of(key: bytes) -> Catalogue:
    """The catalogue of pickled overrides (built from the key, so it cannot drift)."""
    return build_catalogue(*pickle.loads(key))


def load_catalogue(overrides: dict | None = None) -> dict[str, InteractionType]:
    """The interaction catalogue (for listings): type name -> validated type."""
    return interaction_types(overrides)
