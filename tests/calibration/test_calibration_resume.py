"""An interrupted calibration (SIGKILL) continues when the same command runs again, and a
results folder refuses a second writer while the first is alive."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest

from sim.calibration import calibrate
from sim.errors import TrustsimError
from sim.resultsdir import LOCK

CLI = [sys.executable, "-c", "from sim.cli import main; main()"]


def _populations(db) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as con:
            return con.execute("select count(*) from populations where t >= 0").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sigkill_then_the_same_command_continues(calibration, workdir):
    # min_epsilon 0: all three generations run (the default noise floor may stop it
    # sooner, and this test counts generations across the kill)
    path = calibration(stop={"generations": 3, "min_epsilon": 0}, predictive=0)
    out = workdir / "out"
    cmd = CLI + ["calibrate", str(path), "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while _populations(out / "history.db") < 1 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # the killed writer's lock file may remain; the kernel released its lock
    with sqlite3.connect(out / "history.db") as con:
        first = con.execute("select epsilon from populations where t = 0").fetchone()[0]
    done_before = _populations(out / "history.db")
    assert done_before < 3

    again = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"3 generations ({3 - done_before} this time)" in again.stdout
    gens = pd.read_csv(out / "generations.csv")
    assert list(gens["t"]) == [-1, 0, 1, 2]
    assert gens.loc[gens["t"] == 0, "epsilon"].item() == first
    assert not (out / LOCK).exists()


def test_a_folder_with_a_live_writer_is_refused(calibration, workdir):
    out = workdir / "out"
    out.mkdir()
    holds = ("import sys, time; from sim.resultsdir import FolderLock; "
             "FolderLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(60)")
    writer = subprocess.Popen([sys.executable, "-c", holds, str(out)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "held"
        with pytest.raises(TrustsimError, match=f"process {writer.pid} is writing there"):
            calibrate(calibration(), out=out)
        assert (out / LOCK).read_text().strip() == str(writer.pid)  # the writer's lock stays
    finally:
        writer.kill()
        writer.wait()


@pytest.mark.slow
def test_a_folder_of_a_different_calibration_is_refused(calibration, workdir):
    out = workdir / "out"
    calibrate(calibration(predictive=0), out=out)
    with pytest.raises(TrustsimError, match="holds a different calibration"):
        calibrate(calibration(seed=6, predictive=0), out=out)
