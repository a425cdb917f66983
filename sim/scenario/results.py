"""The results folder: Parquet time series and summaries, summary.csv, manifest.json.

Each finished run is written at once to its own part file (atomically), so an
interrupted run leaves every finished run on disk. At the end, complete or not, the parts
are consolidated in a fixed order (arm order of the scenario, then replicate, then week)
with fixed writer options and no timestamps, which makes the Parquet files byte-identical
whatever the number of workers.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import ScenarioError
from sim.parameters import resolve
from sim.scenario.errors import display_path
from sim.scenario.loader import Scenario

TIMESERIES = "timeseries.parquet"
SUMMARIES = "summaries.parquet"
SUMMARY_CSV = "summary.csv"
MANIFEST = "manifest.json"
FIGURES = "figures"
PARTS = ".parts"
KEYS = ("arm", "replicate", "seed")
ROW_GROUP_ROWS = 65_536
SEEDING = ("Replicate seeds come from numpy.random.SeedSequence(seed).spawn(replicates); "
           "replicate i uses the same seed in every arm (common random numbers), so "
           "between-arm differences are paired.")
_WRITE_OPTIONS = dict(compression="zstd", compression_level=3, use_dictionary=True,
                      write_statistics=True, version="2.6", data_page_version="1.0")


def prepare_folder(out: Path, overwrite: bool) -> None:
    """Create ``out``; an existing folder is replaced only with ``overwrite`` and only if
    it is empty or holds trustsim results (never an arbitrary folder)."""
    shown = display_path(out)
    if out.exists():
        if not out.is_dir():
            raise ScenarioError("exists and is not a folder; choose another --out",
                                source=shown)
        has_files = any(out.iterdir())
        if has_files and not overwrite:
            raise ScenarioError("results folder already exists; pass --overwrite to replace "
                                "it or choose another --out", source=shown)
        if has_files and not (out / MANIFEST).exists():
            raise ScenarioError("folder is not empty and holds no trustsim manifest.json; "
                                "refusing to overwrite it; choose another --out",
                                source=shown)
        shutil.rmtree(out)
    out.mkdir(parents=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _versions() -> dict[str, str]:
    import mesa
    import numpy

    import sim

    return {"trustsim": sim.__version__, "python": platform.python_version(),
            "mesa": mesa.__version__, "numpy": numpy.__version__, "pandas": pd.__version__,
            "pyarrow": pa.__version__}


def _write_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, **_WRITE_OPTIONS)
    os.replace(tmp, path)


def _with_keys(frame: pd.DataFrame, arm: str, replicate: int, seed: int) -> pa.Table:
    keys = pd.DataFrame({"arm": arm, "replicate": replicate, "seed": seed},
                        index=frame.index).astype({"replicate": "int64", "seed": "uint64"})
    return pa.Table.from_pandas(pd.concat([keys, frame], axis=1), preserve_index=False)


class ResultsWriter:
    """Writes one run at a time as it finishes; ``finish`` consolidates and seals."""

    def __init__(self, out: Path, scenario: Scenario, runs: list[tuple[str, int, int]],
                 command: str | None, workers: int):
        self.out = out
        self.scenario = scenario
        self.runs = runs
        self.done: set[tuple[str, int]] = set()
        versions = _versions()
        self.manifest: dict[str, Any] = {
            "trustsim_version": versions["trustsim"],
            "versions": versions,
            "scenario_name": scenario.name,
            "scenario_file": display_path(scenario.source),
            "scenario_hash": scenario.hash(),
            "scenario": scenario.resolved(),
            "arms": scenario.arms,
            "arm_params": {a: resolve(scenario.arm_params(a)) for a in scenario.arms},
            "weeks": scenario.weeks,
            "command": command,
            "workers": workers,
            "seeding": SEEDING,
            "status": "running",
            "started": _now(),
            "finished": None,
            "runs": [],
        }
        self._write_manifest()

    def _part(self, kind: str, arm: str, replicate: int) -> Path:
        return self.out / PARTS / kind / arm / f"{replicate:06d}.parquet"

    def add(self, arm: str, replicate: int, seed: int, timeseries: pd.DataFrame,
            summary: dict[str, float]) -> None:
        """Write one finished run (time series, then summary: the summary marks it done)."""
        frame = timeseries.reset_index(drop=True)
        _write_atomic(_with_keys(frame, arm, replicate, seed), self._part("ts", arm, replicate))
        row = pd.DataFrame([summary]).astype("float64")
        _write_atomic(_with_keys(row, arm, replicate, seed), self._part("sum", arm, replicate))
        self.done.add((arm, replicate))

    def _write_manifest(self) -> None:
        self.manifest["runs"] = [
            {"arm": a, "replicate": r, "seed": s, "finished": (a, r) in self.done}
            for a, r, s in self.runs]
        tmp = self.out / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(self.manifest, indent=2, default=str) + "\n")
        os.replace(tmp, self.out / MANIFEST)

    def finish(self, status: str, error: str | None = None) -> None:
        """Consolidate finished runs, write summary.csv and the final manifest."""
        order = [(a, r) for a in self.scenario.arms
                 for r in sorted({r for _, r, _ in self.runs}) if (a, r) in self.done]
        if order:
            _consolidate([self._part("ts", a, r) for a, r in order], self.out / TIMESERIES)
            _consolidate([self._part("sum", a, r) for a, r in order], self.out / SUMMARIES)
        shutil.rmtree(self.out / PARTS, ignore_errors=True)
        self.manifest.update(status=status, finished=_now(), finished_runs=len(order),
                             planned_runs=len(self.runs))
        if error:
            self.manifest["error"] = error
        self._write_manifest()
        if order:
            from sim.scenario.stats import summary_table

            summaries = pd.read_parquet(self.out / SUMMARIES)
            table = summary_table(summaries, self.scenario.arms, self.scenario.weeks,
                                  self.scenario.seed)
            table.to_csv(self.out / SUMMARY_CSV, index=False, float_format="%.6g")


def _consolidate(parts: list[Path], target: Path) -> None:
    """Concatenate part files in the given order into one Parquet file, streaming."""
    schema = pa.unify_schemas([pq.read_schema(p) for p in parts]).remove_metadata()
    with pq.ParquetWriter(target, schema, **_WRITE_OPTIONS) as writer:
        batch: list[pa.Table] = []
        rows = 0
        for part in parts:
            table = pq.read_table(part).replace_schema_metadata(None)
            batch.append(_conform(table, schema))
            rows += table.num_rows
            if rows >= ROW_GROUP_ROWS:
                writer.write_table(pa.concat_tables(batch), row_group_size=rows)
                batch, rows = [], 0
        if batch:
            writer.write_table(pa.concat_tables(batch), row_group_size=max(rows, 1))


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with the unified column order; columns it lacks are null."""
    cols = [table[f.name] if f.name in table.column_names else pa.nulls(len(table), f.type)
            for f in schema]
    return pa.Table.from_arrays(cols, schema=schema)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a results folder (a ScenarioError when there is none)."""
    path = folder / MANIFEST
    if not path.is_file():
        raise ScenarioError("not a trustsim results folder (no manifest.json)",
                            source=display_path(folder))
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"manifest.json is not valid JSON: {exc}",
                            source=display_path(path)) from None


@dataclass
class ScenarioResult:
    """What a scenario run produced: time series and per-run summaries (pandas), with
    ``arm``, ``replicate`` and ``seed`` columns, plus the manifest."""

    manifest: dict[str, Any]
    timeseries: pd.DataFrame
    summaries: pd.DataFrame
    path: Path | None = None

    @property
    def name(self) -> str:
        return self.manifest["scenario_name"]

    @property
    def arms(self) -> list[str]:
        return list(self.manifest["arms"])

    @property
    def weeks(self) -> int:
        return int(self.manifest["weeks"])

    @property
    def complete(self) -> bool:
        return self.manifest.get("status") == "complete"

    def table(self) -> pd.DataFrame:
        """Per-arm medians with 95% intervals and between-arm differences (summary.csv)."""
        from sim.scenario.stats import summary_table

        seed = int(self.manifest["scenario"].get("seed", 0))
        return summary_table(self.summaries, self.arms, self.weeks, seed)

    def plot(self, out: str | Path | None = None) -> dict[str, Any]:
        """Draw the figures (matplotlib); with ``out`` also save each as PNG and SVG."""
        from sim.scenario.plots import draw_all

        return draw_all(self, Path(out) if out is not None else None)

    @classmethod
    def load(cls, folder: str | Path) -> ScenarioResult:
        """Read a results folder written by ``trustsim run`` or ``run_scenario``."""
        folder = Path(folder)
        manifest = read_manifest(folder)
        files = [folder / TIMESERIES, folder / SUMMARIES]
        if not all(f.is_file() for f in files):
            raise ScenarioError("no finished runs in this results folder (status: "
                                f"{manifest.get('status')})", source=display_path(folder))
        return cls(manifest, pd.read_parquet(files[0]), pd.read_parquet(files[1]), folder)
