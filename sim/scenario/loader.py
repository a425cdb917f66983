"""Read a scenario file: YAML, ``extends`` chains, validation, per-arm model parameters.

Merging along ``extends``: mappings (``population``, ``parameters``, ``interactions``,
``strategies``) merge key by key, lists (``timeline``, ``family_groups``) and ``arms``
are replaced whole, so a child file can drop arms or events its base defines.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.errors import (
    Provenance,
    display_path,
    from_model_error,
    from_validation_error,
    source_of,
)
from sim.scenario.schema import ScenarioSpec
from sim.yamlfile import read_mapping

#: Top-level keys replaced whole by a child file rather than merged.
REPLACED = ("arms",)
COMMAND_LINE = "command line"


def read_yaml(path: Path) -> dict[str, Any]:
    """A scenario file's top-level mapping (``sim.yamlfile``: size, encoding, aliases)."""
    return read_mapping(path, ScenarioError, "scenario")


def merge(base: dict, over: dict, prov: Provenance, src: str, path: tuple = ()) -> dict:
    """``over`` deep-merged onto ``base`` (lists replaced); record who set what in ``prov``."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        here = (*path, key)
        mergeable = not (path == () and key in REPLACED)
        if mergeable and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value, prov, src, here)
        else:
            out[key] = copy.deepcopy(value)
            for k in [k for k in prov if k[:len(here)] == here]:
                del prov[k]
            prov[here] = src
    return out


def resolve_extends(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, Provenance]:
    """The file merged onto its ``extends`` chain, and where each value came from."""
    path = path.resolve()
    shown = display_path(path)
    if path in chain:
        cycle = " -> ".join(display_path(p) for p in (*chain, path))
        raise ScenarioError(f"cycle: {cycle}", source=display_path(chain[-1]),
                            field="extends")
    raw = read_yaml(path)
    target = raw.pop("extends", None)
    base: dict = {}
    prov: Provenance = {}
    if target is not None:
        if not isinstance(target, str) or not target.strip():
            raise ScenarioError(f"expected a file name relative to this file, got {target!r}",
                                source=shown, field="extends")
        parent = (path.parent / target)
        if not parent.is_file():
            what = "is a folder" if parent.is_dir() else "not found"
            raise ScenarioError(f"file '{target}' {what} (looked for {display_path(parent)}); "
                                "expected a scenario file", source=shown, field="extends")
        base, prov = resolve_extends(parent, (*chain, path))
        base.pop("workshop", None)  # a trainers' note speaks of its own file only
        prov.pop(("workshop",), None)
    return merge(base, raw, prov, shown), prov


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its arms, run settings and the model parameters of each arm."""

    spec: ScenarioSpec
    source: Path
    provenance: Provenance = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def description(self) -> str:
        return self.spec.description

    @property
    def workshop(self) -> str:
        """The trainers' note (question, what to click, what to notice), or ''."""
        return " ".join((self.spec.workshop or "").split())

    @property
    def weeks(self) -> int:
        return self.spec.weeks

    @property
    def replicates(self) -> int:
        return self.spec.replicates

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def arms(self) -> list[str]:
        """Arm names in file order; the first is the reference for differences."""
        return list(self.spec.arms)

    def resolved(self) -> dict[str, Any]:
        """The fully merged scenario as plain data (what ran, for the manifest)."""
        return self.spec.model_dump(mode="json", exclude_none=True)

    def hash(self) -> str:
        """sha256 of the resolved scenario as canonical JSON."""
        text = json.dumps(self.resolved(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def arm_params(self, arm: str) -> dict[str, Any]:
        """Flat ``TrustModel`` keyword parameters of one arm (defaults left to the model)."""
        if arm not in self.spec.arms:
            raise KeyError(f"scenario '{self.name}' has no arm '{arm}'; arms: {self.arms}")
        data = self.resolved()
        params: dict[str, Any] = {**data["population"], **data["parameters"]}
        for key in ("interactions", "strategies"):
            if data[key]:
                params[key] = data[key]
        params["timeline"] = data["timeline"]
        params["weeks"] = data["weeks"]
        params = merge(params, data["arms"][arm], {}, "")
        if params.get("partnership_edges"):  # a CSV path, relative to the scenario file
            params["partnership_edges"] = str(self.source.parent / params["partnership_edges"])
        return params

    def with_overrides(self, **overrides: Any) -> Scenario:
        """The same scenario with top-level fields (weeks, replicates, seed) replaced."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if not given:
            return self
        prov = dict(self.provenance)
        prov.update({(k,): COMMAND_LINE for k in given})
        return validate(self.resolved() | given, prov, self.source)


def validate(data: dict[str, Any], prov: Provenance, source: Path) -> Scenario:
    """Validate a merged scenario: schema, events within the run, each arm's parameters."""
    shown = display_path(source)
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, prov, shown) from None
    scenario = Scenario(spec=spec, source=Path(source), provenance=prov)
    _check_event_weeks(scenario, shown)
    _check_arms(scenario, shown)
    _check_capacity(scenario, shown)
    return scenario


def _check_capacity(scenario: Scenario, shown: str) -> None:
    """A valid scenario may still be beyond this machine (10^7 families, 10^5 agencies):
    refuse it here, before the CLI, the dashboard or a sweep starts a run of it."""
    from sim import capacity

    for arm in scenario.arms:
        capacity.check_run(capacity.estimate(scenario.arm_params(arm)), 1, ScenarioError,
                           shown, "population")


def _check_event_weeks(scenario: Scenario, shown: str) -> None:
    spec = scenario.spec
    lists = [(("timeline",), spec.timeline)]
    lists += [(("arms", a, "timeline"), arm.timeline) for a, arm in spec.arms.items()
              if arm.timeline is not None]
    for loc, events in lists:
        for i, event in enumerate(events):
            if event.start() > spec.weeks:  # week `weeks` is the last one simulated
                key = "onset" if event.kind == "crisis" else "week"
                weeks_from = source_of(("weeks",), scenario.provenance, shown)
                raise ScenarioError(
                    f"the {event.kind} event starts at week {event.start()}, after the end "
                    f"of the run; expected a week up to weeks = {spec.weeks} "
                    f"(set in {weeks_from})",
                    source=source_of((*loc, i), scenario.provenance, shown),
                    field=".".join(str(x) for x in (*loc, i, key)))


def _check_arms(scenario: Scenario, shown: str) -> None:
    from sim.config import check_params

    for arm in scenario.arms:
        try:
            check_params(scenario.arm_params(arm))
        except ValueError as exc:
            keys = set(scenario.spec.arms[arm].model_dump(exclude_none=True))
            raise from_model_error(exc, arm, keys, scenario.provenance, shown) from None


def load_scenario(path: str | Path, **overrides: Any) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file.

    ``overrides`` replace top-level fields (``weeks``, ``replicates``, ``seed``) as the
    command line does. Raises ``ScenarioError`` naming the file, field and expectation.
    """
    source = Path(path)
    data, prov = resolve_extends(source)
    given = {k: v for k, v in overrides.items() if v is not None}
    prov.update({(k,): COMMAND_LINE for k in given})
    return validate(data | given, prov, source)
