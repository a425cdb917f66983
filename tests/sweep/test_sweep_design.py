"""Designs: the right number of points, inside their ranges, reproducible from the seed."""

from __future__ import annotations

import numpy as np
import pytest

from sim.sweep.design import make_design
from sim.sweep.paths import check_parameters
from sim.sweep.spec import parse_experiment

PARAMS = {"asymmetry": {"low": 1, "high": 5}, "n_isps": {"low": 1, "high": 6},
          "forgetting": {"low": 0.9, "high": 0.999, "distribution": "log-uniform"},
          "engine": {"levels": ["vectorized", "agents"]}}


def _design(design, samples=None, seed=1, parameters=PARAMS, **extra):
    spec = parse_experiment({"name": "x", "scenario": "s.yaml", "design": design,
                             "samples": samples, "seed": seed, "parameters": parameters,
                             **extra})
    return spec, make_design(spec, check_parameters(spec, {}))


@pytest.mark.parametrize("design, samples", [("sobol", 8), ("morris", 4), ("lhs", 10),
                                             ("random", 10)])
def test_sampled_designs(design, samples):
    spec, d = _design(design, samples)
    v = d.values
    assert len(v) == spec.n_points() and d.unit.shape == (len(v), 4)
    assert v["asymmetry"].between(1, 5).all() and v["forgetting"].between(0.9, 0.999).all()
    assert v["n_isps"].between(1, 6).all()
    assert (v["n_isps"] == v["n_isps"].round()).all()  # integer parameters are whole
    assert set(v["engine"]) <= {"vectorized", "agents"}
    _, again = _design(design, samples)
    assert again.values.equals(v)  # same seed, same design
    _, other = _design(design, samples, seed=2)
    assert not other.values.equals(v)


def test_lhs_fills_every_stratum():
    _, d = _design("lhs", 20)
    for j in range(d.unit.shape[1]):
        assert sorted((d.unit[:, j] * 20).astype(int)) == list(range(20))


def test_sobol_second_order_size():
    spec, d = _design("sobol", 4, second_order=True)
    assert len(d) == 4 * (2 * 4 + 2) == spec.n_points()


def test_grid_is_the_full_product_in_order():
    params = {"strategy_mix": {"levels": [0, 1]}, "isp_hours": {"low": 10, "high": 30,
                                                                "steps": 3}}
    _, d = _design("grid", parameters=params)
    assert d.unit is None
    assert d.values.to_dict("list") == {"strategy_mix": [0.0] * 3 + [1.0] * 3,
                                        "isp_hours": [10.0, 20.0, 30.0] * 2}
    assert d.point(4) == {"strategy_mix": 1.0, "isp_hours": 20.0}
    assert all(type(v) is float for v in d.point(4).values())


def test_log_uniform_spreads_by_ratio():
    _, d = _design("random", 4000, parameters={"prior_strength": {
        "low": 0.1, "high": 10, "distribution": "log-uniform"}})
    # Half of log-uniform mass on [0.1, 10] lies below the geometric midpoint 1 (a uniform
    # draw would put 9%); 4000 draws give a standard error of 0.008.
    assert abs(np.mean(d.values["prior_strength"] < 1) - 0.5) < 0.04
