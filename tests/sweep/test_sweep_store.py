"""The results store: batches commit atomically, resume finds exactly the finished runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.runs import run_seed
from sim.sweep.results import load
from sim.sweep.store import Store, part_files, write_json


def _result(point, rep, fail=False):
    ident = {"point": point, "replicate": rep, "seed": run_seed(1, point, rep)}
    if fail:
        return {**ident, "error": "ValueError: bad", "traceback": "tb"}
    ts = {"week": np.array([0, 1, 2]), "share_at_full": np.array([0.0, 0.1 * point, 0.2])}
    return {**ident, "seconds": 0.1, "summary": {"final_share_at_full": 0.2}, "timeseries": ts}


def test_run_seed_is_fixed_per_identity_and_distinct():
    seeds = {(p, r): run_seed(42, p, r) for p in range(50) for r in range(4)}
    assert len(set(seeds.values())) == 200
    assert run_seed(42, 3, 1) == seeds[(3, 1)] and run_seed(43, 3, 1) != seeds[(3, 1)]


def test_batches_and_resume(tmp_path):
    store = Store(tmp_path, n_runs=10, replicates=2, batch_size=3)
    for point, rep, fail in [(0, 0, 0), (0, 1, 0), (1, 0, 1), (1, 1, 0), (4, 1, 0)]:
        store.add(_result(point, rep, fail))
    assert len(part_files(tmp_path, "summaries")) == 1  # 3 runs: one batch written
    store.flush()
    assert len(part_files(tmp_path, "summaries")) == 2 and store.n_failed == 1
    again = Store(tmp_path, n_runs=10, replicates=2, batch_size=3)
    assert np.flatnonzero(again.done).tolist() == [0, 1, 2, 3, 9]
    assert again.n_failed == 1 and list(again.missing()) == [4, 5, 6, 7, 8]
    failures = pq.read_table(part_files(tmp_path, "failures")[0]).to_pandas()
    assert failures.to_dict("records") == [{"point": 1, "replicate": 0, "seed": run_seed(1, 1, 0),
                                            "error": "ValueError: bad", "traceback": "tb"}]
    series = pd.concat(pd.read_parquet(p) for p in part_files(tmp_path, "timeseries"))
    assert series.columns.tolist() == ["point", "replicate", "seed", "week", "share_at_full"]
    assert series[["point", "replicate"]].drop_duplicates().values.tolist() == [
        [0, 0], [0, 1], [1, 1], [4, 1]]
    assert series.loc[series.point == 4, "share_at_full"].tolist() == [0.0, 0.4, 0.2]
    assert (series.seed == [run_seed(1, p, r) for p, r in zip(series.point, series.replicate,
                                                               strict=True)]).all()
    again.forget_failures()
    assert list(again.missing()) == [2, 4, 5, 6, 7, 8]


def test_an_uncommitted_batch_is_dropped(tmp_path):
    """A kill between the time-series part and the summaries part (the commit mark), or in
    the middle of a write, leaves nothing that resume would count or duplicate."""
    store = Store(tmp_path, n_runs=4, replicates=1, batch_size=10)
    store.add(_result(0, 0))
    store.flush()
    # what a batch killed before its commit leaves behind
    (tmp_path / "timeseries" / "part-000001.parquet").write_bytes(b"half")
    (tmp_path / "failures" / "part-000001.parquet").write_bytes(b"half")
    (tmp_path / "summaries" / ".part-000001.parquet.tmp").write_bytes(b"half")
    again = Store(tmp_path, n_runs=4, replicates=1)
    assert again.done.tolist() == [True, False, False, False]
    assert [p.name for p in (tmp_path / "timeseries").iterdir()] == ["part-000000.parquet"]
    assert not list((tmp_path / "summaries").glob(".*"))
    again.add(_result(1, 0))
    again.flush()
    assert [p.name for p in part_files(tmp_path, "summaries")] == [
        "part-000000.parquet", "part-000001.parquet"]


def test_write_json_replaces_atomically(tmp_path):
    write_json(tmp_path / "m.json", {"a": 1})
    write_json(tmp_path / "m.json", {"a": 2})
    assert (tmp_path / "m.json").read_text().strip().endswith("}")
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def _manifest(root):
    """Just enough of a sweep folder for ``load``."""
    (root / "manifest.json").write_text(json.dumps({"parameters": []}))
    pd.DataFrame({"point": [0, 1, 2]}).to_parquet(root / "points.parquet")


def _two_batches(root):
    store = Store(root, n_runs=6, replicates=2, batch_size=2)
    for point, rep in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        store.add(_result(point, rep))
    return [p.name for p in part_files(root, "summaries")]


@pytest.mark.parametrize("kind", ["summaries", "timeseries"])
def test_a_damaged_batch_is_set_aside_and_its_runs_run_again(tmp_path, capsys, kind):
    assert _two_batches(tmp_path) == ["part-000000.parquet", "part-000001.parquet"]
    part = tmp_path / kind / "part-000001.parquet"
    blob = part.read_bytes()
    part.write_bytes(blob[: len(blob) - 30])  # truncated: footer gone
    _manifest(tmp_path)
    res = load(tmp_path)
    assert res.summaries[["point", "replicate"]].values.tolist() == [[0, 0], [0, 1]]
    assert "batch part-000001.parquet is damaged" in capsys.readouterr().err
    again = Store(tmp_path, n_runs=6, replicates=2)
    assert list(again.missing()) == [2, 3, 4, 5]  # the damaged batch's runs run again
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        f"trustsim: warning: {tmp_path}: batch part-000001.parquet is damaged: {kind}/"
        "part-000001.parquet has ")
    assert (tmp_path / "damaged" / kind / "part-000001.parquet").read_bytes() == blob[:-30]
    assert (tmp_path / "damaged" / "records" / "part-000001.json").exists()
    assert not (tmp_path / "summaries" / "part-000001.parquet").exists()
    for point, rep in [(1, 0), (1, 1)]:
        again.add(_result(point, rep))
    again.flush()
    res = load(tmp_path)
    assert len(res.summaries) == 4 and len(res.timeseries()) == 12


def test_an_altered_part_fails_its_checksum(tmp_path, capsys):
    _two_batches(tmp_path)
    part = tmp_path / "timeseries" / "part-000000.parquet"
    blob = bytearray(part.read_bytes())
    blob[10] ^= 0xFF  # one flipped byte in a data page: the footer still reads
    part.write_bytes(bytes(blob))
    again = Store(tmp_path, n_runs=6, replicates=2)
    assert list(again.missing()) == [0, 1, 4, 5]
    assert "timeseries/part-000000.parquet does not match its checksum" in \
        capsys.readouterr().err


def test_no_agents_folder_without_agent_reporters(tmp_path):
    """A sweep that records no agent-level reporters leaves no empty agents/ folder (issue
    24: every sweep had one); one that records them gets the folder with its batch."""
    for name in ("plain", "agents"):
        (tmp_path / name).mkdir()
    store = Store(tmp_path / "plain", n_runs=2, replicates=1, batch_size=1)
    store.add(_result(0, 0))
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == [
        "failures", "records", "summaries", "timeseries"]
    with_agents = Store(tmp_path / "agents", n_runs=2, replicates=1, batch_size=1)
    agents = {"week": np.array([1, 1]), "agency": np.array([0, 1]),
              "trust": np.array([0.5, 0.6])}
    with_agents.add(_result(0, 0) | {"agents": agents})
    assert len(part_files(tmp_path / "agents", "agents")) == 1
    again = Store(tmp_path / "agents", n_runs=2, replicates=1, batch_size=1)
    assert np.flatnonzero(again.done).tolist() == [0]
