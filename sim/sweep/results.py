"""Read a sweep's results folder back as pandas DataFrames.

Only committed batches are read (a sweep still running, or killed and not yet resumed,
shows its finished runs; a damaged batch is left out with a one-line warning), and rows
are sorted by (point, replicate), so the tables do not
depend on the order in which runs finished: a local and a Dask run of the same sweep load
equal.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import ExperimentError, show_value
from sim.resultsdir import read_table, verify_batch
from sim.sweep.store import batch_files, part_files, read_manifest

IDS = ["point", "replicate"]


@dataclass
class SweepResults:
    """A sweep's results. ``summaries`` has one row per finished run (ids, seed, the
    point's parameter values, summary outcomes); ``failures`` one per failed run; the
    weekly time series is large, so it is read on demand with ``timeseries()``."""

    root: Path
    manifest: dict[str, Any]
    points: pd.DataFrame
    summaries: pd.DataFrame
    failures: pd.DataFrame

    @property
    def parameters(self) -> list[str]:
        return list(self.manifest["parameters"])

    @property
    def horizon(self) -> pd.Series:
        """Each run's length in weeks: where a time never reached counts (sim.censor)."""
        if "weeks" in self.parameters:
            return self.summaries["weeks"].astype(float)
        weeks = float(self.manifest["base_params"].get("weeks", float("nan")))
        return pd.Series(weeks, index=self.summaries.index)

    def medians(self, by: str | list[str] = "point", outcomes: str | list[str] | None = None
                ) -> pd.DataFrame:
        """Per group of runs and outcome: median, 95% interval and share reached, times
        never reached counted at the horizon (``sim.censor.medians``; the rule of
        point_summary.csv and the heatmaps)."""
        from sim.censor import medians

        return medians(self.summaries, by, outcomes or self.outcomes, self.horizon)

    @property
    def outcomes(self) -> list[str]:
        """The summary outcome columns (numeric, not ids or parameters)."""
        skip = {*IDS, "seed", "seconds", *self.parameters}
        return [c for c in self.summaries.columns
                if c not in skip and pd.api.types.is_numeric_dtype(self.summaries[c])]

    def timeseries(self, points: list[int] | None = None,
                   columns: list[str] | None = None) -> pd.DataFrame:
        """Weekly outcomes of the finished runs (optionally of some points / columns)."""
        files = committed(self.root, "timeseries")
        if not files:
            return pd.DataFrame(columns=IDS + ["seed", "week"])
        cols = None if columns is None else list(dict.fromkeys(IDS + ["week"] + columns))
        filters = None if points is None else [("point", "in", [int(p) for p in points])]
        table = pq.read_table([str(f) for f in files], columns=cols, filters=filters)
        return table.to_pandas().sort_values(IDS + ["week"], ignore_index=True)

    def agents(self, points: list[int] | None = None,
               columns: list[str] | None = None) -> pd.DataFrame:
        """The agent-level reporters the experiment's ``agents:`` asked for (sim.reporters):
        one row per run, recorded week and agent (``agent_type``, ``agent_id``)."""
        files = committed(self.root, "agents")
        ids = IDS + ["seed", "week", "agent_type", "agent_id"]
        if not files:
            return pd.DataFrame(columns=ids)
        cols = None if columns is None else list(dict.fromkeys(ids + columns))
        filters = None if points is None else [("point", "in", [int(p) for p in points])]
        table = pq.read_table([str(f) for f in files], columns=cols, filters=filters)
        return table.to_pandas().sort_values(IDS + ["week", "agent_type", "agent_id"],
                                             ignore_index=True)

    def __iter__(self):
        """``points, summaries, timeseries = sim.sweep.load(dir)``: the time series comes
        as a function to call (it may be large)."""
        return iter((self.points, self.summaries, self.timeseries))


class _Experiment(BaseModel):
    """What readers use of a manifest's experiment (the rest is kept as it is)."""

    model_config = ConfigDict(extra="allow")
    second_order: bool = False
    seed: int | None = None
    levels: int = 4
    discover: dict[str, Any] | None = None


