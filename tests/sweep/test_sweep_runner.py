"""Sweeps of the real model on local worker processes: seeds, numbers, resume, failures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sim.sweep as sweep
from sim.errors import ExperimentError
from sim.runs import run_once, run_seed

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    """The 6-point x 2-replicate grid on two local workers."""
    root = tmp_path_factory.mktemp("grid")
    report = sweep.run(DATA / "grid.yaml", workers=2, out=root / "out", progress=False)
    return report, sweep.load(root / "out")


def test_every_run_once_with_its_own_seed(grid_run):
    report, res = grid_run
    assert (report.total, report.completed, report.failed, report.ran) == (12, 12, 0, 12)
    s = res.summaries
    assert list(zip(s.point, s.replicate, strict=True)) == [(p, r) for p in range(6)
                                                            for r in range(2)]
    assert s.seed.tolist() == [run_seed(7, p, r) for p, r in zip(s.point, s.replicate,
                                                                 strict=True)]
    assert res.manifest["status"] == "complete" and res.manifest["completed"] == 12
    assert res.failures.empty


def test_a_sweep_run_equals_the_same_run_done_by_hand(grid_run):
    """Same parameters + seed => same numbers, whichever process ran it."""
    _, res = grid_run
    row = res.summaries.iloc[9]  # point 4 (co-creative, intensity 0.6), replicate 1
    params = dict(res.manifest["base_params"], strategy_mix=row["strategy_mix"])
    params["timeline"] = [dict(params["timeline"][0], intensity=row["timeline.0.intensity"])]
    out = run_once(params, int(row["seed"]), every=5)
    for key, value in out.summary.items():
        assert row[key] == pytest.approx(value, nan_ok=True), key
    ts = res.timeseries(points=[4])
    ts = ts[ts.replicate == 1].drop(columns=["point", "replicate", "seed"])
    pd.testing.assert_frame_equal(ts.reset_index(drop=True), out.timeseries,
                                  check_dtype=False)
    assert out.timeseries["week"].tolist() == [0, 5, 10, 15, 20, 25, 30]


def test_running_again_runs_nothing(grid_run):
    report, res = grid_run
    again = sweep.run(DATA / "grid.yaml", workers=1, out=res.root, progress=False)
    assert (again.ran, again.completed) == (0, 12)
    assert len(sweep.load(res.root).summaries) == 12


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(experiment, workdir):
    """weeks = 8 ends the run before the scenario's crisis (onset 10): the model refuses
    those points at run time; the other points finish."""
    path = experiment(parameters={"weeks": {"levels": [30, 8]},
                                  "strategy_mix": {"levels": [0.0, 1.0]}})
    report = sweep.run(path, workers=2, out=workdir / "out", progress=False)
    assert (report.completed, report.failed) == (4, 4)
    res = sweep.load(workdir / "out")
    f = res.failures
    assert f.point.tolist() == [2, 2, 3, 3] and f.replicate.tolist() == [0, 1, 0, 1]
    assert f.seed.tolist() == [run_seed(7, p, r) for p, r in zip(f.point, f.replicate,
                                                                 strict=True)]
    assert f.error.str.contains("after the end of the run").all()
    assert f.traceback.str.contains("Traceback").all()
    assert res.summaries.point.tolist() == [0, 0, 1, 1]
    assert (res.summaries.weeks == 30).all()
    assert res.manifest["failed"] == 4
    again = sweep.run(path, workers=1, out=workdir / "out", progress=False, retry_failed=True)
    assert (again.ran, again.failed, again.completed) == (4, 4, 4)
    assert len(sweep.load(workdir / "out").failures) == 4  # the retry's records replace


def test_results_folder_of_another_sweep_is_refused(experiment, workdir):
    path = experiment(replicates=1)
    sweep.run(path, workers=1, out=workdir / "out", progress=False)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in (workdir / "out").rglob("*"))
    changed = experiment(replicates=2)
    with pytest.raises(ExperimentError, match="holds results of a different sweep"):
        sweep.run(changed, workers=1, out=workdir / "out", progress=False)
    after = sorted((p.name, p.stat().st_mtime_ns) for p in (workdir / "out").rglob("*"))
    assert before == after  # nothing touched


def test_common_random_numbers_share_seeds_across_points(experiment):
    plan = sweep.make_plan(experiment(common_random_numbers=True))
    assert [plan.run_seed(p, 1) for p in range(6)] == [run_seed(7, 0, 1)] * 6
    assert plan.run_seed(2, 0) != plan.run_seed(2, 1)
    default = sweep.make_plan(experiment(name="b.yaml"))
    assert len({default.run_seed(p, 1) for p in range(6)}) == 6


def test_planning_a_sweep_does_not_import_mesa():
    """The coordinator reads, checks and plans a sweep without Mesa (over a second to
    import), while the workers' forkserver imports it on the other cores: Mesa on the
    coordinator's path would delay every sweep's first run by that second."""
    import subprocess
    import sys

    code = ("import sys; from sim.sweep.plan import make_plan; "
            f"make_plan({str(DATA / 'grid.yaml')!r}); "
            "print(sorted(m for m in ('mesa', 'sim.model') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
