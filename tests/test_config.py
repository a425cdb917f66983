"""Checking parameters without building a model (``sim.config.check_params``), and the
same checks when a model is built."""

import pytest

from sim.config import check_params
from sim.model import TrustModel


@pytest.mark.parametrize("params, words", [
    ({"bogus": 1}, ["unknown parameter 'bogus'"]),
    ({"asymetry": 2}, ["unknown parameter 'asymetry'", "did you mean 'asymmetry'"]),
    ({"asymmetry": 9}, ["'asymmetry'", "[1, 5]"]),
    ({"turnover_per_year": 1.5}, ["'turnover_per_year'", "[0, 1]"]),
    ({"n_agencies": -3}, ["'n_agencies'", "[1, 100000]"]),
    ({"n_families": 2.5}, ["'n_families'", "whole number"]),
    ({"stage_model": "epis"}, ["'stage_model'", "'nirn'", "'single'"]),
    ({"engine": "fast"}, ["'engine'", "'vectorized'"]),
    ({"timeline": [{"kind": "crisis", "onset": 5}]}, ["timeline.0", "duration"]),
    ({"timeline": [{"kind": "meteor", "week": 5}]}, ["timeline.0"]),
    ({"weeks": 10, "timeline": [{"kind": "funding_cut", "week": 20}]}, ["after the end"]),
    ({"interactions": {"co_learning": {"hours": -1}}}, ["interactions.co_learning.hours"]),
    ({"strategies": {"top_down": {"hugging": 1}}}, ["strategies.top_down.hugging"]),
    ({"family_groups": [{"name": "a", "share": 0.5}]}, ["family_groups.0"]),
])
def test_bad_parameters_raise_value_error_naming_them(params, words):
    with pytest.raises(ValueError) as info:
        TrustModel(rng=1, **params)
    for word in words:
        assert word in str(info.value)
    with pytest.raises(ValueError):
        check_params(params)
