"""Dotted parameter paths: checked against the model's tables, applied without side effects."""

from __future__ import annotations

import pytest

from sim.catalogue import build_catalogue
from sim.config import check_params
from sim.errors import ExperimentError
from sim.sweep.paths import Target, apply, check_parameters, valid_targets
from sim.sweep.spec import parse_experiment

BASE = {"n_agencies": 4, "weeks": 30,
        "timeline": [{"kind": "crisis", "onset": 10, "duration": 15, "intensity": 0.8}]}


def _check(parameters):
    spec = parse_experiment({"name": "x", "scenario": "s.yaml", "design": "lhs", "samples": 4,
                             "parameters": parameters}, "exp.yaml")
    return check_parameters(spec, BASE)


@pytest.mark.parametrize("path, hint", [
    ("asymetry", "asymmetry"),
    ("interactions.co_learnin.hours", "interactions.co_learning.hours"),
    ("strategies.cocreative.co_design", "strategies.co_creative.co_design"),
    ("timeline.0.intensty", "timeline.0.intensity"),
])
def test_unknown_path_suggests_the_closest(path, hint):
    with pytest.raises(ExperimentError) as err:
        _check({path: {"low": 0.1, "high": 0.5}})
    assert str(err.value) == (f"exp.yaml: parameters.{path}: unknown parameter path; "
                              f"did you mean '{hint}'?")


def test_every_kind_of_path_is_known():
    targets = valid_targets(BASE)
    for path in ("asymmetry", "n_isps", "engine", "interactions.directive.tests.integrity",
                 "interactions.co_learning.hours", "strategies.top_down.directive",
                 "timeline.0.onset", "family_groups.low_trust_community.prior_trust",
                 "family_groups.1.prior_trust"):
        assert path in targets, path
    assert "timeline.1.intensity" not in targets  # the base timeline has one event
    assert targets["n_isps"].kind == "int" and targets["timeline.0.onset"].kind == "int"


@pytest.mark.parametrize("parameters, words", [
    ({"asymmetry": {"low": 1, "high": 7}}, "goes outside the allowed numbers >= 1 and <= 5"),
    ({"timeline.0.intensity": {"levels": [0.5, 1.5]}}, "level 1.5 is not allowed"),
    ({"engine": {"low": 0, "high": 1}}, "expected levels"),
    ({"engine": {"levels": ["vectorised"]}}, "one of 'compiled', 'vectorized', 'agents'"),
    ({"interactions.co_learning.hours": {"low": 0, "high": 4}}, "> 0"),
])
def test_out_of_range(parameters, words):
    with pytest.raises(ExperimentError) as err:
        _check(parameters)
    assert words in str(err.value) and "parameters." in str(err.value)


def test_apply_sets_nested_values_and_leaves_base_alone():
    values = {"asymmetry": 2.0, "interactions.co_learning.hours": 5.0,
              "interactions.directive.tests.integrity": 0.9,
              "strategies.co_creative.co_design": 0.5, "timeline.0.intensity": 0.3,
              "family_groups.low_trust_community.prior_trust": 0.2}
    params = apply(BASE, values)
    assert BASE["timeline"][0]["intensity"] == 0.8 and "interactions" not in BASE
    assert params["timeline"][0]["intensity"] == 0.3
    assert params["interactions"] == {"co_learning": {"hours": 5.0},
                                      "directive": {"tests": {"integrity": 0.9}}}
    groups = {g["name"]: g["prior_trust"] for g in params["family_groups"]}
    assert groups["low_trust_community"] == 0.2
    check_params(params)  # the model accepts what the paths produce
    cat = build_catalogue(params["interactions"], params["strategies"])
    assert cat.types["co_learning"].hours == 5.0
    assert cat.types["directive"].tests.integrity == 0.9
    default = build_catalogue()
    i = cat.names.index("co_design")
    assert cat.co_creative[i] > default.co_creative[i]  # the share moved up


@pytest.mark.parametrize("kind, values", [
    ("int", [0.5, 1.5, 2.49, 2.5, 5.0]), ("float", [0.1, 1, 2.5]),
    ("choice", ["vectorized", "agents"])])
def test_a_column_converts_as_its_values_one_by_one(kind, values):
    target = Target("x", kind=kind, choices=("vectorized", "agents"))
    many = target.convert_many(values)
    assert list(many) == [target.convert(v) for v in values]
    assert [type(v) for v in many.tolist()] == [type(target.convert(v)) for v in values]


def test_apply_is_public_from_sim_sweep():
    import sim.sweep

    params = sim.sweep.apply({"weeks": 10, "timeline": [{"kind": "crisis", "onset": 1}]},
                             {"timeline.0.onset": 3, "strategy_mix": 0.5})
    assert params == {"weeks": 10, "strategy_mix": 0.5,
                      "timeline": [{"kind": "crisis", "onset": 3}]}
