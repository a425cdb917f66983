"""Every column of every Parquet file a scenario run or a sweep writes has a codebook row
(codebook.csv in the results folder) and the same description as field metadata."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from sim.codebook import CODEBOOK, entry

TESTS = Path(__file__).parent


def _check(folder: Path) -> set[str]:
    """Assert the codebook covers every column of every Parquet file; return the files."""
    book = pd.read_csv(folder / CODEBOOK, keep_default_na=False)
    listed = set(zip(book["file"], book["column"], strict=True))
    assert (book["meaning"] != "").all()
    assert not book["meaning"].str.contains("not in the codebook").any()
    files = set()
    for path in folder.rglob("*.parquet"):
        rel = path.relative_to(folder)
        name = str(rel.parent / "part-*.parquet") if rel.name.startswith("part-") else str(rel)
        files.add(name)
        for field in pq.read_schema(path):
            assert (name, field.name) in listed, (name, field.name)
            meta = field.metadata or {}
            assert {b"meaning", b"unit", b"range", b"nan"} <= set(meta), (name, field.name)
            row = book[(book["file"] == name) & (book["column"] == field.name)].iloc[0]
            assert meta[b"meaning"].decode() == row["meaning"]
            assert meta[b"nan"].decode() == row["nan"]
    return files


def test_a_scenario_run_folder_has_a_codebook_of_every_column(tmp_path):
    from sim.scenario import run_scenario

    scenario = {"name": "tiny", "description": "t", "weeks": 8, "replicates": 2, "seed": 1,
                "population": {"n_agencies": 4, "n_isps": 1, "n_families": 30},
                "arms": {"a": {"strategy_mix": 0.0}, "b": {"strategy_mix": 1.0}}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    run_scenario(tmp_path / "s.yaml", out=tmp_path / "out", figures=False)
    files = _check(tmp_path / "out")
    assert files == {"timeseries.parquet", "summaries.parquet"}
    book = pd.read_csv(tmp_path / "out" / CODEBOOK, keep_default_na=False).set_index(
        ["file", "column"])
    assert "horizon" in book.loc[("summaries.parquet", "time_to_50_full"), "nan"]
    assert book.loc[("summaries.parquet", "final_sustainability"), "range"] == "0-1"


@pytest.mark.parametrize("design", ["grid", "morris"])
def test_a_sweep_folder_has_a_codebook_of_every_column(tmp_path, design):
    shutil.copy(TESTS / "sweep" / "data" / "tiny.yaml", tmp_path / "tiny.yaml")
    exp = {"name": "cb", "scenario": "tiny.yaml", "design": design, "replicates": 1,
           "weeks": 12, "record": {"every": 3},
           "parameters": {"strategy_mix": {"low": 0, "high": 1},
                          "timeline.0.intensity": {"low": 0.2, "high": 1.0, "steps": 2}}}
    if design == "morris":
        exp.update(samples=2, levels=4)
        exp["parameters"]["timeline.0.intensity"].pop("steps")
    else:
        exp["parameters"]["strategy_mix"] = {"levels": [0.0, 1.0]}
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(exp))
    from sim.sweep import run

    run(tmp_path / "exp.yaml", workers=1, out=tmp_path / "out", progress=False)
    files = _check(tmp_path / "out")
    expected = {"points.parquet", "summaries/part-*.parquet", "timeseries/part-*.parquet"}
    assert expected | ({"design.parquet"} if design == "morris" else set()) == files


def test_same_name_different_meaning_is_told_apart_by_file():
    assert entry("reach_gap", "timeseries").meaning != entry("reach_gap", "summaries").meaning
    assert entry("sustainability", "timeseries").meaning != \
        entry("final_sustainability", "summaries").meaning
    assert entry("strategy_mix", "design").range == "0-1"


def test_a_paired_sweep_says_which_column_is_an_arm_and_which_the_difference(tmp_path):
    shutil.copy(TESTS / "sweep" / "data" / "tiny.yaml", tmp_path / "tiny.yaml")
    exp = {"name": "pair", "scenario": "tiny.yaml", "arms": ["top_down", "co_creative"],
           "replicates": 1, "record": "end", "outcomes": ["time_to_first_full"],
           "parameters": {"timeline.0.intensity": {"levels": [0.3, 0.9]}}}
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(exp))
    from sim.sweep import run

    run(tmp_path / "exp.yaml", workers=1, out=tmp_path / "out", progress=False)
    _check(tmp_path / "out")
    book = pd.read_csv(tmp_path / "out" / CODEBOOK, keep_default_na=False).set_index(
        ["file", "column"])
    diff = book.loc[("summaries/part-*.parquet", "time_to_first_full")]
    arm = book.loc[("summaries/part-*.parquet", "time_to_first_full__co_creative")]
    assert "difference" in diff["meaning"] and "second arm minus first" in diff["meaning"]
    assert diff["unit"] == arm["unit"] == "weeks"
    assert diff["nan"] == "does not occur" and "horizon" in arm["nan"]
    assert "co_creative" in arm["meaning"] and "difference" not in arm["meaning"]
    assert arm["meaning"].endswith(entry("time_to_first_full", "summaries").meaning)


@pytest.mark.parametrize("column, kind, said", [
    ("time_to_50_full", "summaries",
     "weeks until half the agencies are at full implementation [weeks]"),
    ("strategy_mix", "points", "Co-creative share of the ISPs' hours"),
    ("timeline.0.intensity", "points", "timeline 0 intensity"),
    ("time_to_50_startup__co_creative", "paired",
     "weeks until half the agencies have started delivering, co_creative arm [weeks]"),
    ("trust_agency_isp_final", "paired",
     "mean trust on agency -> isp ties at the end, difference between arms [trust (0-1)]"),
    ("not_a_column", "summaries", "not_a_column"),
])
def test_figure_labels_are_meanings_with_units(column, kind, said):
    from sim.codebook import label

    assert label(column, kind) == said
