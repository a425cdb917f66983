"""Experiment files: valid ones parse, invalid ones fail with one line naming the field."""

from __future__ import annotations

import pytest

from sim.errors import ExperimentError
from sim.sweep.spec import load_experiment, parse_experiment

BASE = {"name": "x", "scenario": "s.yaml", "parameters": {"asymmetry": {"levels": [1, 3]}}}


def test_grid_file_parses(workdir):
    spec = load_experiment(workdir / "grid.yaml")
    assert spec.design == "grid" and spec.replicates == 2 and spec.every == 5
    assert spec.n_points() == 6
    assert spec.scenario_path() == (workdir / "tiny.yaml").resolve()


@pytest.mark.parametrize("record, every", [("all", 1), ("end", 0), ({"every": 4}, 4)])
def test_record(record, every):
    assert parse_experiment({**BASE, "record": record}).every == every


@pytest.mark.parametrize("design, samples, d, points", [
    ("sobol", 8, 3, 8 * (3 + 2)), ("morris", 5, 3, 5 * 4), ("lhs", 7, 3, 7), ("random", 9, 3, 9)])
def test_n_points(design, samples, d, points):
    params = {n: {"low": 1, "high": 2} for n in ("asymmetry", "isp_hours", "forgetting")[:d]}
    spec = parse_experiment({**BASE, "design": design, "samples": samples,
                             "parameters": params})
    assert spec.n_points() == points


@pytest.mark.parametrize("change, field, words", [
    ({"parameters": {"asymmetry": {"low": 5, "high": 1}}}, "parameters.asymmetry",
     "low (5) is greater than high (1)"),
    ({"design": "sobol", "samples": 100, "parameters": {"asymmetry": {"low": 1, "high": 5}}},
     "samples", "power of two (e.g. 128), got 100"),
    ({"design": "lhs"}, "samples", "needs a sample size"),
    ({"design": "morris", "samples": 4, "levels": 3}, "levels", "even number"),
    ({"parameters": {"asymmetry": {"low": 1, "high": 5}}}, "parameters.asymmetry",
     "levels or steps"),
    ({"parameters": {"asymmetry": {"low": 1}}}, "parameters.asymmetry", "low and high"),
    ({"replicas": 3}, "replicas", "unknown field"),
    ({"design": "factorial"}, "design", "grid"),
])
def test_bad_experiment_names_file_and_field(change, field, words):
    with pytest.raises(ExperimentError) as err:
        parse_experiment({**BASE, **change}, "experiments/bad.yaml")
    msg = str(err.value)
    assert msg.startswith(f"experiments/bad.yaml: {field}: "), msg
    assert words in msg and "\n" not in msg


def test_unreadable_and_invalid_yaml(tmp_path):
    with pytest.raises(ExperimentError, match="file not found"):
        load_experiment(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ExperimentError, match="YAML syntax error"):
        load_experiment(bad)