class _Manifest(BaseModel):
    """The shape of a sweep's manifest that readers rely on; a folder may have been
    edited or damaged, so it is checked before any of it is used."""

    model_config = ConfigDict(extra="allow")
    parameters: list[str]
    experiment: _Experiment = _Experiment()
    design: str = "unknown"
    n_points: Annotated[int, Field(ge=0)] | None = None  # None: points.parquet's rows
    replicates: Annotated[int, Field(ge=1)] = 1
    base_params: dict[str, Any] = {}


def checked_manifest(root: Path) -> dict[str, Any]:
    """The manifest of a sweep folder, its shape checked (ExperimentError, one line,
    naming the field); defaults filled in for what older sweeps did not record."""
    data = read_manifest(root)
    path = str(root / "manifest.json")
    if data.get("kind") not in (None, "sweep"):
        raise ExperimentError(f"is a {show_value(data['kind'])} results folder, not a sweep's",
                              source=str(root))
    try:
        return _Manifest.model_validate(data).model_dump()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or None
        raise ExperimentError(f"{err['msg'].lower()}; is this a sweep's results folder?",
                              source=path, field=field) from None
    except RecursionError:
        raise ExperimentError("nested too deeply", source=path) from None


def read_points(root: Path, parameters: list[str]) -> pd.DataFrame:
    """points.parquet: a point id and one column of plain values (numbers, true/false or
    text) per swept parameter."""
    path = root / "points.parquet"
    points = _table(path)
    for name in ["point", *parameters]:
        if name not in points:
            raise ExperimentError("has no column for it", source=str(path), field=name)
        col, expected = points[name], "numbers, true/false or text"
        plain = (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
                 or col.map(lambda v: isinstance(v, str)).all())
        if name == "point" and not pd.api.types.is_integer_dtype(col):
            plain, expected = False, "whole numbers"
        if not plain:
            example = show_value(col.iloc[0]) if len(col) else ""
            raise ExperimentError(f"expected {expected} per point, got {col.dtype} values "
                                  f"such as {example}", source=str(path), field=name)
    return points


def read_design(root: Path) -> pd.DataFrame:
    """design.parquet: the unit-hypercube design of a sampled sweep (for SALib)."""
    return _table(root / "design.parquet")


def _table(path: Path) -> pd.DataFrame:
    """A Parquet table of the folder; one line if it is missing, damaged or no file."""
    return read_table(path, ExperimentError)  # a FIFO would block: refused


def load(root: str | Path) -> SweepResults:
    """Load a sweep's results folder (written by ``sim.sweep.run`` / ``trustsim sweep``)."""
    root = Path(root)
    manifest = checked_manifest(root)
    points = read_points(root, manifest["parameters"])
    manifest["n_points"] = manifest["n_points"] if manifest["n_points"] is not None \
        else len(points)
    summaries = _read(committed(root, "summaries"))
    if len(summaries):
        summaries = summaries.merge(points, on="point", how="left")
        first = IDS + ["seed"] + list(manifest["parameters"])
        summaries = summaries[first + [c for c in summaries.columns if c not in first]]
    failures = _read(committed(root, "failures"), keep_last=True)
    if len(failures) and len(summaries):
        ok = pd.MultiIndex.from_frame(summaries[IDS])
        failures = failures[~pd.MultiIndex.from_frame(failures[IDS]).isin(ok)]
    return SweepResults(root, manifest, points, summaries, failures.reset_index(drop=True))


def committed(root: Path, kind: str) -> list[Path]:
    """Parts of one kind from committed batches whose footers and row counts match their
    record (checksums are left to the resume, which reads every byte anyway)."""
    whole = set()
    for summ in part_files(root, "summaries"):
        parts, record = batch_files(root, summ.name)
        reason = verify_batch(root, parts, record, checksum=False)
        if reason is None:
            whole.add(summ.name)
        elif kind == "summaries":  # warn once per load
            print(f"trustsim: warning: {root}: batch {summ.name} is damaged ({reason}); "
                  "left out; run the same command again to set it aside and redo its runs",
                  file=sys.stderr)
    return [p for p in part_files(root, kind) if p.name in whole]


def _read(files: list[Path], keep_last: bool = False) -> pd.DataFrame:
    frames = [read_table(f, ExperimentError) for f in files]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=IDS + ["seed"])
    df = pd.concat(frames, ignore_index=True)
    if keep_last:  # a run failed again after --retry-failed: its latest failure counts
        df = df.drop_duplicates(IDS, keep="last")
    return df.sort_values(IDS, ignore_index=True)
