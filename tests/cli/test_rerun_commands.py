"""``trustsim rerun RESULTS_DIR``: a results folder reproduced from its manifest alone."""

from __future__ import annotations

import hashlib
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


def _same_sweep(a: Path, b: Path) -> None:
    import sim.sweep as sweep

    first, again = sweep.load(a), sweep.load(b)
    pd.testing.assert_frame_equal(first.summaries.drop(columns="seconds"),
                                  again.summaries.drop(columns="seconds"))
    pd.testing.assert_frame_equal(first.timeseries(), again.timeseries())
    pd.testing.assert_frame_equal(first.points, again.points)


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

    code, _, err = _cli(monkeypatch, capsys, work, "sweep", "grid.yaml", "-w", "2",
                        "--out", "first", "-q")
    assert code == 0, err
    (work / "tiny.yaml").write_text("not: the scenario any more\n")  # changed since
    code, out, err = _cli(monkeypatch, capsys, work, "rerun", "first", "--out", "again",
                          "-w", "1")
    assert code == 0, err
    _same_sweep(work / "first", work / "again")


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


# -- hostile: where the rerun writes, what the manifest holds, what it needs ---------------
@pytest.mark.parametrize(("source", "out"), [
    ("first", "first/sub"), ("first", "first/sub/../deeper"), ("first", "./first/"),
    ("first/inner", "first"), ("first", "."), ("first", "link/sub"),
], ids=["inside", "inside-dotdot", "equal", "contains", "contains-cwd", "inside-via-link"])
def test_out_never_inside_equal_to_or_containing_the_source(monkeypatch, capsys, work,
                                                            source, out, one_line, snapshot):
    (work / source).mkdir(parents=True)
    (work / source / "manifest.json").write_text('{"kind": "scenario"}')
    (work / "link").symlink_to(work / "first", target_is_directory=True)
    before = snapshot(work)
    err = one_line(*_cli(monkeypatch, capsys, work, "rerun", source, "--out", out)[::2])
    assert "--out" in err and ("inside" in err or "being rerun" in err), err
    assert snapshot(work) == before


NESTED = "[" * 200_000 + "]" * 200_000
HOSTILE_MANIFESTS = [
    NESTED, '{"kind": "scenario", "scenario": ' + NESTED + "}",
    '{"kind": "scenario"}', '{"kind": "sweep"}', '{"kind": "scenario", "scenario": 5}',
    '{"kind": "scenario", "scenario": []}', '{"kind": "sweep", "experiment": [1]}',
    '{"kind": "sweep", "experiment": {"name": 5}}', '{"kind": "sweep", "experiment": 5}',
    '{"experiment": {}, "fingerprint": "x"}',
    '{"kind": "scenario", "scenario": {"name": "x"}, "versions": "x"}',
    '{"kind": "scenario", "scenario": {"name": "x"}, "versions": {"numpy": [1]}}',
    '{"kind": "sweep", "experiment": {"name": "x", "scenario": 5}, "experiment_file": 5}',
    '{"kind": "sweep", "experiment": {"name": "x"}, "scenario_file": []}',
    '{"kind": "scenario", "scenario": {"name": "x", "arms": {"a": {}}}, "inputs": 5}',
    '{"kind": "scenario", "scenario": {"name": "x", "arms": {"a": {}}}, "inputs": {"a": 5}}',
    '"a string"', "null", "{",
]


@pytest.mark.parametrize("text", HOSTILE_MANIFESTS, ids=range(len(HOSTILE_MANIFESTS)))
def test_a_hostile_manifest_is_one_line_exit_2(monkeypatch, capsys, work, text, one_line):
    (work / "first").mkdir()
    (work / "first" / "manifest.json").write_text(text)
    err = one_line(*_cli(monkeypatch, capsys, work, "rerun", "first", "--out", "again")[::2])
    assert "first" in err, err
    assert not (work / "again").exists() or not any((work / "again").iterdir())


EDGES = "source,target\n1,2\n2,3\n3,4\n4,1\n"


