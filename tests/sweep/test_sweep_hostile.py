"""Hostile experiment files: refused with one line naming the file and the field, before
anything is written, and never writing outside the results folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from sim import capacity
from sim.cli import main
from sim.errors import ExperimentError
from sim.sweep.plan import make_plan
from sim.sweep.spec import load_experiment

DATA = Path(__file__).parent / "data"


def _cli(monkeypatch, capsys, *args) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["trustsim", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
        raise SystemExit(0)
    return exc.value.code, capsys.readouterr().err


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _refused(monkeypatch, capsys, workdir: Path, path: Path, *extra) -> str:
    """``trustsim sweep`` on ``path`` from ``workdir``: exit 2, one line, nothing written."""
    monkeypatch.chdir(workdir)
    before = _files(workdir.parent)
    code, err = _cli(monkeypatch, capsys, "sweep", path, "--quiet", *extra)
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert _files(workdir.parent) == before, "a refused sweep wrote something"
    return err


def test_a_binary_experiment_file_is_one_line(monkeypatch, capsys, workdir):
    path = workdir / "bin.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 10)
    err = _refused(monkeypatch, capsys, workdir, path)
    assert "bin.yaml" in err and "UTF-8" in err


def test_an_alias_bomb_in_an_experiment_is_refused(workdir):
    lines = ["name: bomb", "scenario: tiny.yaml", "a0: &a0 [1, 2, 3]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 11)]
    lines += ["parameters: {asymmetry: {levels: *a10}}"]
    path = workdir / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ExperimentError, match="expand"):
        load_experiment(path)


@pytest.mark.parametrize("name", ["../../../x", "/tmp/elsewhere", "a/b", "..", ".hidden",
                                  "", "x" * 300])
def test_an_experiment_name_cannot_leave_the_results_folder(monkeypatch, capsys, workdir,
                                                             name):
    data = yaml.safe_load((workdir / "grid.yaml").read_text()) | {"name": name}
    path = workdir / "exp.yaml"
    path.write_text(yaml.safe_dump(data))
    err = _refused(monkeypatch, capsys, workdir, path)
    assert "exp.yaml: name: expected" in err


def test_a_design_of_a_trillion_runs_is_refused_before_anything_is_written(
        monkeypatch, capsys, experiment, workdir):
    path = experiment(design="random", samples=10_000_000, replicates=100_000,
                      parameters={"asymmetry": {"low": 1, "high": 5}})
    err = _refused(monkeypatch, capsys, workdir, path)
    assert "1,000,000,000,000 runs" in err and "--max-runs" in err


def test_a_huge_grid_is_refused_without_building_it(experiment, workdir):
    params = {n: {"low": 0.0, "high": 1.0, "steps": 10_000}
              for n in ("strategy_mix", "agency_fit", "agency_readiness", "champion_share",
                        "agency_capacity", "agency_knowledge")}
    with pytest.raises(ExperimentError, match=r"10\^24|1,000,000,000,000,000,000,000,000"):
        make_plan(experiment(parameters=params))


def test_max_runs_lowers_and_raises_the_cap(monkeypatch, capsys, experiment, workdir):
    path = experiment()  # 6 points x 2 replicates
    err = _refused(monkeypatch, capsys, workdir, path, "--max-runs", 10)
    assert "12 runs" in err and "--max-runs 10" in err
    with pytest.raises(ExperimentError):
        make_plan(path, max_runs=11)
    assert make_plan(path, max_runs=12).n_runs == 12


@pytest.mark.parametrize("change, field", [
    ({"samples": "8", "design": "random"}, "samples"),
    ({"replicates": "2"}, "replicates"),
    ({"replicates": 2.0}, "replicates"),
    ({"seed": 2**64}, "seed"),
    ({"seed": -1}, "seed"),
    ({"weeks": "10"}, "weeks"),
    ({"parameters": {"strategy_mix": {"levels": [0.0, float("nan")]}}}, "parameters"),
    ({"parameters": {"strategy_mix": {"low": "0", "high": 1, "steps": 2}}}, "parameters"),
    ({"parameters": {"strategy_mix": {"low": 0, "high": float("inf"), "steps": 2}}},
     "parameters"),
    ({"second_order": "yes"}, "second_order"),
])
def test_experiment_numbers_are_strict_finite_and_bounded(experiment, change, field):
    with pytest.raises(ExperimentError) as info:
        make_plan(experiment(**change))
    msg = str(info.value)
    assert f"exp.yaml: {field}" in msg and "\n" not in msg, msg


def test_a_sweep_whose_largest_point_does_not_fit_is_refused(experiment, monkeypatch):
    monkeypatch.setattr(capacity, "available_memory", lambda: 4 * 2**30)
    path = experiment(parameters={"n_families": {"levels": [100, 10_000_000]}})
    with pytest.raises(ExperimentError) as info:
        make_plan(path)
    assert re.search(r"exp.yaml: parameters: one run would need \d\.\d GiB", str(info.value))
    assert make_plan(experiment(parameters={"n_families": {"levels": [100, 200]}}))


def test_a_strategy_share_range_is_bounded_as_in_scenario_files(experiment):
    path = experiment(parameters={"strategies.co_creative.co_learning": {"levels": [0.1, 1e9]}})
    with pytest.raises(ExperimentError, match="strategies.co_creative.co_learning.*<= 100"):
        make_plan(path)


# -- a hostile results folder ------------------------------------------------------------
@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished sweep of grid.yaml in ``out``, beside its experiment and scenario."""
    from sim.sweep import run

    folder = tmp_path_factory.mktemp("finished")
    for name in ("tiny.yaml", "grid.yaml"):
        shutil.copy(DATA / name, folder / name)
    run(folder / "grid.yaml", workers=1, out=folder / "out", progress=False)
    return folder


