"""``trustsim discover`` on the command line: printed box, files, one-line errors."""

import subprocess
import sys

import pytest

CLI = [sys.executable, "-c", "from sim.cli import main; main()"]


@pytest.mark.slow
def test_discover_prints_the_box_and_writes_files(planted_sweep, tmp_path):
    done = subprocess.run(CLI + ["discover", str(planted_sweep), "--out", str(tmp_path / "d"),
                                 "--resamples", "5"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "PRIM peeling trajectory" in done.stdout and "cases of interest" in done.stdout
    assert "strategy_mix" in done.stdout and "turnover_per_year" in done.stdout
    assert (tmp_path / "d" / "prim_trajectory.png").exists()


@pytest.mark.slow
def test_a_bad_where_is_one_line_and_exit_2(planted_sweep, tmp_path):
    done = subprocess.run(CLI + ["discover", str(planted_sweep), "--outcome",
                                 "final_share_at_full", "--where", "nonsense >",
                                 "--out", str(tmp_path / "d")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--where: 'nonsense >': cannot parse" in done.stderr
    assert "Traceback" not in done.stderr
