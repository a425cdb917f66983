"""The results folder: Parquet time series and summaries, summary.csv, manifest.json.

Each finished run is written at once to its own part files (atomically: time series,
a record of both parts' rows and checksums, then the summary, which marks the run done),
so an interrupted or killed run leaves every finished run on disk, and running the same
command again resumes: damaged parts are set aside and only the missing runs run. At the
end the parts are consolidated in a fixed order (arm order of the scenario, then
replicate, then week) with fixed writer options and no timestamps, which makes the
Parquet files byte-identical whatever the number of workers or interruptions; a complete
run then drops its parts, an incomplete one keeps them for the resume.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import provenance, resultsdir
from sim.errors import ScenarioError
from sim.parameters import resolve
from sim.resultsdir import FolderLock, storage_errors
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
_WRITE_OPTIONS = dict(compression="zstd", compression_level=3, use_dictionary=True,
                      write_statistics=True, version="2.6", data_page_version="1.0")
_TMP = r"(?:.+/)?\.[^/]+\.tmp|(?:.+/)?[^/]+\.tmp"  # ours, and those of older versions
_PART = r"\.parts/(?:ts|sum)/[^/]+/\d{6}\.parquet|\.parts/rec/[^/]+/\d{6}\.json"
OURS = [r"manifest\.json", r"timeseries\.parquet", r"summaries\.parquet", r"summary\.csv",
        r"\.lock", r"figures/(?:adoption|stages|trust|reach|hours)\.(?:png|svg)", _PART,
        rf"damaged/(?:{_PART})", _TMP]
OUR_DIRS = [r"figures", r"\.parts", r"\.parts/(?:ts|sum|rec)", r"\.parts/(?:ts|sum|rec)/[^/]+",
            r"damaged", r"damaged/\.parts(?:/(?:ts|sum|rec)(?:/[^/]+)?)?"]


def open_folder(out: Path, overwrite: bool, scenario: Scenario, runs: list[tuple[str, int, int]]
                ) -> tuple[FolderLock, bool]:
    """Lock ``out`` for writing and say whether to resume the unfinished run there.

    A new or empty folder is used as it is. A folder with a complete run is replaced only
    with ``overwrite``; one with an unfinished run of the same scenario and plan resumes
    (or, with ``overwrite``, is replaced). ``overwrite`` deletes only what trustsim wrote:
    a folder holding anything else, a foreign manifest.json or a symbolic link is refused,
    and a symbolic link given as ``out`` is never followed into deletion."""
    shown = display_path(out)
    if out.is_symlink() and overwrite:
        raise ScenarioError("is a symbolic link; --overwrite never deletes through a link; "
                            "give the folder itself or choose another --out", source=shown)
    if out.exists() and not out.is_dir():
        raise ScenarioError("exists and is not a folder; choose another --out", source=shown)
    lock = FolderLock(out).acquire()
    try:
        return lock, _decide(out, overwrite, scenario, runs)
    except BaseException:
        lock.release()
        raise


def _decide(out: Path, overwrite: bool, scenario: Scenario, runs: list) -> bool:
    shown = display_path(out)
    with storage_errors(out, "cannot read the results folder"):
        if not [p for p in out.iterdir() if p.name != resultsdir.LOCK]:
            return False
        manifest = _own_manifest(out)
    if manifest is None:
        raise ScenarioError("folder is not empty and holds no manifest.json written by "
                            "trustsim run; refusing to touch it; choose another --out",
                            source=shown)
    same = (manifest.get("scenario_hash") == scenario.hash()
            and [tuple(r[k] for k in KEYS) for r in manifest.get("runs", [])] == list(runs))
    if manifest.get("status") != "complete" and same and not overwrite:
        return True
    if not overwrite:
        what = ("results folder already exists" if manifest.get("status") == "complete"
                else "holds an unfinished run of a different scenario or plan")
        raise ScenarioError(f"{what}; pass --overwrite to replace it or choose another "
                            "--out", source=shown)
    foreign = resultsdir.foreign_entries(out, OURS, OUR_DIRS)
    if foreign:
        listed = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more"
                                           if len(foreign) > 3 else "")
        raise ScenarioError(f"holds files trustsim did not write ({listed}); --overwrite "
                            "deletes only trustsim results; choose another --out",
                            source=shown)
    resultsdir.remove_entries(out, OURS)
    return False


def _own_manifest(out: Path) -> dict[str, Any] | None:
    """The folder's manifest when trustsim run wrote it, else None."""
    try:
        data = resultsdir.read_manifest(out, ScenarioError, "trustsim results folder")
    except ScenarioError:
        return None
    keys = ("scenario_name", "scenario_hash", "runs", "status")
    ours = data.get("kind") == "scenario" or "trustsim_version" in data  # or older versions
    return data if ours and all(k in data for k in keys) else None


