"""The scenario results folder: --overwrite deletes only what trustsim wrote, one writer at
a time, an unfinished run resumes (damaged parts set aside and run again), and an
unfinished folder reads back from its parts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import sim.runs
from sim.errors import ScenarioError
from sim.resultsdir import FolderLock, StorageError
from sim.scenario import ScenarioResult, load_scenario, run_scenario
from sim.scenario.results import ResultsWriter
from sim.scenario.runner import plan


@pytest.fixture
def scenario(write, minimal):
    return load_scenario(write("s.yaml", minimal(replicates=3)))


@pytest.fixture
def finished(scenario, tmp_path) -> Path:
    out = tmp_path / "done"
    run_scenario(scenario, out=out, figures=False)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def test_overwrite_replaces_a_folder_trustsim_wrote(scenario, finished):
    (finished / "summary.csv").write_text("stale")
    run_scenario(scenario, out=finished, overwrite=True, figures=False)
    assert (finished / "summary.csv").read_text() != "stale"
    assert not (finished / ".lock").exists()


def test_overwrite_refuses_a_foreign_manifest(scenario, tmp_path):
    web = tmp_path / "web"
    web.mkdir()
    (web / "manifest.json").write_text('{"name": "my app", "start_url": "/"}')
    (web / "index.html").write_text("<html>")
    before = _files(web)
    with pytest.raises(ScenarioError, match="holds no manifest.json written by trustsim run"):
        run_scenario(scenario, out=web, overwrite=True, figures=False)
    assert _files(web) == before and sorted(p.name for p in web.iterdir()) == [
        "index.html", "manifest.json"]


def test_overwrite_refuses_trustsim_results_with_a_users_file(scenario, finished):
    (finished / "notes.txt").write_text("my notes")
    (finished / "figures").mkdir()
    (finished / "figures" / "poster.png").write_bytes(b"png")
    before = _files(finished)
    with pytest.raises(ScenarioError) as info:
        run_scenario(scenario, out=finished, overwrite=True, figures=False)
    assert str(info.value).endswith("holds files trustsim did not write (figures/poster.png, "
                                    "notes.txt); --overwrite deletes only trustsim results; "
                                    "choose another --out")
    assert _files(finished) == before


def test_overwrite_never_follows_a_symbolic_link(scenario, finished, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(finished)
    before = _files(finished)
    with pytest.raises(ScenarioError, match="is a symbolic link; --overwrite never deletes"):
        run_scenario(scenario, out=link, overwrite=True, figures=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "thesis.tex").write_text("precious")
    (finished / "figures").mkdir()
    (finished / "figures" / "adoption.png").symlink_to(elsewhere / "thesis.tex")
    with pytest.raises(ScenarioError, match=r"did not write \(figures/adoption.png\)"):
        run_scenario(scenario, out=finished, overwrite=True, figures=False)
    assert _files(finished) == before and (elsewhere / "thesis.tex").read_text() == "precious"


def test_a_folder_being_written_is_refused_before_anything_is_touched(scenario, finished):
    before = _files(finished)
    with FolderLock(finished), pytest.raises(StorageError) as info:
        run_scenario(scenario, out=finished, overwrite=True, figures=False)
    assert f"(process {os.getpid()} is writing there)" in str(info.value)
    assert {k: v for k, v in _files(finished).items() if k != ".lock"} == before


def _interrupt_after(monkeypatch, n: int) -> list[int]:
    """Make run_columns (what a scenario's run calls) raise KeyboardInterrupt on call
    n+1; returns the calls' seeds."""
    real, calls = sim.runs.run_columns, []

    def run_columns(params, seed, every=1):
        calls.append(seed)
        if len(calls) == n + 1:
            raise KeyboardInterrupt
        return real(params, seed, every)

    monkeypatch.setattr(sim.runs, "run_columns", run_columns)
    return calls


def test_an_interrupted_run_resumes_with_only_the_missing_runs(scenario, finished, tmp_path,
                                                               monkeypatch):
    out = tmp_path / "out"
    _interrupt_after(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        run_scenario(scenario, out=out, figures=False)
    monkeypatch.undo()
    calls = _interrupt_after(monkeypatch, 99)
    result = run_scenario(scenario, out=out, figures=False)
    assert len(calls) == 4 and result.complete  # 6 planned, 2 kept
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["resumed"]) == 1 and manifest["finished_runs"] == 6
    for name in ("timeseries.parquet", "summaries.parquet", "summary.csv", "codebook.csv"):
        assert (out / name).read_bytes() == (finished / name).read_bytes(), name
    assert sorted(p.name for p in out.iterdir()) == [
        "codebook.csv", "manifest.json", "summaries.parquet", "summary.csv",
        "timeseries.parquet"]


def test_an_unfinished_folder_of_another_scenario_is_refused(scenario, tmp_path, monkeypatch):
    out = tmp_path / "out"
    _interrupt_after(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        run_scenario(scenario, out=out, figures=False)
    before = _files(out)
    with pytest.raises(ScenarioError, match="holds an unfinished run of a different "
                                            "scenario or plan; pass --overwrite"):
        run_scenario(scenario, out=out, seed=99, figures=False)
    assert _files(out) == before


def _killed(scenario, out: Path, n: int) -> None:
    """What SIGKILL after n finished runs leaves: parts, manifest 'running'."""
    writer = ResultsWriter(out, scenario, plan(scenario), "test", 1)
    for arm, rep, seed in plan(scenario)[:n]:
        output = sim.runs.run_once(scenario.arm_params(arm), seed)
        writer.add(arm, rep, seed, output.timeseries, output.summary)


def test_an_unfinished_folder_reads_back_from_its_parts(scenario, finished, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    _killed(scenario, out, 3)
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    result = ScenarioResult.load(out)
    assert not result.complete
    assert sorted(map(tuple, result.summaries[["arm", "replicate"]].to_numpy())) == [
        ("co_creative", 0), ("top_down", 0), ("top_down", 1)]
    full = ScenarioResult.load(finished)
    keys = ["arm", "replicate"]
    expected = full.summaries.merge(result.summaries[keys], on=keys)
    pd.testing.assert_frame_equal(result.summaries.sort_values(keys, ignore_index=True),
                                  expected.sort_values(keys, ignore_index=True))


@pytest.mark.parametrize("kind", ["timeseries", "summaries"])
def test_a_damaged_part_is_set_aside_and_its_run_runs_again(scenario, finished, tmp_path,
                                                            monkeypatch, capsys, kind):
    out = tmp_path / "out"
    out.mkdir()
    _killed(scenario, out, 3)
    part = out / ".parts" / kind / "part-000002.parquet"  # the third run: top_down #1
    blob = part.read_bytes()
    part.write_bytes(blob[: len(blob) // 2])  # a truncated write
    assert len(ScenarioResult.load(out).summaries) == 2  # left out when read
    assert "batch part-000002.parquet is damaged" in capsys.readouterr().err
    calls = _interrupt_after(monkeypatch, 99)
    result = run_scenario(scenario, out=out, figures=False)
    assert len(calls) == 4 and result.complete  # 3 missing + 1 damaged
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        f"trustsim: warning: {out}: batch part-000002.parquet is damaged: ")
    assert (out / "damaged" / ".parts" / kind / "part-000002.parquet"
            ).read_bytes() == blob[: len(blob) // 2]
    for name in ("timeseries.parquet", "summaries.parquet"):
        assert (out / name).read_bytes() == (finished / name).read_bytes(), name
