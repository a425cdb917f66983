"""The results folder of a sweep: Parquet part files written as runs finish, and resume.

Runs are written in batches. A batch writes its time-series part, its failures part, a
record of every part's rows, size and sha256, and finally its summaries part, each to a
temporary name first and then ``os.replace``d into place; the summaries part is the
batch's commit mark. On opening, parts of batches that never committed and stray
temporary files are removed, and every committed batch is checked against its record: a
damaged one (truncated, altered) is moved to ``damaged/`` with a one-line warning and its
runs run again. So a sweep killed at any instant (SIGKILL mid-write included) resumes with
every finished run exactly once. One process writes a folder at a time (``FolderLock``).

Layout::

    manifest.json        what was run: experiment, scenario, design, seeds, progress
    experiment.yaml      the experiment file as given
    points.parquet       one row per design point: its parameter values
    design.parquet       the unit-hypercube design (sampled designs; for SALib analysis)
    summaries/part-NNNNNN.parquet    point, replicate, seed, seconds, summary outcomes
    timeseries/part-NNNNNN.parquet   point, replicate, seed, week, weekly outcomes
    agents/part-NNNNNN.parquet       point, replicate, seed, week, agent_type, agent_id,
                                     the experiment's agents: reporters (if it asks any)
    failures/part-NNNNNN.parquet     point, replicate, seed, error, traceback
    records/part-NNNNNN.json         each part's rows, bytes and sha256
    inputs/<sha256[:16]>.<ext>       copies of the files the sweep read (edge lists, a
                                     design table), their sha256 in the manifest (rerun)

The manifest is written first (status ``preparing`` until the other files are written).
No part of the folder is written through a symbolic link (``resultsdir.subfolder``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import resultsdir
from sim.codebook import describe
from sim.errors import ExperimentError
from sim.resultsdir import write_atomic, write_json
from sim.runs import run_seed

# write order; summaries commits a batch
KINDS = ("timeseries", "agents", "failures", "summaries")
#: Made only when a batch has rows for it: most sweeps record no agent-level reporters.
ON_DEMAND = ("agents",)
RECORDS = "records"
__all__ = ["Store", "part_files", "read_manifest", "release_memory", "run_seed",
           "write_atomic", "write_json", "write_parquet"]
_PART = re.compile(r"^part-(\d{6,})\.parquet$")


def write_parquet(path: Path, data: pd.DataFrame | dict[str, np.ndarray]) -> None:
    """A frame, or columns given as arrays (taken without a copy where Arrow can)."""
    table = (pa.table(data) if isinstance(data, dict)
             else pa.Table.from_pandas(data, preserve_index=False))
    write_atomic(path, lambda fh: pq.write_table(describe(table, path.stem), fh))


def batch_files(root: Path, name: str) -> tuple[list[Path], Path]:
    """The part files of batch ``name`` (``part-NNNNNN.parquet``), commit mark last, and
    its record."""
    return ([root / k / name for k in KINDS],
            root / RECORDS / name.replace(".parquet", ".json"))


def release_memory() -> None:
    """Hand memory freed after a large one-off write back to the system.

    Arrow's pool and glibc's heap keep freed blocks for reuse, so writing the design of a
    10^5-point sweep would leave the coordinator tens of MiB larger for the whole sweep."""
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def part_files(root: Path, kind: str) -> list[Path]:
    """Committed-or-not part files of one kind, in batch order."""
    folder = root / kind
    if folder.is_symlink() or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _PART.match(p.name))


def _batch(path: Path) -> int:
    return int(_PART.match(path.name).group(1))


class Store:
    """The part files of a results folder, opened for writing (new or resumed): a sweep's
    folder itself, or a scenario folder's ``.parts`` (damaged batches then go to the
    folder's ``damaged/``, ``aside``)."""

    def __init__(self, root: Path, n_runs: int, replicates: int, batch_size: int = 50,
                 flush_seconds: float = 5.0, aside: Path | None = None):
        self.root = Path(root)
        self.aside = Path(aside) if aside is not None else self.root  # damaged/ goes here
        self.replicates = replicates
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.done = np.zeros(n_runs, dtype=bool)
        self.n_failed = 0
        self._summaries: list[dict[str, Any]] = []
        self._series: list[tuple[dict[str, Any], dict[str, np.ndarray]]] = []
        self._agents: list[tuple[dict[str, Any], dict[str, np.ndarray]]] = []
        self._failures: list[dict[str, Any]] = []
        self._first = None
        self._below = self.root.relative_to(self.aside).parts  # .parts of a scenario folder
        for kind in (*KINDS, RECORDS):
            if kind not in ON_DEMAND or os.path.lexists(self.root / kind):
                self._subfolder(kind)
        self._recover()
        self._next = 1 + max((_batch(p) for k in KINDS for p in part_files(self.root, k)),
                             default=-1)

    # -- resume -----------------------------------------------------------------------
    def _recover(self) -> None:
        """Drop what an interrupted batch left behind, set aside damaged batches, then
        mark the finished runs."""
        with resultsdir.storage_errors(self.root, "cannot clean the results folder"):
            for folder in (self.root, *(self.root / k for k in (*KINDS, RECORDS))):
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink()
            committed = {p.name for p in part_files(self.root, "summaries")}
            for kind in ("timeseries", "agents", "failures"):
                for p in part_files(self.root, kind):
                    if p.name not in committed:
                        p.unlink()
            for rec in (self.root / RECORDS).glob("part-*.json"):
                if rec.name.replace(".json", ".parquet") not in committed:
                    rec.unlink()
        for name in sorted(committed):
            parts, record = batch_files(self.root, name)
            reason = resultsdir.verify_batch(self.root, parts, record)
            if reason is not None:
                resultsdir.set_aside(self.aside, [*parts, record],
                                     f"batch {name} is damaged: {reason}")
        for kind in ("summaries", "failures"):
            for p in part_files(self.root, kind):
                ids = pq.read_table(p, columns=["point", "replicate"])
                run = (ids["point"].to_numpy().astype(np.int64) * self.replicates
                       + ids["replicate"].to_numpy())
                self.done[run] = True
                if kind == "failures":
                    self.n_failed += len(run)

    def forget_failures(self) -> None:
        """Mark failed runs as missing so that they run again (``--retry-failed``).

        Their old failure records stay on disk; ``load`` drops a failure once the same run
        has a result, and keeps only the latest failure of a run that failed again."""
        for p in part_files(self.root, "failures"):
            ids = pq.read_table(p, columns=["point", "replicate"])
            run = ids["point"].to_numpy().astype(np.int64) * self.replicates + \
                ids["replicate"].to_numpy()
            self.done[run] = False
        self.n_failed = 0

    def missing(self):
        """Run ids (point * replicates + replicate) not yet recorded, in order."""
        return (int(i) for i in np.flatnonzero(~self.done))

    # -- writing ----------------------------------------------------------------------
    def add(self, result: dict[str, Any]) -> None:
        """Buffer one finished run (ok or failed); write a batch when one is due."""
        ident = {k: result[k] for k in ("point", "replicate", "seed")}
        if result.get("error") is not None:
            self._failures.append({**ident, "error": result["error"],
                                   "traceback": result.get("traceback", "")})
        else:
            self._summaries.append({**ident, "seconds": result["seconds"],
                                    **result["summary"]})
            ts = result.get("timeseries")
            if ts:
                self._series.append((ident, ts))
            if result.get("agents"):
                self._agents.append((ident, result["agents"]))
        if self._first is None:
            self._first = time.monotonic()
        if self.pending() >= self.batch_size:
            self.flush()

    def _subfolder(self, kind: str) -> Path:
        """``root/kind``, made where missing; never a link leading outside."""
        return resultsdir.subfolder(self.aside, *self._below, kind)

    def pending(self) -> int:
        return len(self._summaries) + len(self._failures)

    def due(self) -> bool:
        """A partial batch has waited long enough to be written anyway."""
        return bool(self.pending()) and time.monotonic() - self._first >= self.flush_seconds

    def flush(self) -> None:
        """Write the buffered runs as one committed batch."""
        if not self.pending():
            return
        name = f"part-{self._next:06d}.parquet"
        paths, record = batch_files(self.root, name)
        tables = [(paths[0], _series_frame(self._series) if self._series else None),
                  (paths[1], _series_frame(self._agents) if self._agents else None),
                  (paths[2], _frame(self._failures) if self._failures else None),
                  (paths[3], _frame(self._summaries))]
        if self._agents:
            self._subfolder("agents")
        resultsdir.write_batch(self.root, [(p, pa.Table.from_pandas(t, preserve_index=False))
                                           for p, t in tables if t is not None], record)
        for rows in (self._summaries, self._failures):
            for r in rows:
                self.done[r["point"] * self.replicates + r["replicate"]] = True
        self.n_failed += len(self._failures)
        self._summaries, self._series, self._failures, self._agents = [], [], [], []
        self._first = None
        self._next += 1


def _series_frame(series: list[tuple[dict[str, Any], dict[str, np.ndarray]]]
                  ) -> pd.DataFrame:
    """One table from many runs' weekly columns, each row tagged with its run's ids."""
    lengths = [len(next(iter(cols.values()))) for _, cols in series]
    data = {k: np.repeat(np.array([ident[k] for ident, _ in series], dtype="int64"), lengths)
            for k in ("point", "replicate", "seed")}
    for col in series[0][1]:
        data[col] = np.concatenate([cols[col] for _, cols in series])
    return pd.DataFrame(data)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame({"point": pd.Series(dtype="int64"),
                           "replicate": pd.Series(dtype="int64"),
                           "seed": pd.Series(dtype="int64")})
    for col in ("point", "replicate", "seed"):
        df[col] = df[col].astype("int64")
    return df


def read_manifest(root: Path) -> dict[str, Any]:
    """The manifest of a sweep folder; ExperimentError when it is not one."""
    return resultsdir.read_manifest(Path(root), ExperimentError, "sweep results folder")
