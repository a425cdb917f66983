"""run_many: a run's numbers depend only on its own seed; a failing run is isolated."""

import pandas as pd
import pytest

from sim.batching import RunFailure, run_many
from sim.runs import run_once, spawn_seeds

SMALL = dict(n_agencies=4, n_isps=1, n_families=30, weeks=8)


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)
    assert a.summary.keys() == b.summary.keys()
    for k in a.summary:
        x, y = a.summary[k], b.summary[k]
        assert x == y or (x != x and y != y), k  # equal, or both NaN


def test_a_run_alone_equals_the_same_run_inside_a_batch_of_50():
    seeds = spawn_seeds(7, 50)
    params = [{**SMALL, "strategy_mix": i / 49} for i in range(50)]
    batch = run_many(params, seeds, every=2)
    for i in (0, 17, 49):
        _same(run_once(params[i], seeds[i], every=2), batch[i])


def test_results_do_not_depend_on_batch_size_or_order():
    seeds = spawn_seeds(3, 6)
    params = [SMALL] * 6
    whole = run_many(params, seeds)
    halves = run_many(params[:3], seeds[:3]) + run_many(params[3:], seeds[3:])
    reversed_ = run_many(params[::-1], seeds[::-1])[::-1]
    for a, b, c in zip(whole, halves, reversed_, strict=True):
        _same(a, b)
        _same(a, c)


def test_a_run_that_raises_is_reported_and_the_rest_kept():
    bad = {**SMALL, "n_agencies": -1}
    out = run_many([SMALL, bad, SMALL], [1, 2, 3], every=0)
    assert isinstance(out[1], RunFailure)
    assert out[1].seed == 2 and "n_agencies" in out[1].error and "\n" not in out[1].error
    _same(out[0], run_once(SMALL, 1, every=0))
    _same(out[2], run_once(SMALL, 3, every=0))


def test_one_seed_per_run_is_required():
    with pytest.raises(ValueError, match="one seed per run"):
        run_many([SMALL, SMALL], [1])


def test_runs_of_different_engines_and_sizes_share_a_batch():
    params = [{**SMALL, "engine": "agents"}, {**SMALL, "n_families": 50}, SMALL]
    out = run_many(params, [5, 6, 7], every=0)
    for p, seed, got in zip(params, [5, 6, 7], out, strict=True):
        _same(run_once(p, seed, every=0), got)
