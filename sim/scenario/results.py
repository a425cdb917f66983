"""The results folder: Parquet time series and summaries, summary.csv, manifest.json.

Each finished run is written at once by the sweeps' store (``sim.sweep.store.Store``,
one run per batch) into ``.parts/``: time series, a record of the parts' rows and
checksums, then the summaries part, which marks the run done; the run's ``point`` there
is its arm's index. So an interrupted or killed run leaves every finished run on disk,
and running the same command again resumes: damaged parts are set aside in ``damaged/``
and only the missing runs run. At the end the parts are consolidated in a fixed order
(arm order of the scenario, then replicate, then week) with fixed writer options and no
timestamps, which makes the Parquet files byte-identical whatever the number of workers
or interruptions; a complete run then drops its parts, an incomplete one keeps them for
the resume.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import provenance, resultsdir
from sim.codebook import describe, write_codebook
from sim.errors import ScenarioError
from sim.parameters import resolve
from sim.resultsdir import FolderLock, storage_errors
from sim.scenario.errors import display_path
from sim.scenario.loader import Scenario
from sim.sweep.results import committed
from sim.sweep.store import Store

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
_KINDS = r"(?:timeseries|agents|summaries|failures|records)"
_PART = (r"\.parts/(?:timeseries|agents|summaries|failures)/part-\d{6,}\.parquet"
         r"|\.parts/records/part-\d{6,}\.json"
         r"|\.parts/(?:ts|sum)/[^/]+/\d{6}\.parquet|\.parts/rec/[^/]+/\d{6}\.json")  # + 0.1
_TOP = (r"manifest\.json|timeseries\.parquet|summaries\.parquet|summary\.csv|codebook\.csv"
        r"|figures/(?:adoption|stages|trust|reach|hours)\.(?:png|svg)")
_INPUT = r"inputs/[0-9a-f]{16}(?:\.[A-Za-z0-9]{1,10})?"  # resultsdir.copy_inputs
OURS = [_TOP, r"\.lock", _PART, _INPUT, rf"damaged/(?:{_PART}|{_TOP})", _TMP]
OUR_DIRS = [r"figures", r"\.parts", rf"\.parts/{_KINDS}", r"\.parts/(?:ts|sum|rec)",
            r"\.parts/(?:ts|sum|rec)/[^/]+", r"damaged", rf"damaged/\.parts(?:/{_KINDS})?",
            r"damaged/\.parts(?:/(?:ts|sum|rec)(?:/[^/]+)?)?", r"damaged/figures", r"inputs"]


def open_folder(out: Path, overwrite: bool, scenario: Scenario, runs: list[tuple[str, int, int]],
                figures: bool = False) -> tuple[FolderLock, bool]:
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
        if figures:  # refused before any run, not after all of them
            resultsdir.subfolder(out, FIGURES)
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
    if manifest is None and _restartable(out):
        return False
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


def _restartable(out: Path) -> bool:
    """Whether a folder without a readable manifest holds only what trustsim run writes, so
    that the run can start again: a run stopped before its first manifest was written (a
    file size limit, a full disk) left empty part folders; a damaged (truncated) manifest
    and the files it described are set aside in ``damaged/``, never deleted."""
    if resultsdir.foreign_entries(out, OURS, OUR_DIRS):
        return False
    path = out / MANIFEST
    if not os.path.lexists(path):
        return not any(p.is_file() for p in (out / PARTS).rglob("*"))
    resultsdir.regular_file(path, ScenarioError)  # a FIFO or link loop: one line
    try:
        resultsdir.read_manifest(out, ScenarioError, "trustsim results folder")
        return False  # readable, but not written by trustsim run
    except ScenarioError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
    files = [p for p in sorted(out.rglob("*")) if p.is_file() and not p.is_symlink()
             and p.relative_to(out).parts[0] not in (resultsdir.LOCK, resultsdir.DAMAGED)]
    resultsdir.set_aside(out, files, f"manifest.json is damaged ({reason})")
    return True


def _own_manifest(out: Path) -> dict[str, Any] | None:
    """The folder's manifest when trustsim run wrote it, else None."""
    try:
        data = resultsdir.read_manifest(out, ScenarioError, "trustsim results folder")
    except ScenarioError:
        return None
    keys = ("scenario_name", "scenario_hash", "runs", "status")
    ours = data.get("kind") == "scenario" or "trustsim_version" in data  # or older versions
    return data if ours and all(k in data for k in keys) else None


def input_files(scenario: Scenario) -> dict[str, Path]:
    """The files a scenario reads besides itself (``partnership_edges``, in the population
    or an arm), keyed by the path as written, each relative to the scenario file."""
    data = scenario.resolved()
    sections = [data.get("population") or {}, *(data.get("arms") or {}).values()]
    names = {s["partnership_edges"] for s in sections if s.get("partnership_edges")}
    return {name: scenario.source.parent / name for name in sorted(names)}


def open_store(out: Path, arms: list[str], replicates: int) -> Store:
    """The folder's part files as the sweeps' store (one run per batch): an unfinished
    write's leftovers removed, damaged runs set aside in ``damaged/`` to run again."""
    return Store(out / PARTS, len(arms) * replicates, replicates, batch_size=1, aside=out)