@pytest.fixture
def swept(finished, tmp_path) -> Path:
    """A copy of the finished sweep's folder (grid.yaml, tiny.yaml, out/) to spoil."""
    shutil.copytree(finished, tmp_path / "w", symlinks=True)
    return tmp_path / "w"


@pytest.mark.parametrize("kind", ["timeseries", "summaries", "failures", "records"])
def test_a_symlinked_subfolder_of_a_sweep_folder_is_refused(monkeypatch, capsys, swept,
                                                            kind, one_line, snapshot):
    elsewhere = swept / "elsewhere"
    (swept / "out" / kind).rename(elsewhere)
    (elsewhere / "part-999999.parquet").write_bytes(b"a part of no committed batch")
    (elsewhere / ".part-999999.parquet.tmp").write_bytes(b"a temporary file")
    (elsewhere / "part-999999.json").write_bytes(b"{}")
    (swept / "out" / kind).symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(elsewhere)
    monkeypatch.chdir(swept)
    err = one_line(*_cli(monkeypatch, capsys, "sweep", "grid.yaml", "--out", "out", "-q"))
    assert f"out/{kind}: is a symbolic link" in err, err
    assert snapshot(elsewhere) == before


def test_a_symlinked_damaged_folder_is_refused_when_a_batch_is_set_aside(
        monkeypatch, capsys, swept, one_line):
    elsewhere = swept / "elsewhere"
    elsewhere.mkdir()
    (swept / "out" / "damaged").symlink_to(elsewhere, target_is_directory=True)
    part = swept / "out" / "summaries" / "part-000000.parquet"
    part.write_bytes(part.read_bytes()[:-30])
    monkeypatch.chdir(swept)
    err = one_line(*_cli(monkeypatch, capsys, "sweep", "grid.yaml", "--out", "out", "-q"))
    assert "out/damaged: is a symbolic link" in err, err
    assert list(elsewhere.iterdir()) == []


