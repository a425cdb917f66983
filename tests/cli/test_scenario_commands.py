"""``trustsim run / validate / plot / list`` started the way a user starts them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
COVID = ROOT / "scenarios" / "covid_pivot.yaml"
SCRIPT = Path(sys.executable).parent / "trustsim"
TRUSTSIM = [str(SCRIPT)] if SCRIPT.exists() else [
    sys.executable, "-c", "from sim.cli import main; main()"]


def trustsim(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*TRUSTSIM, *map(str, args)], capture_output=True, text=True,
                          cwd=kwargs.pop("cwd", ROOT), timeout=kwargs.pop("timeout", 300),
                          **kwargs)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """covid_pivot shortened to 40 weeks x 3 replicates, with 2 workers and figures."""
    out = tmp_path_factory.mktemp("runs") / "covid"
    proc = trustsim("run", COVID, "--weeks", 40, "-n", 3, "--workers", 2, "--out", out)
    return proc, out



def _as_in_a_terminal() -> None:
    """Ctrl-C reaches a command in a terminal; a test runner started in the background
    (a CI job, `cmd &`) passes SIGINT on as ignored, so restore what a terminal gives."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)

def test_run_prints_the_comparison_and_writes_the_results_folder(short_run):
    proc, out = short_run
    assert proc.returncode == 0, proc.stderr
    for text in ("covid_pivot", "top_down", "co_creative", "- top_down", "(difference)",
                 "weeks to 50% of agencies at full", "reach gap", "sustainability",
                 "Figures:"):
        assert text in proc.stdout
    for name in ("timeseries.parquet", "summaries.parquet", "summary.csv", "manifest.json",
                 "codebook.csv"):
        assert (out / name).is_file() and name in proc.stdout
    for fig in ("adoption", "stages", "trust", "reach", "hours"):
        assert (out / "figures" / f"{fig}.png").is_file()
        assert (out / "figures" / f"{fig}.svg").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["workers"] == 2
    assert manifest["command"].startswith("trustsim run") and "--weeks 40" in manifest["command"]
    assert manifest["scenario"]["weeks"] == 40


