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


def test_run_prints_the_comparison_and_writes_the_results_folder(short_run):
    proc, out = short_run
    assert proc.returncode == 0, proc.stderr
    for text in ("covid_pivot", "top_down", "co_creative", "- top_down", "(difference)",
                 "weeks to 50% of agencies at full", "reach gap", "sustainability",
                 "Figures:"):
        assert text in proc.stdout
    for name in ("timeseries.parquet", "summaries.parquet", "summary.csv", "manifest.json"):
        assert (out / name).is_file()
    for fig in ("adoption", "stages", "trust", "reach", "hours"):
        assert (out / "figures" / f"{fig}.png").is_file()
        assert (out / "figures" / f"{fig}.svg").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["workers"] == 2
    assert manifest["command"].startswith("trustsim run") and "--weeks 40" in manifest["command"]
    assert manifest["scenario"]["weeks"] == 40


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


def test_ctrl_c_keeps_finished_runs_and_marks_the_manifest_incomplete(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([*TRUSTSIM, "run", str(COVID), "-n", "40", "--workers", "2",
                             "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    parts = out / ".parts" / "sum"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("*/*.parquet"))) < 3:
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
