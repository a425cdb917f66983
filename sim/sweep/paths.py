"""Dotted paths into a run's parameters: what a sweep may vary, checked before any run.

A path names a flat ``TrustModel`` parameter (``asymmetry``), a field of an interaction
type (``interactions.co_learning.hours``, ``interactions.directive.tests.integrity``), a
strategy's hour share (``strategies.co_creative.co_learning``), a field of a timeline
event of the base scenario (``timeline.0.intensity``) or of a family group
(``family_groups.low_trust_community.prior_trust``). Every path and range is checked
against the model's own tables up front, so a typo costs one line, not a failed sweep.
"""

from __future__ import annotations

import copy
import difflib
import math
from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
from pydantic import BaseModel

from sim import catalogue, timeline
from sim.errors import ExperimentError
from sim.parameters import DEFAULT_FAMILY_GROUPS, PARAMETERS
from sim.sweep.spec import ExperimentSpec, ParameterRange


@dataclass(frozen=True)
class Target:
    """One variable field: its kind (float, int, choice) and allowed range."""

    path: str
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        what = "whole numbers" if self.kind == "int" else "numbers"
        lo = "" if self.low is None else (f"> {self.low:g}" if self.low_open
                                           else f">= {self.low:g}")
        hi = "" if self.high is None else f"<= {self.high:g}"
        bounds = [b for b in (lo, hi) if b]
        return f"{what} " + " and ".join(bounds) if bounds else what

    def allows(self, value: Any) -> bool:
        if self.kind == "choice":
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high

    def convert(self, value: Any) -> Any:
        """A sampled value as the model wants it: a plain int, float or string."""
        return self.convert_many([value]).tolist()[0]

    def convert_many(self, values: Any) -> np.ndarray:
        """Sampled values as the model wants them, a whole column as one array (a design of
        10^5 points as Python objects would cost the coordinator tens of MiB it never gives
        back). Whole numbers round half to even, as Python's ``round`` does."""
        if self.kind == "choice":
            return np.array([str(v) for v in values], dtype=object)
        values = np.asarray(values, dtype=float)
        return np.rint(values).astype(np.int64) if self.kind == "int" else values


def _bounds(field) -> tuple[float | None, float | None, bool]:
    low = high = None
    low_open = False
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            low = m.ge
        if getattr(m, "gt", None) is not None:
            low, low_open = m.gt, True
        if getattr(m, "le", None) is not None:
            high = m.le
    return low, high, low_open


def _model_targets(prefix: str, model: type[BaseModel], skip=("kind",)) -> dict[str, Target]:
    """Numeric fields of a pydantic model (recursing into nested models)."""
    out: dict[str, Target] = {}
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(_model_targets(f"{prefix}.{name}", ann))
            continue
        base = get_args(ann)[0] if get_args(ann) else ann
        if base in (int, float) and ann is not bool:
            low, high, low_open = _bounds(field)
            kind = "int" if base is int else "float"
            out[f"{prefix}.{name}"] = Target(f"{prefix}.{name}", kind, low, high, low_open)
    return out


def valid_targets(base: dict[str, Any]) -> dict[str, Target]:
    """Every path a sweep may vary on top of ``base`` (a base arm's parameters)."""
    out: dict[str, Target] = {}
    for name, p in PARAMETERS.items():
        if p.kind == "choice":
            out[name] = Target(name, "choice", choices=p.choices)
        elif p.kind in ("float", "int"):
            out[name] = Target(name, p.kind, p.low, p.high)
    types = catalogue.interaction_types(base.get("interactions"))
    for tname in types:
        out.update(_model_targets(f"interactions.{tname}", catalogue.InteractionType))
    for strategy in catalogue.STRATEGIES:
        for tname in types:
            path = f"strategies.{strategy}.{tname}"
            out[path] = Target(path, "float", 0.0, catalogue.MAX_SHARE)
    for i, event in enumerate(timeline.parse_timeline(base.get("timeline"))):
        out.update(_model_targets(f"timeline.{i}", type(event)))
    for i, group in enumerate(base.get("family_groups") or DEFAULT_FAMILY_GROUPS):
        for key in ("share", "prior_trust"):
            for ref in (str(i), group.get("name")):
                if ref is not None and key in group:
                    path = f"family_groups.{ref}.{key}"
                    out[path] = Target(path, "float", 0.0, 1.0)
    return out


def lookup[T](path: str, targets: dict[str, T], source: str, field: str,
              what: str = "unknown parameter path") -> T:
    """``targets[path]``; ExperimentError suggesting the closest valid name if none."""
    if path in targets:
        return targets[path]
    hint = difflib.get_close_matches(path, list(targets), n=1, cutoff=0.4)
    extra = f"; did you mean '{hint[0]}'?" if hint else ""
    raise ExperimentError(f"{what}{extra}", source=source, field=field)


def check_parameters(spec: ExperimentSpec, base: dict[str, Any]) -> dict[str, Target]:
    """The targets of the experiment's parameters; ExperimentError on a bad path or range."""
    source = str(spec.source) if spec.source else "experiment"
    targets = valid_targets(base)
    out = {}
    for path, rng in spec.parameters.items():
        field = f"parameters.{path}"
        target = lookup(path, targets, source, field)
        _check_range(target, rng, source, field)
        out[path] = target
    return out


def _check_range(target: Target, rng: ParameterRange, source: str, field: str) -> None:
    if rng.levels is not None:
        for value in rng.levels:
            if not target.allows(value):
                raise ExperimentError(f"level {value!r} is not allowed: expected "
                                      f"{target.describe()}", source=source, field=field)
        return
    if target.kind == "choice":
        raise ExperimentError(f"expected levels ({target.describe()}), not a range",
                              source=source, field=field)
    for value in (rng.low, rng.high):
        if not target.allows(value):
            raise ExperimentError(f"range {rng.low:g}..{rng.high:g} goes outside the allowed "
                                  f"{target.describe()}", source=source, field=field)


def apply(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with each dotted path set to its value (public: what sweeps,
    calibration and sim.ema use to turn a point into TrustModel parameters; check the
    paths first with ``valid_targets``)."""
    params = copy.deepcopy(base)
    for path, value in values.items():
        head, *rest = path.split(".")
        if not rest:
            params[head] = value
        elif head in ("interactions", "strategies"):
            node = params.setdefault(head, {})
            for key in rest[:-1]:
                node = node.setdefault(key, {})
            node[rest[-1]] = value
        elif head == "timeline":
            params["timeline"][int(rest[0])][rest[1]] = value
        elif head == "family_groups":
            groups = params.setdefault("family_groups", copy.deepcopy(DEFAULT_FAMILY_GROUPS))
            ref = rest[0]
            group = (groups[int(ref)] if ref.isdigit()
                     else next(g for g in groups if g.get("name") == ref))
            group[rest[1]] = value
        else:  # pragma: no cover - check_parameters rejects anything else
            raise KeyError(path)
    return params
