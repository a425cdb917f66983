"""The compiled engine with nowhere to cache its machine code (a read-only HOME, an
installed package in a read-only tree, ``NUMBA_CACHE_DIR`` pointing at a file or at
/proc): it compiles in memory with one warning line, and commands that do not run the
model do not compile it at all.

Subprocesses, as the cache folder is chosen once per process from its environment. The
tests run as root in CI, where a read-only mode stops nothing: a regular file where a
folder should be stops root too, so each test copies the package and puts a file where
numba's ``__pycache__`` beside the source would go, and another where ``~/.cache`` would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CLI = "from sim.cli import main; main()"

#: Each way the cache can be unusable: the environment it is given (HOME always unusable).
NO_CACHE = {
    "NUMBA_CACHE_DIR under /proc": lambda tmp: {"NUMBA_CACHE_DIR": "/proc/nope"},
    "NUMBA_CACHE_DIR a regular file": lambda tmp: {"NUMBA_CACHE_DIR": str(_file(tmp / "f"))},
    "read-only HOME, no NUMBA_CACHE_DIR": lambda tmp: {},
}


def _file(path: Path) -> Path:
    path.write_text("")
    return path


def _uncacheable(tmp: Path, case: str) -> dict[str, str]:
    """A copy of the package that numba cannot cache beside, and an environment whose
    HOME and (per ``case``) ``NUMBA_CACHE_DIR`` cannot hold a cache either."""
    src = tmp / "src"
    shutil.copytree(ROOT / "sim", src / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in [p for p in (src / "sim").rglob("*") if p.is_dir()] + [src / "sim"]:
        _file(folder / "__pycache__")
    home = tmp / "home"
    home.mkdir()
    _file(home / ".cache")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "TRUSTSIM_NO_CACHE_WARNED")}
    return env | {"HOME": str(home), "PYTHONPATH": str(src)} | NO_CACHE[case](tmp)


def _python(tmp: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=tmp, env=env, capture_output=True,
                          text=True, timeout=600)


def _scenario(tmp: Path) -> Path:
    path = tmp / "tiny.yaml"
    path.write_text(yaml.safe_dump({
        "name": "tiny", "description": "A tiny test county.", "weeks": 12, "replicates": 1,
        "seed": 7, "population": {"n_agencies": 4, "n_isps": 1, "n_families": 20},
        "arms": {"top_down": {"strategy_mix": 0.0}, "co_creative": {"strategy_mix": 1.0}}}))
    return path


@pytest.mark.parametrize("case", NO_CACHE)
def test_commands_that_do_not_run_the_model_do_not_compile_it(tmp_path, case):
    env, scenario = _uncacheable(tmp_path, case), _scenario(tmp_path)
    for args in (["validate", str(scenario)], ["list"]):
        done = _python(tmp_path, env, "-c", f"{CLI}; import sys; print('numba' in sys.modules)",
                       *args)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert done.stdout.splitlines()[-1] == "False", f"{args[0]} imported numba"


@pytest.mark.parametrize("case", NO_CACHE)
def test_the_engine_loads_without_a_cache_with_one_warning_line(tmp_path, case):
    env = _uncacheable(tmp_path, case)
    done = _python(tmp_path, env, "-c", "import sim.engines.compiled, sim.network, sim;"
                   "print(sim.__file__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(tmp_path / "src")), done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "NUMBA_CACHE_DIR" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_run_without_a_cache_gives_the_same_numbers(tmp_path, monkeypatch):
    """Compiles every loop in memory (about half a minute): the numbers are those of the
    cached engine in this process."""
    from sim.scenario import load_scenario, run_scenario

    env, scenario = _uncacheable(tmp_path, "NUMBA_CACHE_DIR under /proc"), _scenario(tmp_path)
    done = _python(tmp_path, env, "-c", CLI, "run", str(scenario), "--workers", "1",
                   "--no-figures", "--out", str(tmp_path / "uncached"))
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "NUMBA_CACHE_DIR" in line]
    assert len(warnings) == 1 and "Traceback" not in done.stderr, done.stderr
    here = run_scenario(load_scenario(scenario), workers=1, out=tmp_path / "cached",
                        figures=False)
    theirs = pd.read_parquet(tmp_path / "uncached" / "summaries.parquet")
    pd.testing.assert_frame_equal(theirs, pd.read_parquet(tmp_path / "cached" /
                                                          "summaries.parquet"))
    assert len(here.summaries) == 2
