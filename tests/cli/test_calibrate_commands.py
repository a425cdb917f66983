"""``trustsim calibrate`` on the command line: one-line errors, exit 2, the missing extra."""

import subprocess
import sys

import pytest

from sim.errors import TrustsimError
from sim.optional import require

CLI = [sys.executable, "-c", "from sim.cli import main; main()"]


def test_a_bad_file_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "cal.yaml"
    path.write_text("name: x\nscenario: nowhere.yaml\npriors: {}\ntargets: {}\n")
    done = subprocess.run(CLI + ["calibrate", str(path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"trustsim: {path}: ")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("module, extra", [("pyabc", "calibration"),
                                           ("ema_workbench", "discovery")])
def test_a_missing_extra_names_it(monkeypatch, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # what an absent package looks like
    with pytest.raises(TrustsimError, match=rf"pip install 'trustsim\[{extra}\]'"):
        require(module, extra)
