"""Hostile calibration files, options and results folders: one line naming the file and
the field, exit 2, nothing written outside the results folder, nothing a user wrote lost;
an interrupted or failed calibration is marked incomplete and the same command resumes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.calibration import calibrate, prepare
from sim.calibration.spec import load_calibration
from sim.errors import TrustsimError

CLI = [sys.executable, "-c", "from sim.cli import main; main()"]


def _files(root: Path) -> set[Path]:
    return set(root.rglob("*"))


def _one_line(err: str) -> str:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def _refused(monkeypatch, cli, workdir: Path, *args) -> str:
    """``trustsim calibrate`` from ``workdir``: exit 2, one line, nothing written."""
    monkeypatch.chdir(workdir)
    before = _files(workdir.parent)
    code, err = cli("calibrate", *args)
    assert code == 2, err
    assert _files(workdir.parent) == before, "a refused calibration wrote something"
    return _one_line(err)


def _manifest(out: Path) -> dict:
    return json.loads((out / "calibration.json").read_text())


def _started(calibration, out: Path, abc_id: int | None = None, **changes) -> Path:
    """A results folder as a calibration leaves it once started: its manifest (whose
    ``abc_id`` is set once history.db holds the run), no run yet. Returns the file."""
    path = calibration(**changes)
    out.mkdir()
    (out / "calibration.json").write_text(json.dumps({
        "fingerprint": prepare(load_calibration(path)).fingerprint(), "abc_id": abc_id,
        "status": "running"}))
    return path


# -- 1. names and links: nothing written outside the results folder ---------------------
@pytest.mark.parametrize("name", ["../../../x", "/tmp/elsewhere", "a/b", "..", ".", "",
                                  ".hidden", "x\ny", "tab\tname", "x" * 300])
def test_a_calibration_name_cannot_leave_the_results_folder(monkeypatch, cli, workdir,
                                                            calibration, name):
    path = calibration()  # the fixture's own ``name`` argument is the file's name
    path.write_text(yaml.safe_dump(yaml.safe_load(path.read_text()) | {"name": name}))
    err = _refused(monkeypatch, cli, workdir, path)
    assert f"{path}: name: expected" in err


@pytest.mark.parametrize("entry", ["calibration.json", "history.db", "posterior.parquet",
                                   "posterior_summary.csv", "calibration.yaml"])
def test_a_link_in_the_results_folder_is_not_followed(calibration, workdir, entry):
    out = workdir / "out"
    path = _started(calibration, out)
    victim = workdir / "victim.txt"
    victim.write_text("the user's own file\n")
    if entry == "calibration.json":
        os.replace(out / entry, workdir / "moved.json")
        (out / entry).symlink_to(workdir / "moved.json")
    else:
        (out / entry).symlink_to(victim)
    with pytest.raises(TrustsimError) as info:
        calibrate(path, out=out)
    message = _one_line(str(info.value))
    assert f"{out}: " in message and entry in message and "link" in message
    assert victim.read_text() == "the user's own file\n"
    assert (out / entry).is_symlink()


def test_a_folder_the_calibration_did_not_make_is_left_alone(calibration, workdir):
    out = workdir / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    with pytest.raises(TrustsimError, match="not a calibration results folder"):
        calibrate(calibration(), out=out)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


# -- 2. workers and scheduler --------------------------------------------------------------
def test_workers_are_capped_as_for_run_and_sweep(monkeypatch, cli, workdir, calibration):
    from sim.cli import MAX_WORKERS

    err = _refused(monkeypatch, cli, workdir, calibration(), "--workers",
                   MAX_WORKERS + 1)
    assert "--workers" in err and str(MAX_WORKERS) in err
    with pytest.raises(TrustsimError, match=f"--workers.*{MAX_WORKERS}"):
        calibrate(calibration(), workers=5000, out=workdir / "out")
    assert not (workdir / "out").exists()


@pytest.mark.parametrize("address", ["garbage", "tcp://", "tcp://host:notaport",
                                     "http://[::1"])
def test_a_malformed_scheduler_address_is_one_line(monkeypatch, cli, workdir,
                                                   calibration, address):
    err = _refused(monkeypatch, cli, workdir, calibration(), "--scheduler", address,
                   "--out", workdir / "out")
    assert "--scheduler" in err and "tcp://HOST:PORT" in err


# -- 3. a database whose creation did not finish --------------------------------------------
def test_a_database_left_unfinished_by_a_full_disk_is_set_aside(monkeypatch, capsys,
                                                                 calibration, workdir):
    import pyabc.storage.history as pyabc_history
    from sqlalchemy.exc import OperationalError

    def disk_full(self):  # the tables are made, then the disk is full: "version 0"
        self._make_session()
        self._close_session()
        raise OperationalError("INSERT INTO version", {},
                               sqlite3.OperationalError("database or disk is full"))

    path = calibration(predictive=0)
    out = workdir / "out"
    with monkeypatch.context() as patch:
        patch.setattr(pyabc_history.History, "_set_version", disk_full)
        with pytest.raises(TrustsimError) as info:
            calibrate(path, out=out)
    assert "history.db" in _one_line(str(info.value))
    assert _manifest(out)["status"] == "incomplete"
    with sqlite3.connect(out / "history.db") as con:  # the schema, but no version: "0"
        assert con.execute("select count(*) from version").fetchone()[0] == 0
    capsys.readouterr()

    report = calibrate(path, out=out)  # the same command recovers
    assert report.generations == 1
    err = capsys.readouterr().err
    assert "history.db" in _one_line(err) and "set aside" in err
    assert (out / "damaged" / "history.db").exists()
    assert _manifest(out)["status"] == "complete"


# -- 4. numbers that are not finite ----------------------------------------------------------
@pytest.mark.parametrize("changes, field", [
    ({"priors": {"innovation_rate": {"low": 0.05, "high": float("inf")}}},
     "priors.innovation_rate.high"),
    ({"priors": {"innovation_rate": {"low": float("nan"), "high": 1.0}}},
     "priors.innovation_rate.low"),
    ({"priors": {"innovation_rate": {"distribution": "normal", "mean": float("nan"),
                                     "sd": 1.0}}}, "priors.innovation_rate.mean"),
    ({"priors": {"innovation_rate": {"distribution": "normal", "mean": 1.0,
                                     "sd": float("inf")}}}, "priors.innovation_rate.sd"),
    ({"targets": {"median_weeks_to_startup": {"value": float("nan"), "sd": 3.0}}},
     "targets.median_weeks_to_startup.value"),
    ({"targets": {"median_weeks_to_startup": {"value": float("-inf"), "sd": 3.0}}},
     "targets.median_weeks_to_startup.value"),
    ({"targets": {"median_weeks_to_startup": {"value": 20.0, "sd": float("inf")}}},
     "targets.median_weeks_to_startup.sd"),
    ({"stop": {"generations": 1, "min_epsilon": float("inf")}}, "stop.min_epsilon"),
])
def test_numbers_that_are_not_finite_are_refused(monkeypatch, cli, workdir, calibration,
                                                 changes, field):
    path = calibration(**changes)
    err = _refused(monkeypatch, cli, workdir, path)
    assert f"{path}: {field}: " in err and "finite" in err


def _unreadable(workdir: Path, name: str, content: bytes) -> Path:
    path = workdir / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("content, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 10, "UTF-8"),
    (("name: bomb\na0: &a0 [1, 2, 3]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 11))
      ).encode(), "expand"),
    (b"- just\n- a list\n", "expected a mapping"),
    (b"name: x\nname: y\n", "name"),
])
def test_an_unreadable_calibration_file_is_one_line(monkeypatch, cli, workdir, content,
                                                    words):
    path = _unreadable(workdir, "bad.yaml", content)
    err = _refused(monkeypatch, cli, workdir, path)
    assert "bad.yaml: " in err and words in err


@pytest.mark.parametrize("changes, field", [
    ({"population": "8"}, "population"), ({"replicates": 2.0}, "replicates"),
    ({"seed": "5"}, "seed"), ({"priors": {"innovation_rate": {"low": "0.1", "high": 1}}},
                              "priors.innovation_rate.low"),
])
def test_numbers_are_strict(monkeypatch, cli, workdir, calibration, changes, field):
    path = calibration(**changes)
    err = _refused(monkeypatch, cli, workdir, path)
    assert f"{path}: {field}: expected" in err


# -- 5. damaged files in the results folder --------------------------------------------------
@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00binary", b"[1, 2]", b""])
def test_a_damaged_manifest_is_one_line(monkeypatch, cli, workdir, calibration, content):
    out = workdir / "out"
    path = _started(calibration, out)
    (out / "calibration.json").write_bytes(content)
    err = _refused(monkeypatch, cli, workdir, path, "--out", out)
    assert f"{out / 'calibration.json'}: " in err
    assert (out / "calibration.json").read_bytes() == content


@pytest.mark.parametrize("content", [b"not a database at all" * 100,
                                     b"SQLite format 3\x00" + b"\x00" * 84 + b"\xff" * 4000])
def test_a_damaged_history_is_one_line(monkeypatch, cli, workdir, calibration, content):
    out = workdir / "out"
    path = _started(calibration, out, abc_id=1)
    (out / "history.db").write_bytes(content)
    err = _refused(monkeypatch, cli, workdir, path, "--out", out)
    assert f"{out / 'history.db'}: " in err
    assert (out / "history.db").read_bytes() == content


# -- 6. interrupted or failed: incomplete, and the same command resumes ----------------------
def _populations(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            return con.execute("select count(*) from populations where t >= 0").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
@pytest.mark.parametrize("sig, code, workers", [(signal.SIGINT, 130, 1),
                                                (signal.SIGTERM, 143, 1),
                                                (signal.SIGINT, 130, 2)])
def test_a_signal_marks_the_calibration_incomplete(calibration, workdir, sig, code, workers):
    import psutil

    path = calibration(stop={"generations": 50}, predictive=0)
    out = workdir / "out"
    proc = subprocess.Popen(CLI + ["calibrate", str(path), "--out", str(out), "--workers",
                                   str(workers)], cwd=workdir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while _populations(out / "history.db") < 1 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == code, err
    assert "interrupted" in _one_line(err) and "same command" in err
    assert _manifest(out)["status"] == "incomplete"
    _, alive = psutil.wait_procs(children, timeout=30)
    for child in alive:
        child.kill()
    assert not alive, "worker processes outlived the calibration"


def test_a_failure_leaves_the_status_incomplete(monkeypatch, calibration, workdir):
    from sim.calibration.simulate import Simulator

    def boom(self, theta):
        raise RuntimeError("a model error")

    monkeypatch.setattr(Simulator, "__call__", boom)
    out = workdir / "out"
    with pytest.raises(RuntimeError):
        calibrate(calibration(predictive=0), out=out)
    assert _manifest(out)["status"] == "incomplete"


# -- 7. what is reproducible ---------------------------------------------------------------
def _result(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    gens = pd.read_csv(out / "generations.csv")[["t", "epsilon", "samples"]]
    return pd.read_parquet(out / "posterior.parquet"), gens


@pytest.mark.slow
def test_serial_parallel_and_resumed_calibrations_agree(monkeypatch, calibration, workdir):
    import pyabc

    path = calibration(population=6, stop={"generations": 2}, predictive=0)
    calibrate(path, out=workdir / "serial")
    serial = _result(workdir / "serial")
    calibrate(path, workers=2, out=workdir / "parallel")
    _same(_result(workdir / "parallel"), serial)

    real, stopped = pyabc.ABCSMC.run_generation, []

    def stop_once(self, t):
        if t == 1 and not stopped:
            stopped.append(t)
            raise KeyboardInterrupt
        return real(self, t)

    monkeypatch.setattr(pyabc.ABCSMC, "run_generation", stop_once)
    with pytest.raises(KeyboardInterrupt):
        calibrate(path, out=workdir / "resumed")
    assert _manifest(workdir / "resumed")["status"] == "incomplete"
    report = calibrate(path, out=workdir / "resumed")
    assert report.ran_generations == 1

    _same(_result(workdir / "resumed"), serial)


def _same(got: tuple[pd.DataFrame, pd.DataFrame], want: tuple[pd.DataFrame, pd.DataFrame]
          ) -> None:
    pd.testing.assert_frame_equal(got[0], want[0])
    pd.testing.assert_frame_equal(got[1], want[1])


@pytest.mark.parametrize("interrupt, code", [("_Terminated", 143), ("KeyboardInterrupt", 130)])
def test_a_signal_caught_inside_compiled_code_still_stops_as_an_interrupt(
        monkeypatch, calibration, workdir, interrupt, code):
    """A signal handled while numba calls back into Python reaches the caller as a
    SystemError whose cause is the interrupt (seen on a fresh clone: SIGTERM gave exit 1
    and a traceback); it must stop the calibration as the interrupt itself does."""
    from sim.calibration import runner

    stop = getattr(runner, interrupt, None) or KeyboardInterrupt

    def fit(*_args, **_kwargs):
        try:
            raise stop()
        except KeyboardInterrupt as exc:
            raise SystemError("CPUDispatcher(<function _weeks>) returned a result with an "
                              "exception set") from exc

    monkeypatch.setattr(runner, "_fit", fit)
    with pytest.raises(runner.CalibrationInterrupted) as caught:
        calibrate(calibration(), out=workdir / "out")
    assert caught.value.exit_code == code
    assert _manifest(workdir / "out")["status"] == "incomplete"