def _with_keys(frame: pd.DataFrame, arm: str, replicate: int, seed: int) -> pa.Table:
    keys = pd.DataFrame({"arm": arm, "replicate": replicate, "seed": seed},
                        index=frame.index).astype({"replicate": "int64", "seed": "int64"})
    return pa.Table.from_pandas(pd.concat([keys, frame], axis=1), preserve_index=False)


def _part(out: Path, kind: str, arm: str, replicate: int) -> Path:
    ext = "json" if kind == "rec" else "parquet"
    return out / PARTS / kind / arm / f"{replicate:06d}.{ext}"


def finished_parts(out: Path, arms: list[str], replicates: list[int], repair: bool = False
                   ) -> list[tuple[str, int]]:
    """The runs whose parts are committed and whole, in arm-then-replicate order.

    A damaged run (truncated file, wrong size, checksum or row count) is skipped with a
    one-line warning; with ``repair`` (the writer, under its lock) its files are moved to
    ``damaged/`` so that it runs again, and what an unfinished write left behind (parts
    without a summary, temporary files) is removed."""
    done = []
    for arm in arms:
        for rep in replicates:
            ts, summ, rec = (_part(out, k, arm, rep) for k in ("ts", "sum", "rec"))
            if not summ.exists():
                if repair:
                    for leftover in (ts, rec):
                        leftover.unlink(missing_ok=True)
                continue
            reason = resultsdir.verify_batch(out, [ts, summ], rec)
            if reason is None and not ts.exists():
                reason = f"{ts.relative_to(out)} is missing"
            if reason is None:
                done.append((arm, rep))
            elif repair:
                resultsdir.set_aside(out, [ts, summ, rec], f"run {arm} #{rep} is damaged: "
                                                           f"{reason}")
            else:
                print(f"trustsim: warning: {out}: run {arm} #{rep} is damaged ({reason}); "
                      "left out", file=sys.stderr)
    if repair:
        with storage_errors(out, "cannot clean the results folder"):
            for tmp in [*out.glob(".*.tmp"), *(out / PARTS).glob("*/*/.*.tmp")]:
                tmp.unlink()
    return done


class ResultsWriter:
    """Writes one run at a time as it finishes; ``finish`` consolidates and seals.

    With ``resume`` the folder holds an unfinished run of the same plan: its whole parts
    count as done (``done``), damaged ones are set aside to run again."""

    def __init__(self, out: Path, scenario: Scenario, runs: list[tuple[str, int, int]],
                 command: str | None, workers: int, resume: bool = False):
        self.out = out
        self.scenario = scenario
        self.runs = runs
        self.replicates = sorted({r for _, r, _ in runs})
        self.done: set[tuple[str, int]] = set()
        self.started = False  # whether any run was written this time (for exit codes)
        self.manifest: dict[str, Any] = {
            **provenance.header("scenario", command),
            "scenario_name": scenario.name,
            "scenario_file": display_path(scenario.source),
            "scenario_hash": scenario.hash(),
            "scenario": scenario.resolved(),
            "arms": scenario.arms,
            "arm_params": {a: resolve(scenario.arm_params(a)) for a in scenario.arms},
            "weeks": scenario.weeks,
            "seed": scenario.seed,
            "replicates": scenario.replicates,
            "workers": workers,
            "runs": [],
        }
        if resume:
            old = resultsdir.read_manifest(out, ScenarioError, "trustsim results folder")
            self.manifest.update(started=old.get("started"),
                                 resumed=[*old.get("resumed", []), provenance.now()])
            self.done = set(finished_parts(out, scenario.arms, self.replicates, repair=True))
            with storage_errors(out, "cannot clean the results folder"):
                for name in (TIMESERIES, SUMMARIES, SUMMARY_CSV):  # stale until finish
                    (out / name).unlink(missing_ok=True)
        self._write_manifest()

    def missing(self) -> list[tuple[str, int, int]]:
        """The planned runs not yet on disk."""
        return [t for t in self.runs if (t[0], t[1]) not in self.done]

    def add(self, arm: str, replicate: int, seed: int, timeseries: pd.DataFrame,
            summary: dict[str, float]) -> None:
        """Write one finished run (time series, record, then the summary that marks it
        done)."""
        frame = timeseries.reset_index(drop=True)
        row = pd.DataFrame([summary]).astype("float64")
        resultsdir.write_batch(self.out, [
            (_part(self.out, "ts", arm, replicate), _with_keys(frame, arm, replicate, seed)),
            (_part(self.out, "sum", arm, replicate), _with_keys(row, arm, replicate, seed))],
            _part(self.out, "rec", arm, replicate), **_WRITE_OPTIONS)
        self.done.add((arm, replicate))
        self.started = True

    def _write_manifest(self) -> None:
        self.manifest["runs"] = [
            {"arm": a, "replicate": r, "seed": s, "finished": (a, r) in self.done}
            for a, r, s in self.runs]
        resultsdir.write_json(self.out / MANIFEST, self.manifest)

    def finish(self, status: str, error: str | None = None) -> None:
        """Consolidate finished runs, write summary.csv and the final manifest; a complete
        run then drops its parts (an incomplete one keeps them for the resume)."""
        order = [(a, r) for a in self.scenario.arms for r in self.replicates
                 if (a, r) in self.done]
        if order:
            for kind, name in (("ts", TIMESERIES), ("sum", SUMMARIES)):
                parts = [_part(self.out, kind, a, r) for a, r in order]
                resultsdir.write_atomic(self.out / name,
                                        lambda fh, parts=parts: _consolidate(parts, fh))
            self._write_summary_csv()
        self.manifest.update(status=status, finished=provenance.now(),
                             counts=provenance.counts(len(self.runs), len(order)),
                             finished_runs=len(order), planned_runs=len(self.runs))
        if error:
            self.manifest["error"] = error
        self._write_manifest()
        if status == "complete":
            resultsdir.remove_entries(self.out, [_PART, _TMP])

    def _write_summary_csv(self) -> None:
        from sim.scenario.stats import summary_table

        summaries = pd.read_parquet(self.out / SUMMARIES)
        table = summary_table(summaries, self.scenario.arms, self.scenario.weeks,
                              self.scenario.seed)
        text = table.to_csv(index=False, float_format="%.6g")
        resultsdir.write_atomic(self.out / SUMMARY_CSV, text.encode())