@pytest.mark.slow
def test_parquet_is_byte_identical_with_one_or_two_workers(short_run, tmp_path):
    _, two = short_run
    one = tmp_path / "one"
    proc = trustsim("run", COVID, "--weeks", 40, "-n", 3, "--workers", 1, "--out", one,
                    "--no-figures")
    assert proc.returncode == 0, proc.stderr
    for name in ("timeseries.parquet", "summaries.parquet"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert (one / "summary.csv").read_text() == (two / "summary.csv").read_text()


def test_existing_results_folder_is_not_overwritten(short_run):
    _, out = short_run
    before = (out / "manifest.json").read_text()
    proc = trustsim("run", COVID, "--weeks", 40, "-n", 3, "--out", out, "--no-figures")
    assert proc.returncode == 2
    assert "already exists; pass --overwrite" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (out / "manifest.json").read_text() == before


@pytest.mark.slow
def test_plot_redraws_figures_from_saved_results(short_run, tmp_path):
    _, out = short_run
    proc = trustsim("plot", out, "--out", tmp_path / "figs")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == sorted(
        f"{n}.{ext}" for n in ("adoption", "stages", "trust", "reach", "hours")
        for ext in ("png", "svg"))
    assert (tmp_path / "figs" / "adoption.svg").read_text() == (
        out / "figures" / "adoption.svg").read_text()


def test_plot_of_a_folder_without_results(tmp_path):
    proc = trustsim("plot", tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("not a trustsim results folder (no manifest.json)")


def test_list_names_scenarios_and_interaction_types():
    proc = trustsim("list")
    assert proc.returncode == 0, proc.stderr
    for text in ("covid_pivot.yaml", "high_turnover.yaml", "co_design", "compliance_audit",
                 "co_creative", "top_down"):
        assert text in proc.stdout
    assert "invalid" not in proc.stdout


def test_validate_checks_each_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\narms: {}\n")
    proc = trustsim("validate", COVID, bad)
    assert proc.returncode == 2
    assert "ok: " in proc.stdout and "covid_pivot" in proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert lines == [f"trustsim: {bad}: arms: expected at least one arm (a name and its "
                     "parameter overrides, e.g. 'top_down: {strategy_mix: 0.0}')"]


def _scenario(**changes) -> dict:
    data = {"name": "tiny", "weeks": 30, "replicates": 2, "seed": 1,
            "population": {"n_agencies": 4, "n_isps": 1, "n_families": 40},
            "arms": {"top_down": {"strategy_mix": 0.0}, "co_creative": {"strategy_mix": 1.0}}}
    data.update(changes)
    return data


BAD_INPUTS = {
    "yaml_syntax": ("name: tiny\narms:\n  a: {strategy_mix: 1\n", "line 4, column 1: YAML "
                    "syntax error"),
    "unknown_key": (_scenario(parameters={"asymetry": 3}),
                    "parameters.asymetry: unknown key (did you mean 'asymmetry'?)"),
    "wrong_type": (_scenario(population={"n_agencies": "twelve"}),
                   "population.n_agencies: expected a whole number in [1, 100000], "
                   "got 'twelve'"),
    "out_of_range": (_scenario(parameters={"asymmetry": 9}),
                     "parameters.asymmetry: expected a number in [1, 5], got 9"),
    "event_after_end": (_scenario(timeline=[{"kind": "crisis", "onset": 45, "duration": 10}]),
                        "timeline.0.onset: the crisis event starts at week 45, after the end "
                        "of the run; expected a week up to weeks = 30"),
    "missing_extends": (_scenario(extends="nowhere.yaml"),
                        "extends: file 'nowhere.yaml' not found"),
    "extends_cycle": (_scenario(extends="bad.yaml"), "extends: cycle: "),
    "zero_arms": (_scenario(arms={}), "arms: expected at least one arm"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_no_results(case, tmp_path, monkeypatch, capsys):
    content, expected = BAD_INPUTS[case]
    path = tmp_path / "bad.yaml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    out = tmp_path / "results"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["trustsim", "run", str(path), "--out", str(out)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("trustsim: bad.yaml: ")  # the file, relative to where we are
    assert expected in lines[0]
    assert "Traceback" not in captured.err
    assert not out.exists() and not (tmp_path / "results").exists()


def test_bad_input_through_the_installed_script(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_scenario(parameters={"asymetry": 3})))
    proc = trustsim("run", path, "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "did you mean 'asymmetry'?" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_ctrl_c_keeps_finished_runs_and_marks_the_manifest_incomplete(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([*TRUSTSIM, "run", str(COVID), "-n", "40", "--workers", "2",
                             "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_as_in_a_terminal)
    parts = out / ".parts" / "summaries"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("part-*.parquet"))) < 3:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("trustsim: interrupted; ")
    assert f"runs finished and are kept in {out}" in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "incomplete"
    assert 3 <= manifest["finished_runs"] < manifest["planned_runs"] == 80
    finished = {(r["arm"], r["replicate"]) for r in manifest["runs"] if r["finished"]}
    assert len(finished) == manifest["finished_runs"]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert set(map(tuple, ts[["arm", "replicate"]].drop_duplicates().to_numpy())) == finished
    assert ts.groupby(["arm", "replicate"]).size().eq(157).all()
    assert len(pd.read_parquet(out / "summaries.parquet")) == len(finished)
    assert pd.read_csv(out / "summary.csv")["n"].max() <= 40


def _start_and_kill(cmd: list[str], out: Path, parts: str, n: int) -> list[int]:
    """Start ``cmd``, SIGKILL its coordinator (only) once ``n`` parts exist; return the
    PIDs of the processes it had started (forkserver, workers, resource tracker)."""
    import psutil

    proc = subprocess.Popen(cmd, cwd=out.parent, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # orphans must not hold a pipe open
    deadline = time.monotonic() + 120
    children: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        children |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        if len(list(out.glob(parts))) >= n:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    children |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
    proc.kill()
    proc.wait()
    return sorted(children)


@pytest.mark.slow
def test_sigkill_then_plot_then_the_same_command_resumes(tmp_path, gone_within):
    """SIGKILL strands nothing: the workers exit with their coordinator, plot draws the
    finished runs, and the same command runs only the missing runs; the result is
    byte-identical to an uninterrupted run."""
    out = tmp_path / "out"
    cmd = [*TRUSTSIM, "run", str(COVID), "--weeks", "40", "-n", "12", "--workers", "2",
           "--out", str(out), "--no-figures"]
    started = _start_and_kill(cmd, out, ".parts/summaries/part-*.parquet", 3)
    assert len(started) >= 3  # forkserver, 2 workers (and the resource tracker)
    assert gone_within(started, 10) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running"
    plotted = trustsim("plot", out, "--out", tmp_path / "figs")
    assert plotted.returncode == 0, plotted.stderr
    assert "holds an incomplete run" in plotted.stdout
    kept = len(list(out.glob(".parts/summaries/part-*.parquet")))
    done = trustsim(*cmd[len(TRUSTSIM):])
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["finished_runs"] == 24
    assert len(manifest["resumed"]) == 1 and 3 <= kept < 24
    straight = tmp_path / "straight"
    proc = trustsim(*cmd[len(TRUSTSIM):-3], "--out", straight, "--no-figures")
    assert proc.returncode == 0, proc.stderr
    for name in ("timeseries.parquet", "summaries.parquet", "summary.csv"):
        assert (out / name).read_bytes() == (straight / name).read_bytes(), name


def _main(monkeypatch, capsys, *args) -> tuple[int, str]:
    """``trustsim ARGS`` in this process (so monkeypatches apply); (exit code, stderr)."""
    monkeypatch.setattr(sys, "argv", ["trustsim", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        main()
        raise SystemExit(0)
    return info.value.code, capsys.readouterr().err


def _one_line(err: str) -> str:
    """The one error line (after the progress bar, if one was drawn)."""
    lines = [ln for ln in err.strip().splitlines() if "runs" not in ln or "trustsim:" in ln]
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


def test_an_unwritable_out_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_scenario()))
    code, err = _main(monkeypatch, capsys, "run", path, "--out", "/proc/trustsim/out")
    assert code == 2
    assert _one_line(err) == ("trustsim: /proc/trustsim: cannot create the results folder "
                              "(No such file or directory; errno 2)")  # the failing part


def test_a_full_disk_mid_run_is_one_line_exit_1_manifest_incomplete(tmp_path, monkeypatch,
                                                                   capsys, full_disk):
    """Simulated with a monkeypatched os.fsync (see the tmpfs test for a real one)."""
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_scenario()))
    out = tmp_path / "out"
    full_disk(after=6)  # two runs (3 files each), then full
    code, err = _main(monkeypatch, capsys, "run", path, "--out", out, "--workers", 1)
    assert code == 1
    line = _one_line(err)
    assert line.startswith(f"trustsim: {out}/.parts/") and line.endswith(
        "cannot write (No space left on device; errno 28)")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and "No space left" in manifest["error"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert len(list(out.glob(".parts/summaries/part-*.parquet"))) == 2  # kept for the resume
    monkeypatch.undo()
    code, err = _main(monkeypatch, capsys, "run", path, "--out", out, "--workers", 1,
                      "--no-figures")
    assert code == 0, err
    assert json.loads((out / "manifest.json").read_text())["finished_runs"] == 4


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs (needs root; skipped where mounting is not allowed)."""
    mounts = []

    def mount(name: str, options: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (not root?)")
        mounts.append(point)
        return point

    yield mount
    for point in mounts:
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.mark.slow
def test_a_read_only_mount_and_a_real_full_disk(tmpfs, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_scenario(replicates=20)))
    ro = tmpfs("ro", "size=1m,ro")
    proc = trustsim("run", path, "--out", ro / "out", "--workers", 1)
    assert proc.returncode == 2
    assert _one_line(proc.stderr).startswith(f"trustsim: {ro / 'out'}: cannot create the "
                                             "results folder (Read-only file system")
    full = tmpfs("full", "size=160k")
    proc = trustsim("run", path, "--out", full / "out", "--workers", 1)
    assert proc.returncode == 1, proc.stderr
    assert "No space left on device" in _one_line(proc.stderr)
    assert not [p for p in (full / "out").rglob("*") if p.name.endswith(".tmp")]
    manifest = json.loads((full / "out" / "manifest.json").read_text())
    assert manifest["status"] in ("running", "incomplete")  # incomplete where it still fits


def test_an_unreachable_scheduler_is_one_line_exit_2_nothing_written(tmp_path, monkeypatch,
                                                                     capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_scenario()))
    out = tmp_path / "out"
    address = f"tcp://127.0.0.1:{port}"
    code, err = _main(monkeypatch, capsys, "run", path, "--out", out, "--scheduler", address)
    assert code == 2 and not out.exists()
    assert _one_line(err).startswith(f"trustsim: cannot reach the Dask scheduler at {address}")
    code, err = _main(monkeypatch, capsys, "run", path, "--out", out, "--scheduler", "nonsense")
    assert code == 2 and "expected tcp://HOST:PORT" in _one_line(err) and not out.exists()
