"""Checking a run's parameters, structured ones too (family groups, sectors, the catalogue,
stages, the timeline), without building a model: what a sweep's or scenario's
coordinator checks before any run, without importing Mesa (``TrustModel`` builds on
the ``Config`` this returns).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sim import catalogue as cat_mod
from sim.network import read_edge_list
from sim.parameters import STRUCTURED, resolve
from sim.timeline import parse_timeline


@dataclass
class Config:
    """Validated parameters: scalars, family groups, sectors, catalogue, stages, events."""

    params: dict[str, Any]
    p: SimpleNamespace
    groups: list[dict]
    sectors: list[str]
    catalogue: cat_mod.Catalogue
    stages: list[cat_mod.Stage]
    events: list


def _check_groups(groups) -> list[dict]:
    if not isinstance(groups, list) or not groups:
        raise ValueError("parameter 'family_groups': expected a non-empty list of "
                         "{name, share, prior_trust}")
    seen = set()
    for i, g in enumerate(groups):
        where = f"parameter 'family_groups.{i}'"
        if not isinstance(g, dict) or set(g) != {"name", "share", "prior_trust"}:
            raise ValueError(f"{where}: expected exactly the keys name, share, prior_trust")
        if not isinstance(g["name"], str) or not g["name"].isidentifier() or g["name"] in seen:
            raise ValueError(f"{where}.name: expected a unique identifier-like name")
        seen.add(g["name"])
        if not isinstance(g["share"], int | float) or not 0 < g["share"] <= 1:
            raise ValueError(f"{where}.share: expected a number in (0, 1]")
        if not isinstance(g["prior_trust"], int | float) or not 0 <= g["prior_trust"] <= 1:
            raise ValueError(f"{where}.prior_trust: expected a number in [0, 1]")
    return groups


def _check_sectors(sectors) -> list[str]:
    if not isinstance(sectors, list) or not sectors or not all(
            isinstance(s, str) and s for s in sectors):
        raise ValueError("parameter 'agency_sectors': expected a non-empty list of names")
    return sectors


def _check_network(values: dict[str, Any]) -> None:
    edges = values["partnership_edges"]
    if edges is not None and not isinstance(edges, str):
        raise ValueError("parameter 'partnership_edges': expected the path of a CSV file")
    if values["partnership_network"] == "edge_list":
        read_edge_list(edges, values["n_agencies"])


def check_params(params: dict[str, Any]) -> Config:
    """Validate every parameter (structured ones too) without building a model."""
    values = resolve(params)
    if not isinstance(values["interactions"], dict):
        raise ValueError("parameter 'interactions': expected a mapping of type -> fields")
    if not isinstance(values["strategies"], dict):
        raise ValueError("parameter 'strategies': expected a mapping of strategy -> shares")
    _check_network(values)
    events = parse_timeline(values["timeline"])
    for e in events:
        if e.start() > values["weeks"]:
            raise ValueError(f"parameter 'timeline': {e.kind} event at week {e.start()} is "
                             f"after the end of the run (weeks = {values['weeks']})")
    unscalar = set(STRUCTURED) - {"partnership_edges"}
    return Config(
        params=values,
        p=SimpleNamespace(**{k: v for k, v in values.items() if k not in unscalar}),
        groups=_check_groups(values["family_groups"]),
        sectors=_check_sectors(values["agency_sectors"]),
        catalogue=cat_mod.shared_catalogue(values["interactions"], values["strategies"]),
        stages=cat_mod.stages(values["stage_model"]), events=events,
    )
