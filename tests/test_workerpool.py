"""One worker default and one portable way to start local workers, for every command."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from sim import runner, workerpool
from sim.scenario import load_scenario, run_scenario


def test_default_workers_without_cpu_affinity(monkeypatch):
    """macOS and Windows have no os.sched_getaffinity: the core count is used instead."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert workerpool.default_workers() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert workerpool.default_workers() == 1


def test_the_runner_picks_its_workers_without_cpu_affinity(monkeypatch):
    """Scenario runs and sweeps take their default from the one runner."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    back = runner.backend(None, None)
    try:
        assert back.workers == 2
    finally:
        back.close()


@pytest.mark.parametrize(("platform", "method"), [
    ("linux", "forkserver"), ("darwin", "spawn"), ("win32", "spawn")])
def test_start_method_is_the_platforms_safe_one(platform, method):
    assert workerpool.start_method(platform) == method


def test_spawned_workers_give_the_numbers_of_one_process(monkeypatch, tmp_path):
    """The start method macOS and Windows use (spawn) runs the same numbers."""
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nweeks: 12\nreplicates: 2\nseed: 5\n"
                    "population: {n_agencies: 3, n_isps: 1, n_families: 40}\n"
                    "arms:\n  a: {strategy_mix: 0.0}\n  b: {strategy_mix: 1.0}\n")
    sc = load_scenario(path)
    serial = run_scenario(sc, workers=1)
    monkeypatch.setattr(workerpool, "start_method", lambda platform=None: "spawn")
    spawned = run_scenario(sc, workers=2)
    pd.testing.assert_frame_equal(serial.summaries, spawned.summaries)
    pd.testing.assert_frame_equal(serial.timeseries, spawned.timeseries)


def test_local_workers_start_with_the_compiled_engine_loaded():
    """Workers fork from a server that loaded the compiled code (sim.preload), so
    none spends its first second loading it; whichever pool started the server."""
    pool = workerpool.local_pool(2, ["sim.calibration.simulate"])
    try:
        loaded = pool.submit(
            eval, "len(__import__('sim.engines.loops', fromlist=['_weeks'])._weeks.signatures)")
        assert loaded.result(timeout=300) > 0
    finally:
        workerpool.shutdown(pool)