def _consolidate(parts: list[Path], target: Any) -> None:
    """Concatenate part files in the given order into one Parquet file, streaming."""
    schema = _schema(parts)
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


def _read_parts(parts: list[Path]) -> pa.Table:
    """Part files concatenated in the given order, in memory."""
    schema = _schema(parts)
    return pa.concat_tables([_conform(pq.read_table(p).replace_schema_metadata(None), schema)
                             for p in parts])


def _schema(parts: list[Path]) -> pa.Schema:
    return pa.unify_schemas([pq.read_schema(p) for p in parts]).remove_metadata()


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with the unified column order; columns it lacks are null."""
    cols = [table[f.name] if f.name in table.column_names else pa.nulls(len(table), f.type)
            for f in schema]
    return pa.Table.from_arrays(cols, schema=schema)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a results folder (a ScenarioError when there is none)."""
    return resultsdir.read_manifest(folder, ScenarioError, "trustsim results folder")


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
        """Read a results folder written by ``trustsim run`` or ``run_scenario``: the
        consolidated files of a complete run, or the finished runs' parts of one that is
        unfinished (interrupted, killed, or still running)."""
        folder = Path(folder)
        manifest = read_manifest(folder)
        frames = None
        if manifest.get("status") != "complete" and (folder / PARTS).is_dir():
            frames = _load_parts(folder, manifest)
        if frames is None:
            files = [folder / TIMESERIES, folder / SUMMARIES]
            if not all(f.is_file() for f in files):
                raise ScenarioError("no finished runs in this results folder (status: "
                                    f"{manifest.get('status')})", source=display_path(folder))
            with storage_errors(folder, "cannot read the results"):
                frames = pd.read_parquet(files[0]), pd.read_parquet(files[1])
        arms = pd.CategoricalDtype(list(manifest.get("arms", [])), ordered=True)
        return cls(manifest, *(_typed(f, arms) for f in frames), folder)


def _typed(frame: pd.DataFrame, arms: pd.CategoricalDtype) -> pd.DataFrame:
    """Arms as an ordered categorical in file order; seeds as int64 (earlier
    versions stored uint64), as in sweeps."""
    return frame.astype({"arm": arms, "replicate": "int64", "seed": "int64"})


def _load_parts(folder: Path, manifest: dict[str, Any]
                ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    reps = sorted({int(r["replicate"]) for r in manifest.get("runs", [])})
    done = finished_parts(folder, list(manifest.get("arms", [])), reps)
    if not done:
        return None
    return tuple(_read_parts([_part(folder, k, a, r) for a, r in done]).to_pandas()
                 for k in ("ts", "sum"))
