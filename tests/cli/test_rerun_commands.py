"""``trustsim rerun RESULTS_DIR``: a results folder reproduced from its manifest alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main

DATA = Path(__file__).parents[1] / "sweep" / "data"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    for name in ("tiny.yaml", "grid.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def _cli(monkeypatch, capsys, work: Path, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(work)
    monkeypatch.setattr("sys.argv", ["trustsim", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def _same_parquet(a: Path, b: Path, name: str, drop: tuple[str, ...] = ()) -> None:
    left, right = (pd.read_parquet(f / name).drop(columns=list(drop)) for f in (a, b))
    pd.testing.assert_frame_equal(left, right, obj=name)


def test_a_scenario_folder_reruns_into_equal_tables(monkeypatch, capsys, work):
    code, _, err = _cli(monkeypatch, capsys, work, "run", "tiny.yaml", "-n", "3",
                        "--seed", "21", "--weeks", "20", "-w", "2", "--out", "first",
                        "--no-figures")
    assert code == 0, err
    (work / "tiny.yaml").unlink()  # the manifest is all rerun needs
    code, out, err = _cli(monkeypatch, capsys, work, "rerun", "first", "--out", "again")
    assert code == 0, err
    assert "reran first into again" in out and "warning" not in err
    _same_parquet(work / "first", work / "again", "timeseries.parquet")
    _same_parquet(work / "first", work / "again", "summaries.parquet")
    assert (work / "first" / "summary.csv").read_text() == \
        (work / "again" / "summary.csv").read_text()
    again = json.loads((work / "again" / "manifest.json").read_text())
    assert again["command"].endswith("rerun first --out again")
    assert again["scenario"]["seed"] == 21 and again["weeks"] == 20


def test_a_sweep_folder_reruns_into_equal_tables(monkeypatch, capsys, work):
    import sim.sweep as sweep

    code, _, err = _cli(monkeypatch, capsys, work, "sweep", "grid.yaml", "-w", "2",
                        "--out", "first", "-q")
    assert code == 0, err
    (work / "tiny.yaml").write_text("not: the scenario any more\n")  # changed since
    code, out, err = _cli(monkeypatch, capsys, work, "rerun", "first", "--out", "again",
                          "-w", "1")
    assert code == 0, err
    first, again = sweep.load(work / "first"), sweep.load(work / "again")
    pd.testing.assert_frame_equal(first.summaries.drop(columns="seconds"),
                                  again.summaries.drop(columns="seconds"))
    pd.testing.assert_frame_equal(first.timeseries(), again.timeseries())
    pd.testing.assert_frame_equal(first.points, again.points)


def test_a_changed_installation_is_one_warning_line(monkeypatch, capsys, work):
    code, _, err = _cli(monkeypatch, capsys, work, "run", "tiny.yaml", "-n", "1",
                        "--weeks", "12", "--out", "first", "--no-figures")
    assert code == 0, err
    path = work / "first" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["data_hash"] = "0" * 64
    path.write_text(json.dumps(manifest))
    code, _, err = _cli(monkeypatch, capsys, work, "rerun", "first", "--out", "again")
    assert code == 0, err
    assert [line for line in err.splitlines() if "warning" in line] == [
        "trustsim: warning: first: recorded with a different installation (data hash); "
        "the numbers may differ"]


@pytest.mark.parametrize(("setup", "message"), [
    ("none", "first: not a trustsim results folder (no manifest.json)"),
    ("foreign", "first/manifest.json: manifest.json was not written by trustsim run or "
                "trustsim sweep; nothing to rerun"),
    ("same", "first: is the folder being rerun; choose another --out"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(monkeypatch, capsys, work, setup,
                                                     message):
    (work / "first").mkdir()
    if setup == "foreign":
        (work / "first" / "manifest.json").write_text('{"kind": "notebook"}')
    if setup == "same":
        (work / "first" / "manifest.json").write_text('{"kind": "scenario"}')
    out = "first" if setup == "same" else "again"
    code, _, err = _cli(monkeypatch, capsys, work, "rerun", "first", "--out", out)
    assert code == 2
    assert err.strip() == f"trustsim: {message}"
    assert not (work / "again").exists()