def _with_edges(work: Path) -> None:
    """tiny.yaml on a partnership network read from edges/ring.csv."""
    (work / "edges").mkdir()
    (work / "edges" / "ring.csv").write_text(EDGES)
    text = (work / "tiny.yaml").read_text().replace(
        "population: {n_agencies: 4,",
        "population: {partnership_network: edge_list, partnership_edges: edges/ring.csv, "
        "n_agencies: 4,")
    assert "edges/ring.csv" in text
    (work / "tiny.yaml").write_text(text)


def test_a_scenario_with_an_edge_list_reruns_from_its_copy(monkeypatch, capsys, work, one_line):
    _with_edges(work)
    code, _, err = _cli(monkeypatch, capsys, work, "run", "tiny.yaml", "-n", "2",
                        "--weeks", "12", "--out", "first", "--no-figures")
    assert code == 0, err
    manifest = json.loads((work / "first" / "manifest.json").read_text())
    copy = manifest["inputs"]["edges/ring.csv"]
    assert (work / "first" / copy["copy"]).read_text() == EDGES
    assert copy["sha256"] == hashlib.sha256(EDGES.encode()).hexdigest()
    shutil.rmtree(work / "edges")  # the copy is all rerun needs
    (work / "tiny.yaml").unlink()
    code, _, err = _cli(monkeypatch, capsys, work, "rerun", "first", "--out", "again")
    assert code == 0, err
    _same_parquet(work / "first", work / "again", "summaries.parquet")
    (work / "first" / copy["copy"]).write_text(EDGES.replace("4,1", "1,3"))
    err = one_line(*_cli(monkeypatch, capsys, work, "rerun", "first", "--out", "third")[::2])
    assert f"first/{copy['copy']}: does not match the sha256 recorded" in err, err


def test_a_sweep_with_a_design_table_and_edge_list_reruns_from_copies(monkeypatch, capsys,
                                                                      work):

    _with_edges(work)
    (work / "points.csv").write_text("strategy_mix,asymmetry\n0.0,2\n1.0,3\n")
    (work / "table.yaml").write_text("name: t\nscenario: tiny.yaml\ndesign: table\n"
                                     "table: points.csv\nreplicates: 1\nweeks: 10\n")
    code, _, err = _cli(monkeypatch, capsys, work, "sweep", "table.yaml", "--out", "first",
                        "-q", "-w", "1")
    assert code == 0, err
    inputs = json.loads((work / "first" / "manifest.json").read_text())["inputs"]
    assert sorted(inputs) == ["edges/ring.csv", "points.csv"]
    for name in ("points.csv", "table.yaml", "tiny.yaml"):
        (work / name).unlink()
    shutil.rmtree(work / "edges")
    code, _, err = _cli(monkeypatch, capsys, work, "rerun", "first", "--out", "again",
                        "-w", "1")
    assert code == 0, err
    _same_sweep(work / "first", work / "again")


def test_a_rerun_resumed_into_a_folder_with_a_linked_subfolder_is_refused(
        monkeypatch, capsys, work, one_line, snapshot):
    code, _, err = _cli(monkeypatch, capsys, work, "sweep", "grid.yaml", "-w", "1",
                        "--out", "first", "-q")
    assert code == 0, err
    code, _, err = _cli(monkeypatch, capsys, work, "rerun", "first", "--out", "again",
                        "-w", "1")
    assert code == 0, err
    (work / "again" / "timeseries").rename(work / "elsewhere")
    (work / "again" / "timeseries").symlink_to(work / "elsewhere", target_is_directory=True)
    (work / "elsewhere" / "part-999999.parquet").write_bytes(b"not committed")
    before = snapshot(work / "elsewhere")
    err = one_line(*_cli(monkeypatch, capsys, work, "rerun", "first", "--out", "again",
                         "-w", "1")[::2])
    assert "again/timeseries: is a symbolic link" in err, err
    assert snapshot(work / "elsewhere") == before