def _fifo(path: Path) -> Path:
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("args, fifo, shown", [
    (["sweep", "grid.yaml", "--out", "out", "-q"], "out/manifest.json", "out/manifest.json"),
    (["sweep", "grid.yaml", "--out", "out", "-q"], "out/records/part-000000.json",
     "part-000000.json"),
    (["sweep", "grid.yaml", "--out", "out", "-q"], "out/summaries/part-000000.parquet",
     "part-000000.parquet"),
    (["sweep", "grid.yaml", "--out", "again", "-q"], "grid.yaml", "grid.yaml"),
    (["sweep", "grid.yaml", "--out", "again", "-q"], "tiny.yaml", "tiny.yaml"),
    (["analyze", "out"], "out/points.parquet", "points.parquet"),
    (["analyze", "out"], "out/summaries/part-000000.parquet", "part-000000.parquet"),
    (["rerun", "out", "--out", "again"], "out/manifest.json", "out/manifest.json"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_fifo_where_a_file_should_be_is_one_line_not_a_hang(monkeypatch, capsys, swept,
                                                              unblocked, args, fifo, shown,
                                                              one_line):
    path = _fifo(swept / fifo)
    monkeypatch.chdir(swept)
    err = one_line(*unblocked(lambda: _cli(monkeypatch, capsys, *args), [path]))
    assert shown in err and "not a regular file" in err, err


@pytest.mark.parametrize("args, loop", [
    (["analyze", "out"], "out/points.parquet"),
    (["analyze", "out"], "out/summaries/part-000000.parquet"),
    (["sweep", "grid.yaml", "--out", "out", "-q"], "out/summaries/part-000000.parquet"),
    (["sweep", "grid.yaml", "--out", "out", "-q"], "out/manifest.json"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_symlink_loop_where_a_table_should_be_is_one_line(monkeypatch, capsys, swept,
                                                            args, loop, one_line):
    path = swept / loop
    path.unlink()
    path.symlink_to(path.name + ".loop")
    path.with_name(path.name + ".loop").symlink_to(path.name)
    monkeypatch.chdir(swept)
    err = one_line(*_cli(monkeypatch, capsys, *args))
    assert path.name in err, err


@pytest.mark.parametrize("fails", ["points.parquet", "scenario.yaml", "inputs"])
def test_a_sweep_stopped_while_preparing_its_folder_is_redone_by_the_same_command(
        monkeypatch, capsys, workdir, fails):
    """A file size limit (``ulimit -f``: EFBIG, Python ignores SIGXFSZ) or a full disk while
    the folder is prepared must not leave a folder the same command refuses for ever."""
    from sim import resultsdir
    from sim.sweep import store

    real = resultsdir.write_atomic

    def too_large(path, data):
        if fails in Path(path).as_posix():
            raise resultsdir.StorageError("cannot write (File too large; errno 27)",
                                          source=str(path))
        return real(path, data)

    if fails == "inputs":  # the design table is copied into inputs/
        (workdir / "points.csv").write_text("strategy_mix\n0.0\n1.0\n")
        (workdir / "grid.yaml").write_text("name: t\nscenario: tiny.yaml\ndesign: table\n"
                                           "table: points.csv\nreplicates: 1\nweeks: 10\n")
    monkeypatch.chdir(workdir)
    for module in (resultsdir, store):
        monkeypatch.setattr(module, "write_atomic", too_large)
    code, err = _cli(monkeypatch, capsys, "sweep", "grid.yaml", "--out", "out", "-q")
    assert code != 0 and "File too large" in err, err
    for module in (resultsdir, store):
        monkeypatch.setattr(module, "write_atomic", real)
    code, err = _cli(monkeypatch, capsys, "sweep", "grid.yaml", "--out", "out", "-q")
    assert code == 0, err


def test_a_truncated_sweep_manifest_is_set_aside_and_the_sweep_resumed(monkeypatch, capsys,
                                                                       swept):
    manifest = swept / "out" / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:300])
    damaged = manifest.read_bytes()
    parts = sorted((swept / "out" / "summaries").iterdir())
    monkeypatch.chdir(swept)
    code, err = _cli(monkeypatch, capsys, "sweep", "grid.yaml", "--out", "out", "-q")
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("trustsim:")]
    assert len(lines) == 1 and "manifest.json is damaged" in lines[0], err
    assert (swept / "out" / "damaged" / "manifest.json").read_bytes() == damaged
    assert json.loads(manifest.read_text())["status"] == "complete"
    assert sorted((swept / "out" / "summaries").iterdir()) == parts  # nothing ran again


def test_a_truncated_manifest_of_another_sweep_is_still_refused(monkeypatch, capsys, swept,
                                                                one_line):
    manifest = swept / "out" / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:300])
    (swept / "grid.yaml").write_text((swept / "grid.yaml").read_text().replace(
        "replicates: 2", "replicates: 3"))
    monkeypatch.chdir(swept)
    err = one_line(*_cli(monkeypatch, capsys, "sweep", "grid.yaml", "--out", "out", "-q"))
    assert "out/manifest.json: cannot read manifest.json" in err, err
    assert not (swept / "out" / "damaged").exists()