def collect(out: Path, kind: str, arms: list[str]) -> pd.DataFrame | None:
    """The committed, whole runs of one kind (``timeseries`` or ``summaries``) in the
    fixed order (arm order, replicate, week), keyed by arm, replicate and seed; None when
    there are none. A damaged run is left out with a one-line warning."""
    files = committed(out / PARTS, kind)
    frames = [f for f in (resultsdir.read_table(p, ScenarioError) for p in files) if len(f)]
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True)
    order = ["point", "replicate"] + (["week"] if "week" in frame else [])
    frame = frame.sort_values(order, ignore_index=True, kind="stable")
    keys = pd.DataFrame({"arm": pd.Series(arms, dtype="str").take(frame["point"]).to_numpy(),
                         "replicate": frame["replicate"].astype("int64"),
                         "seed": frame["seed"].astype("int64")})
    rest = frame.drop(columns=["point", "replicate", "seed", "seconds"], errors="ignore")
    return pd.concat([keys, rest], axis=1)


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
        self.arms = list(scenario.arms)
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
            "inputs": resultsdir.copy_inputs(out, input_files(scenario), ScenarioError),
            "runs": [],
        }
        if not resume:  # the manifest first: a folder is never left with parts and no manifest
            self._write_manifest(done=set())
        self.store = open_store(out, self.arms, len(self.replicates))
        if resume:
            old = resultsdir.read_manifest(out, ScenarioError, "trustsim results folder")
            self.manifest.update(started=old.get("started"),
                                 resumed=[*old.get("resumed", []), provenance.now()])
            with storage_errors(out, "cannot clean the results folder"):
                for name in (TIMESERIES, SUMMARIES, SUMMARY_CSV):  # stale until finish
                    (out / name).unlink(missing_ok=True)
        self._write_manifest()

    @property
    def done(self) -> set[tuple[str, int]]:
        """(arm, replicate) of the runs on disk."""
        return {(a, r) for a, r, _ in self.runs if self.store.done[self._run_id(a, r)]}

    def _run_id(self, arm: str, replicate: int) -> int:
        return self.arms.index(arm) * len(self.replicates) + replicate

    def missing(self) -> list[tuple[str, int, int]]:
        """The planned runs not yet on disk."""
        return [t for t in self.runs if not self.store.done[self._run_id(t[0], t[1])]]

    def add(self, arm: str, replicate: int, seed: int, timeseries: pd.DataFrame,
            summary: dict[str, float]) -> None:
        """Write one finished run as a batch of the store (time series, record, then the
        summary that marks it done)."""
        frame = timeseries.reset_index(drop=True)
        self.store.add({"point": self.arms.index(arm), "replicate": replicate, "seed": seed,
                        "seconds": 0.0, "summary": {k: float(v) for k, v in summary.items()},
                        "timeseries": {c: frame[c].to_numpy() for c in frame.columns}})
        self.store.flush()
        self.started = True

    def _write_manifest(self, done: set[tuple[str, int]] | None = None) -> None:
        done = self.done if done is None else done  # built once, not once per run
        self.manifest["runs"] = [
            {"arm": a, "replicate": r, "seed": s, "finished": (a, r) in done}
            for a, r, s in self.runs]
        resultsdir.write_json(self.out / MANIFEST, self.manifest)

    def finish(self, status: str, error: str | None = None) -> None:
        """Consolidate finished runs, write summary.csv and the final manifest; a complete
        run then drops its parts (an incomplete one keeps them for the resume)."""
        finished = len(self.done)
        if finished:
            for kind, name in (("timeseries", TIMESERIES), ("summaries", SUMMARIES)):
                frame = collect(self.out, kind, self.arms)
                resultsdir.write_atomic(self.out / name,
                                        lambda fh, frame=frame: _write_parquet(frame, fh))
            self._write_summary_csv()
            write_codebook(self.out)
        self.manifest.update(status=status, finished=provenance.now(),
                             counts=provenance.counts(len(self.runs), finished),
                             finished_runs=finished, planned_runs=len(self.runs))
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


def _write_parquet(frame: pd.DataFrame, target: Any) -> None:
    """One Parquet file in row groups of ROW_GROUP_ROWS, with fixed options and no
    metadata that could differ between runs (byte-identical for equal tables); fields
    described as in codebook.csv."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(describe(table), target, row_group_size=ROW_GROUP_ROWS, **_WRITE_OPTIONS)


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

    def table(self, long: bool = False) -> pd.DataFrame:
        """The table ``trustsim run`` prints: per outcome, each arm's median [95% interval]
        (share reached) and each difference, as text. ``long=True``: the numbers, one row
        per arm or difference and outcome (the content of summary.csv)."""
        from sim.scenario.stats import printed_table, summary_table

        seed = int(self.manifest["scenario"].get("seed", 0))
        numbers = summary_table(self.summaries, self.arms, self.weeks, seed)
        return numbers if long else printed_table(numbers, self.weeks)

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
            if not all(os.path.lexists(f) for f in files):
                raise ScenarioError("no finished runs in this results folder (status: "
                                    f"{manifest.get('status')})", source=display_path(folder))
            frames = tuple(resultsdir.read_table(f, ScenarioError) for f in files)
        arms = pd.CategoricalDtype(list(manifest.get("arms", [])), ordered=True)
        return cls(manifest, *(_typed(f, arms) for f in frames), folder)


def _typed(frame: pd.DataFrame, arms: pd.CategoricalDtype) -> pd.DataFrame:
    """Arms as an ordered categorical in file order; seeds as int64 (earlier
    versions stored uint64), as in sweeps."""
    return frame.astype({"arm": arms, "replicate": "int64", "seed": "int64"})


def _load_parts(folder: Path, manifest: dict[str, Any]
                ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    arms = list(manifest.get("arms", []))
    frames = [collect(folder, kind, arms) for kind in ("timeseries", "summaries")]
    return None if frames[1] is None else (frames[0], frames[1])
