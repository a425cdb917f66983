"""The one runner: the same numbers in this process, on local workers, on a real Dask
cluster (``dask scheduler`` + ``dask worker``) and in tasks of several runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.sweep as sweep
from sim import runner
from sim.runs import run_once, run_seed
from sim.scenario import load_scenario, run_scenario

DATA = Path(__file__).parent / "sweep" / "data"
DASK = Path(sys.executable).with_name("dask")


def _specs(n: int = 5) -> list[runner.RunSpec]:
    params = load_scenario(DATA / "tiny.yaml", weeks=15).arm_params("co_creative")
    return [runner.RunSpec(params, run_seed(3, 0, r), {"point": 0, "replicate": r})
            for r in range(n)]


def _outputs(back: runner.Backend, task_size: int) -> list[dict]:
    got: list[dict] = []
    try:
        runner.execute(_specs(), back, got.append, runner.Recording(every=5),
                       task_size=task_size)
    finally:
        back.close()
    return sorted(got, key=lambda o: o["replicate"])


def _same(a: list[dict], b: list[dict]) -> None:
    assert [o["seed"] for o in a] == [o["seed"] for o in b]
    for x, y in zip(a, b, strict=True):
        assert x["summary"] == pytest.approx(y["summary"], nan_ok=True)
        pd.testing.assert_frame_equal(pd.DataFrame(x["timeseries"]),
                                      pd.DataFrame(y["timeseries"]))


def test_tasks_of_several_runs_give_the_numbers_of_single_runs():
    one = _outputs(runner.backend(1), task_size=1)
    _same(one, _outputs(runner.backend(1), task_size=3))
    _same(one, _outputs(runner.backend(2), task_size=2))
    assert [o["replicate"] for o in one] == list(range(5))


def test_a_scenario_run_is_run_once_on_the_documented_seeds(tmp_path):
    """What a scenario's numbers mean: arm a, replicate r = run_once(the arm's
    parameters, run_seed(seed, 0, r)), whatever runs it."""
    sc = load_scenario(DATA / "tiny.yaml", replicates=2, weeks=15)
    result = run_scenario(sc, workers=2)
    for (arm, rep), rows in result.timeseries.groupby(["arm", "replicate"], observed=True):
        by_hand = run_once(sc.arm_params(arm), run_seed(sc.seed, 0, rep))
        assert rows["seed"].unique().tolist() == [run_seed(sc.seed, 0, rep)]
        pd.testing.assert_frame_equal(rows.drop(columns=["arm", "replicate", "seed"])
                                      .reset_index(drop=True), by_hand.timeseries,
                                      check_dtype=False)


def test_a_failed_run_is_a_record_not_an_exception():
    spec = runner.RunSpec({"n_agencies": -1}, 5, {"point": 2, "replicate": 1})
    got: list[dict] = []
    runner.execute([spec], runner.backend(1), got.append)
    assert got[0]["point"] == 2 and got[0]["seed"] == 5 and got[0]["error"]


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory, stop_process):
    """A real cluster: `dask scheduler` and `dask worker` processes, as a user starts them."""
    if not DASK.exists():
        pytest.skip("the dask command is not installed")
    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    common = dict(cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scheduler = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port",
                                  "0", "--dashboard-address", ":0", "--scheduler-file",
                                  str(file)], **common)
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        worker = subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(file),
                                   "--nworkers", "2", "--nthreads", "1",
                                   "--dashboard-address", ":0"], **common)
        import json

        from distributed import Client

        address = json.loads(file.read_text())["address"]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                stop_process(proc)


@pytest.mark.slow
def test_serial_parallel_and_a_dask_cluster_give_the_same_numbers(dask_cluster, tmp_path):
    for name in ("tiny.yaml", "grid.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    sc = load_scenario(tmp_path / "tiny.yaml", replicates=3)
    runs = {how: run_scenario(sc, out=tmp_path / f"run-{how}", figures=False, **kw)
            for how, kw in (("serial", {"workers": 1}), ("parallel", {"workers": 2}),
                            ("dask", {"scheduler": dask_cluster}))}
    for how in ("parallel", "dask"):
        for name in ("timeseries.parquet", "summaries.parquet"):
            assert (tmp_path / f"run-{how}" / name).read_bytes() == \
                (tmp_path / "run-serial" / name).read_bytes(), (how, name)
        assert runs[how].complete
    sweeps = {}
    for how, kw in (("serial", {"workers": 1}), ("parallel", {"workers": 2}),
                    ("dask", {"scheduler": dask_cluster})):
        sweep.run(tmp_path / "grid.yaml", out=tmp_path / f"sweep-{how}", progress=False, **kw)
        sweeps[how] = sweep.load(tmp_path / f"sweep-{how}")
    for how in ("parallel", "dask"):
        pd.testing.assert_frame_equal(sweeps[how].summaries.drop(columns="seconds"),
                                      sweeps["serial"].summaries.drop(columns="seconds"))
        pd.testing.assert_frame_equal(sweeps[how].timeseries(),
                                      sweeps["serial"].timeseries())


# -- a run's numbers depend only on its own seed (issue 11: tasks of many runs) ----------
SMALL = dict(n_agencies=4, n_isps=1, n_families=30, weeks=8)


def _task_specs(params: list[dict], seeds: list[int]) -> list[runner.RunSpec]:
    return [runner.RunSpec(p, s, {"replicate": i})
            for i, (p, s) in enumerate(zip(params, seeds, strict=True))]


def _alone(params: dict, seed: int, every: int) -> dict:
    (out,) = runner.run_group(_task_specs([params], [seed]), runner.Recording(every=every))
    return out


@pytest.mark.parametrize("engine", ["vectorized", "compiled"])
def test_a_run_alone_equals_the_same_run_inside_a_task_of_50(engine):
    seeds = [run_seed(7, 0, r) for r in range(50)]
    params = [{**SMALL, "strategy_mix": i / 49, "engine": engine} for i in range(50)]
    task = runner.run_group(_task_specs(params, seeds), runner.Recording(every=2))
    for i in (0, 17, 49):
        _same([_alone(params[i], seeds[i], 2)], [task[i]])


@pytest.mark.parametrize("engine", ["vectorized", "compiled"])
def test_results_do_not_depend_on_task_size_or_order(engine):
    seeds = [run_seed(3, 0, r) for r in range(6)]
    specs = _task_specs([{**SMALL, "engine": engine}] * 6, seeds)
    rec = runner.Recording()
    whole = runner.run_group(specs, rec)
    halves = runner.run_group(specs[:3], rec) + runner.run_group(specs[3:], rec)
    _same(whole, halves)
    _same(whole, runner.run_group(specs[::-1], rec)[::-1])


def test_a_run_that_raises_inside_a_task_is_recorded_and_the_rest_kept():
    out = runner.run_group(_task_specs([SMALL, {**SMALL, "n_agencies": -1}, SMALL], [1, 2, 3]),
                           runner.Recording(every=0))
    assert out[1]["seed"] == 2 and "n_agencies" in out[1]["error"]
    assert "\n" not in out[1]["error"]
    _same([out[0], out[2]], [_alone(SMALL, 1, 0), _alone(SMALL, 3, 0)])


def test_runs_of_different_engines_and_sizes_share_a_task():
    params = [{**SMALL, "engine": "agents"}, {**SMALL, "n_families": 50},
              {**SMALL, "engine": "compiled"}, SMALL]
    seeds = [5, 6, 7, 8]
    out = runner.run_group(_task_specs(params, seeds), runner.Recording(every=0))
    _same(out, [_alone(p, s, 0) for p, s in zip(params, seeds, strict=True)])



@pytest.mark.parametrize("every", [0, 1, 4])
def test_a_run_hands_back_run_once_columns_as_arrays(every):
    """run_spec takes the kept weeks' columns straight from the record; they are
    run_once's DataFrame column by column, dtypes included."""
    rec = runner.Recording(every=every, weekly=["reach", "cost_hours"])
    out = runner.run_spec(runner.RunSpec({**SMALL, "weeks": 13}, 4), rec)
    frame = run_once({**SMALL, "weeks": 13}, 4, every).timeseries
    assert list(out["timeseries"]) == ["week", "cost_hours", "reach"]  # the record's order
    for name, values in out["timeseries"].items():
        assert values.dtype == frame[name].dtype
        np.testing.assert_array_equal(values, frame[name].to_numpy())
    full = runner.run_spec(runner.RunSpec({**SMALL, "weeks": 13}, 4),
                           runner.Recording(every=every))
    assert list(full["timeseries"]) == list(frame.columns)
