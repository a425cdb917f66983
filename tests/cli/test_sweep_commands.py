"""``trustsim sweep`` / ``trustsim analyze`` started the way a user starts them: on a real
Dask cluster, killed with SIGKILL and resumed, with failing runs and with bad input."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

import sim.sweep as sweep
from sim.cli import main

DATA = Path(__file__).parents[1] / "sweep" / "data"
TRUSTSIM = str(Path(sys.executable).with_name("trustsim"))


@pytest.fixture
def work(tmp_path: Path) -> Path:
    for name in ("tiny.yaml", "grid.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def _experiment(work: Path, name: str = "exp.yaml", **changes) -> Path:
    data = yaml.safe_load((DATA / "grid.yaml").read_text()) | changes
    path = work / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    """Run ``trustsim ARGS`` in this process through the real entry point."""
    monkeypatch.setattr(sys, "argv", ["trustsim", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def _tables(root: Path) -> dict[str, pd.DataFrame]:
    """A sweep's results without the wall-clock column (which differs run to run)."""
    res = sweep.load(root)
    return {"points": res.points, "summaries": res.summaries.drop(columns="seconds"),
            "timeseries": res.timeseries(), "failures": res.failures}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def _as_in_a_terminal() -> None:
    """Ctrl-C reaches a command in a terminal; a test runner started in the background
    (a CI job, `cmd &`) passes SIGINT on as ignored, so restore what a terminal gives."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)

@pytest.mark.slow
def test_dask_cluster_gives_the_same_numbers_as_local_processes(work):
    from distributed import LocalCluster

    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=":0") as cluster:
        done = subprocess.run([TRUSTSIM, "sweep", "grid.yaml", "--scheduler",
                               cluster.scheduler_address, "--out", "dask", "-q"],
                              cwd=work, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "12 of 12 runs finished" in done.stdout
    sweep.run(work / "grid.yaml", workers=2, out=work / "local", progress=False)
    dask, local = _tables(work / "dask"), _tables(work / "local")
    for name in dask:
        pd.testing.assert_frame_equal(dask[name], local[name], obj=name)
    assert len(dask["summaries"]) == 12 and len(dask["timeseries"]) == 12 * 7


@pytest.mark.slow
def test_sigkill_mid_sweep_then_resume_keeps_every_run_once(work):
    path = _experiment(work, parameters={"strategy_mix": {"levels": [0.0, 0.25, 0.5, 1.0]},
                                         "timeline.0.intensity": {"low": 0.2, "high": 1.0,
                                                                  "steps": 4}},
                       replicates=2)
    cmd = [TRUSTSIM, "sweep", path.name, "--out", "out", "--workers", "2", "--batch-size",
           "3", "-q"]
    proc = subprocess.Popen(cmd, cwd=work, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    summaries = work / "out" / "summaries"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if summaries.is_dir() and len(list(summaries.glob("part-*"))) >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the coordinator and its workers, mid-sweep
    proc.wait()
    killed = len(sweep.load(work / "out").summaries)
    assert 0 < killed < 32
    done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"32 of 32 runs finished ({32 - killed} this time" in done.stdout
    for f in (work / "out").rglob("*.parquet"):
        pq.read_table(f)  # every file is valid Parquet
    assert not list((work / "out").rglob(".*.tmp"))
    res = _tables(work / "out")
    ids = res["summaries"][["point", "replicate"]]
    assert not ids.duplicated().any() and len(ids) == 32
    assert not res["timeseries"].duplicated(["point", "replicate", "week"]).any()
    assert len(res["timeseries"]) == 32 * 7
    sweep.run(path, workers=2, out=work / "straight", progress=False)
    straight = _tables(work / "straight")
    for name in res:  # an interrupted and resumed sweep equals an uninterrupted one
        pd.testing.assert_frame_equal(res[name], straight[name], obj=name)


def test_failed_runs_are_reported_and_exit_non_zero(work, monkeypatch, capsys):
    path = _experiment(work, parameters={"weeks": {"levels": [30, 8]}}, replicates=2)
    code, out, err = _cli(monkeypatch, capsys, "sweep", path, "--out", work / "out",
                          "--workers", "2", "-q")
    assert code == 1
    assert "2 of 4 runs finished" in out
    assert err.strip() == (f"trustsim: 2 of 4 runs failed; errors and seeds in "
                           f"{work / 'out' / 'failures'}")
    failures = sweep.load(work / "out").failures
    assert failures[["point", "replicate"]].values.tolist() == [[1, 0], [1, 1]]


@pytest.mark.parametrize("changes, field, words", [
    ({"parameters": {"asymetry": {"low": 1, "high": 5}}, "design": "lhs", "samples": 4},
     "parameters.asymetry", "unknown parameter path; did you mean 'asymmetry'?"),
    ({"parameters": {"asymmetry": {"low": 5, "high": 1}}, "design": "lhs", "samples": 4},
     "parameters.asymmetry", "low (5) is greater than high (1)"),
    ({"parameters": {"asymmetry": {"low": 1, "high": 5}}, "design": "sobol", "samples": 12},
     "samples", "the sobol design needs a power of two (e.g. 16), got 12"),
])
def test_bad_experiment_one_line_exit_2_nothing_written(work, monkeypatch, capsys, changes,
                                                        field, words):
    path = _experiment(work, **changes)
    code, out, err = _cli(monkeypatch, capsys, "sweep", path, "--out", work / "out")
    assert code == 2
    assert err == f"trustsim: {path}: {field}: {words}\n"
    assert not (work / "out").exists()


def test_unreachable_scheduler_one_line_exit_2_nothing_lost(work, monkeypatch, capsys):
    address = f"tcp://127.0.0.1:{_free_port()}"
    code, _, err = _cli(monkeypatch, capsys, "sweep", work / "grid.yaml", "--scheduler",
                        address, "--out", work / "new")
    assert code == 2 and not (work / "new").exists()
    assert err.startswith(f"trustsim: cannot reach the Dask scheduler at {address} (")
    assert err.count("\n") == 1
    # a finished sweep in --out stays as it was
    sweep.run(work / "grid.yaml", workers=2, out=work / "old", progress=False)
    before = {p: p.read_bytes() for p in (work / "old").rglob("*") if p.is_file()}
    code, _, err = _cli(monkeypatch, capsys, "sweep", work / "grid.yaml", "--scheduler",
                        "nonsense", "--out", work / "old")
    assert code == 2 and "expected tcp://HOST:PORT" in err and err.count("\n") == 1
    assert before == {p: p.read_bytes() for p in (work / "old").rglob("*") if p.is_file()}


def test_analyze_a_grid(work, monkeypatch, capsys):
    sweep.run(work / "grid.yaml", workers=2, out=work / "out", progress=False)
    code, out, _ = _cli(monkeypatch, capsys, "analyze", work / "out", "--outcome",
                        "trust_agency_isp_final", "--point", "0", "--point", "5")
    assert code == 0 and "wrote 1 tables and 4 figures" in out
    names = sorted(p.name for p in (work / "out" / "analysis").iterdir())
    assert names == ["adoption_curves.png", "adoption_curves.svg",
                     "heatmap_trust_agency_isp_final.png", "heatmap_trust_agency_isp_final.svg",
                     "point_summary.csv"]
    table = pd.read_csv(work / "out" / "analysis" / "point_summary.csv")
    # --outcome limits the point summary too: one row per point for that outcome
    assert len(table) == 6 and set(table["outcome"]) == {"trust_agency_isp_final"}
    assert (table["n"] == 2).all()
    assert ((table["low"] <= table["estimate"]) & (table["estimate"] <= table["high"])).all()


def test_analyze_prints_the_top_parameters_per_outcome(work, monkeypatch, capsys):
    """Three parameters, --top 2: two rows per outcome, strongest first, not the whole
    index table."""
    path = _experiment(work, design="morris", samples=3, levels=4, replicates=1,
                       record="end", parameters={
                           "strategy_mix": {"low": 0, "high": 1},
                           "turnover_per_year": {"low": 0, "high": 1},
                           "trust_threshold": {"low": 0.3, "high": 0.8}})
    sweep.run(path, workers=2, out=work / "out", progress=False)
    code, out, _ = _cli(monkeypatch, capsys, "analyze", work / "out", "--outcomes",
                        "trust_agency_isp_final", "--top", "2")
    assert code == 0 and "top 2 parameters per outcome by mu_star" in out
    table = pd.read_csv(work / "out" / "analysis" / "morris_indices.csv")
    ranked = table.sort_values("mu_star", ascending=False)["parameter"].tolist()
    shown = [p for p in ranked if p in out]
    assert shown == ranked[:2]


@pytest.mark.slow
def test_a_second_sweep_into_the_same_out_is_refused_and_workers_die_with_their_sweep(
        work, gone_within):
    """Two writers: the second gets one line naming the first's PID and touches nothing.
    SIGKILL of the first's coordinator takes its workers down, and its lock does not
    block the resume."""
    import psutil

    # 48 runs of 150 weeks on the vectorized engine, slow enough for the two to overlap
    path = _experiment(work, replicates=24, parameters={
        "strategy_mix": {"levels": [0.0, 1.0]}, "weeks": {"levels": [150]},
        "engine": {"levels": ["vectorized"]}})
    cmd = [TRUSTSIM, "sweep", path.name, "--out", "out", "--workers", "2", "--batch-size",
           "5", "-q"]
    first = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # orphans must not hold a pipe open
    summaries = work / "out" / "summaries"
    deadline = time.monotonic() + 300  # generous: two cores shared with other jobs
    workers: list[int] = []
    while time.monotonic() < deadline and first.poll() is None and (len(workers) < 3 or not (
            summaries.is_dir() and list(summaries.glob("part-*")))):
        time.sleep(0.05)
        workers = [c.pid for c in psutil.Process(first.pid).children(recursive=True)]
    # frozen (not killed) while the second starts: it cannot finish or let its workers go
    # however slowly the second command starts, and it still holds the folder's lock
    first.send_signal(signal.SIGSTOP)
    assert first.poll() is None, "the first sweep finished before the second started"
    workers = [c.pid for c in psutil.Process(first.pid).children(recursive=True)]
    try:
        second = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300)
    finally:  # never left frozen, even when the second command fails
        first.kill()  # the coordinator only, as the OOM killer or a job scheduler might
        first.wait()
    assert second.returncode == 2, second.stdout
    assert second.stderr == (f"trustsim: out: in use by another trustsim run (process "
                             f"{first.pid} is writing there); wait for it to finish or "
                             "choose another --out\n")
    assert len(workers) >= 3 and gone_within(workers, 60) == []
    done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "48 of 48 runs finished" in done.stdout
    ids = sweep.load(work / "out").summaries[["point", "replicate"]]
    assert len(ids) == 48 and not ids.duplicated().any()


@pytest.mark.slow
def test_ctrl_c_says_what_was_saved_and_how_to_resume(work):
    path = _experiment(work, replicates=60)
    cmd = [TRUSTSIM, "sweep", path.name, "--out", "out", "--workers", "2", "--batch-size",
           "5", "-q"]
    proc = subprocess.Popen(cmd, cwd=work, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_as_in_a_terminal)
    summaries = work / "out" / "summaries"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and len(
            list(summaries.glob("part-*")) if summaries.is_dir() else []) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and err.count("\n") == 1, err
    saved = len(sweep.load(work / "out").summaries)
    assert err == (f"trustsim: interrupted; {saved} of 360 runs are saved in out "
                   "(manifest.json says incomplete); run the same command again to resume: "
                   "only the missing runs run\n")
    assert sweep.load(work / "out").manifest["status"] == "incomplete"


def test_damaged_parts_are_set_aside_and_their_runs_run_again(work, monkeypatch, capsys):
    cmd = ["sweep", work / "grid.yaml", "--out", work / "out", "--workers", "2",
           "--batch-size", "3", "-q"]
    assert _cli(monkeypatch, capsys, *cmd)[0] == 0
    before = _tables(work / "out")
    for kind, name in (("summaries", "part-000001.parquet"), ("timeseries", "part-000002.parquet")):
        part = work / "out" / kind / name
        part.write_bytes(part.read_bytes()[:-40])  # truncated, as by a full disk or a crash
    code, out, err = _cli(monkeypatch, capsys, *cmd)
    assert code == 0, err
    assert "12 of 12 runs finished (6 this time" in out
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(ln.startswith(f"trustsim: warning: {work / 'out'}: batch ")
                                   for ln in lines)
    assert sorted(p.name for p in (work / "out" / "damaged").rglob("*.parquet")) == [
        "part-000001.parquet", "part-000001.parquet", "part-000002.parquet",
        "part-000002.parquet"]
    after = _tables(work / "out")
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)


def test_an_unwritable_out_is_one_line_exit_2(work, monkeypatch, capsys):
    code, _, err = _cli(monkeypatch, capsys, "sweep", work / "grid.yaml", "--out",
                        "/proc/trustsim/out", "-q")
    assert code == 2
    assert err == ("trustsim: /proc/trustsim: cannot create the results folder (No such "
                   "file or directory; errno 2)\n")


def test_a_full_disk_mid_sweep_is_one_line_exit_1_and_resumes(work, monkeypatch, capsys,
                                                              full_disk):
    """Simulated with a monkeypatched os.fsync; the scenario tests also use a real tmpfs."""
    cmd = ["sweep", work / "grid.yaml", "--out", work / "out", "--workers", "2",
           "--batch-size", "3", "-q"]
    full_disk(after=2)  # two batches, then the disk is full
    code, _, err = _cli(monkeypatch, capsys, *cmd)
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1, err
    assert err == (f"trustsim: {work / 'out' / 'summaries' / 'part-000002.parquet'}: cannot "
                   "write (No space left on device; errno 28)\n")
    assert sweep.load(work / "out").manifest["status"] == "incomplete"
    assert not list((work / "out").rglob(".*.tmp"))
    monkeypatch.undo()
    code, out, err = _cli(monkeypatch, capsys, *cmd)
    assert code == 0, err
    assert "12 of 12 runs finished (6 this time" in out
