"""``design: table``: external design points from CSV or Parquet through the sweep runner."""

import pandas as pd
import pytest

from sim.errors import ExperimentError
from sim.sweep import load, make_plan, run

POINTS = pd.DataFrame({"strategy_mix": [0.0, 0.5, 1.0], "turnover_per_year": [0.1, 0.2, 0.3]})


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_table_of_points_is_swept_and_resumed(experiment, workdir, suffix):
    table = workdir / f"points.{suffix}"
    (POINTS.to_csv(table, index=False) if suffix == "csv" else POINTS.to_parquet(table))
    path = experiment(design="table", table=table.name, parameters={}, replicates=1)
    first = run(path, workers=1, out=workdir / "out", progress=False)
    assert first.completed == 3
    res = load(workdir / "out")
    assert res.parameters == ["strategy_mix", "turnover_per_year"]
    assert res.points[res.parameters].equals(POINTS)
    assert run(path, workers=1, out=workdir / "out", progress=False).ran == 0


def test_a_changed_table_is_a_different_sweep(experiment, workdir):
    POINTS.to_csv(workdir / "points.csv", index=False)
    path = experiment(design="table", table="points.csv", parameters={}, replicates=1)
    before = make_plan(path).fingerprint()
    POINTS.assign(strategy_mix=[0.0, 0.6, 1.0]).to_csv(workdir / "points.csv", index=False)
    assert make_plan(path).fingerprint() != before


@pytest.mark.parametrize("text, words", [
    ("strategy_mx\n0.5\n", "column 'strategy_mx' is not a parameter path; did you mean "
                           "'strategy_mix'?"),
    ("strategy_mix\n0.5\n1.5\n", "row 3 column 'strategy_mix': 1.5 is not allowed"),
    ("strategy_mix\n", "has no points"),
])
def test_bad_tables_are_one_line_naming_column_and_row(experiment, workdir, text, words):
    (workdir / "points.csv").write_text(text)
    path = experiment(design="table", table="points.csv", parameters={})
    with pytest.raises(ExperimentError, match="table: ") as info:
        make_plan(path)
    assert words in str(info.value)
    assert str(info.value).startswith(f"{path}: table: ")


def test_table_and_parameters_do_not_mix(experiment):
    with pytest.raises(ExperimentError, match="table: design: table takes its points"):
        make_plan(experiment(design="table", table="points.csv"))
    with pytest.raises(ExperimentError, match="table: design: table takes its points"):
        make_plan(experiment(design="table", parameters={}))


def test_a_missing_table_file_is_named(experiment):
    with pytest.raises(ExperimentError, match="table: file .*nowhere.csv not found"):
        make_plan(experiment(design="table", table="nowhere.csv", parameters={}))
