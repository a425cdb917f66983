"""The codebook of a results folder: what each Parquet column means, its unit, its range
and what NaN in it means.

Meanings of outcomes come from where they are defined (``sim.outcomes``), of parameters
from the parameter table (``sim.parameters``); units, ranges and NaN follow from the
column's name by the rules below. ``describe`` attaches these four as Parquet field
metadata (``meaning``, ``unit``, ``range``, ``nan``) when a file is written;
``write_codebook`` lists every column of every Parquet file of a folder in
``codebook.csv``. A name can mean different things in different files (the weekly
``reach_gap`` is that week's gap, the summary's the gap at the end), so rows are per file.
The summaries of a paired sweep (``arms:``, ``sim.paired``) are told from their columns:
``<outcome>`` is the difference of the arms, ``<outcome>__<arm>`` an arm's own value.
The agent-level reporters' table (``agent_type`` column) takes its rows from
``sim.reporters``.
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
from dataclasses import astuple, replace
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sim.columns import NEVER, Entry

CODEBOOK = "codebook.csv"
FIELDS = ("meaning", "unit", "range", "nan")
NOT_REACHED = ("never reached within the run: censored, counts as the run's horizon "
               "(docs/results.md#never-reached)")


#: Identifier columns, the same in every file.
IDS = {
    "arm": Entry("arm of the scenario (its name)", "text"),
    "replicate": Entry("replicate number within the arm or design point", "count",
                       ">= 0"),
    "seed": Entry("seed the run's random numbers came from (reruns it exactly)",
                  "integer", ">= 0"),
    "point": Entry("design point of the sweep (row of points.parquet)", "count", ">= 0"),
    "week": Entry("week of the run (0 = the state before the first week)", "weeks",
                  "0 to the run's weeks"),
    "seconds": Entry("wall-clock time the run took", "seconds", ">= 0"),
    "error": Entry("why the run failed (one line)", "text"),
    "traceback": Entry("where the run failed (Python traceback)", "text"),
}
#: Columns of a calibration's posterior.parquet besides the parameters.
POSTERIOR = {
    "weight": Entry("importance weight of the particle (the weights sum to 1)", "weight",
                    "0-1"),
    "generation": Entry("ABC-SMC generation the particles come from (the last)", "count",
                        ">= 0"),
}
#: The kind of a paired sweep's summaries (differences and each arm's own values).
PAIRED = "paired"
#: The kind of the agent-level reporters' table (sim.reporters).
AGENTS = "agents"
#: Files whose columns are parameters, by file name (stem).
PARAMETER_FILES = ("points", "design", "posterior")

#: (pattern, unit, range, nan) by column name, first match wins; meanings come from
#: sim.outcomes.
RULES: list[tuple[str, str, str, str]] = [
    (r"time_to_.*|median_weeks_to_.*", "weeks", "0 to the run's weeks", NOT_REACHED),
    (r"(final_)?sustainability", "share", "0-1",
     "no agency had reached full implementation, so there is nothing to sustain"),
    (r"share_competent_of_started", "share", "0-1", "no agency started delivering"),
    (r"share_sustained_of_started", "share", "0-1",
     "no agency started at least two years before the end"),
    (r"trust_.*_sd", "trust (0-1)", "0-0.5", "no ties of that kind"),
    (r"trust_.*", "trust (0-1)", "0-1", "no ties of that kind"),
    (r"hours_.*|cost_hours|total_isp_hours", "hours", ">= 0", NEVER),
    (r"collaboration_stage(_final)?", "stage", "0-3 (see meaning)", NEVER),
    (r"crisis_intensity", "intensity", "0-1", NEVER),
    (r"share_.*|peak_share_.*|final_share_.*|reach.*|final_reach|adoption", "share",
     "0-1", NEVER),
    (r"acceptability|appropriateness|feasibility|fidelity|mean_fidelity", "score", "0-1",
     NEVER),
]


def _outcome(column: str, weekly: bool) -> Entry | None:
    from sim.outcomes import SUMMARY_OUTCOMES, WEEKLY_OUTCOMES

    known = WEEKLY_OUTCOMES if weekly else SUMMARY_OUTCOMES
    meaning = known.get(column) or _pattern_meaning(column, weekly)
    if meaning is None:
        return None
    for pattern, unit, span, nan in RULES:
        if re.fullmatch(pattern, column):
            return Entry(meaning, unit, span, nan)
    return Entry(meaning)


def _pattern_meaning(column: str, weekly: bool) -> str | None:
    """Outcomes named after a scenario's own family groups or interaction types."""
    when = "this week" if weekly else "at the end"
    if m := re.fullmatch(r"reach_(\w+)", column):
        return f"reach among the {m[1].replace('_', ' ')} family group {when}"
    if weekly and (m := re.fullmatch(r"hours_(\w+)", column)):
        return f"ISP hours on {m[1].replace('_', ' ')} this week"
    return None


def _parameter(column: str, kind: str) -> Entry:
    from sim.parameters import PARAMETERS

    p = PARAMETERS.get(column)
    meaning = p.doc if p is not None else _DOTTED
    if kind == "posterior":
        meaning = f"posterior draw (particle) of: {meaning}"
    if kind == "design":
        return Entry(f"{meaning} (position in the unit hypercube SALib sampled; "
                     "points.parquet has the value)", "fraction of the range", "0-1")
    return Entry(meaning, "parameter's unit",
                 p.describe_range() if p is not None else "as checked against the table")


@cache
def entry(column: str, kind: str) -> Entry:
    """The codebook entry of ``column`` in a file of ``kind`` (timeseries, summaries,
    failures, points, design or posterior)."""
    if kind == "posterior" and column in POSTERIOR:
        return POSTERIOR[column]
    if column in IDS and not (kind in PARAMETER_FILES and column != "point"):
        return IDS[column]
    if kind in PARAMETER_FILES:
        return _parameter(column, kind)
    if kind == PAIRED:
        return _paired(column)
    if kind == AGENTS:
        from sim.reporters import ENTRIES, ID_ENTRIES

        found = {**ID_ENTRIES, **ENTRIES}.get(column)
        return found or Entry(f"{column} (not in the codebook's catalogue)", nan="unknown")
    found = _outcome(column, weekly=kind == "timeseries")
    return found or Entry(f"{column} (not in the codebook's catalogue)", nan="unknown")


def _paired(column: str) -> Entry:
    """A column of a paired sweep's summaries: an arm's own value, or the difference."""
    from sim.paired import split_arm

    outcome, arm = split_arm(column)
    found = _outcome(outcome, weekly=False)
    if found is None:
        return entry(column, "summaries")
    if arm:
        return replace(found, meaning=f"value in the {arm} arm alone: {found.meaning}")
    return replace(found, meaning=(
        "paired difference on one seed, second arm minus first (manifest.json's arm; a time "
        f"never reached counts as the horizon, another missing value as 0): {found.meaning}"),
        range=f"difference of two values in {found.range}" if found.range else "",
        nan=NEVER)


_DOTTED = "parameter: the value at this dotted path of the scenario's parameters"
#: Units a figure label does not repeat: parameters say theirs in the meaning.
_SILENT_UNITS = ("", "parameter's unit", "text")


def label(column: str, kind: str = "summaries", width: int | None = None) -> str:
    """A figure label from the codebook: the column's meaning to its first clause, and its
    unit ('weeks until half the agencies are at full implementation [weeks]'; a parameter's
    meaning says its own unit), wrapped at ``width`` characters. A column the codebook does
    not know keeps its name."""
    from sim.paired import split_arm

    outcome, arm = split_arm(column) if kind == PAIRED else (column, "")
    found = entry(outcome, "summaries" if kind == PAIRED else kind)
    if found.meaning.endswith("(not in the codebook's catalogue)"):
        return column
    if found.meaning.startswith(_DOTTED):  # a path the table does not list
        text = re.sub(r"[._]+", " ", column)
    else:
        text = re.split(r" \(|: |\. ", found.meaning.removesuffix("."), maxsplit=1)[0]
    if kind == PAIRED:
        text += f", {arm} arm" if arm else ", difference between arms"
    if found.unit not in _SILENT_UNITS:
        text += f" [{found.unit}]"
    return textwrap.fill(text, width) if width else text


def kind_of(names: list[str]) -> str:
    """The kind of a run table from its columns (the weekly record has ``week``; a paired
    sweep's summaries have ``<outcome>__<arm>`` beside ``<outcome>``)."""
    from sim.paired import split_arm

    if "agent_type" in names:
        return AGENTS
    if "week" in names:
        return "timeseries"
    if "error" in names:
        return "failures"
    paired = any(arm and outcome in names for outcome, arm in map(split_arm, names))
    return PAIRED if paired else "summaries"


def describe(table: pa.Table, kind: str | None = None) -> pa.Table:
    """``table`` with each field's meaning, unit, range and NaN rule as field metadata."""
    kind = kind or kind_of(table.column_names)
    fields = []
    for f in table.schema:
        meta = dict(zip(FIELDS, astuple(entry(f.name, kind)), strict=True))
        fields.append(f.with_metadata({**(f.metadata or {}),
                                       **{k.encode(): v.encode() for k, v in meta.items()}}))
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def _files(folder: Path) -> dict[str, list[Path]]:
    """Parquet files of the folder grouped as the codebook lists them (parts together)."""
    groups: dict[str, list[Path]] = {}
    for path in sorted(folder.rglob("*.parquet")):
        rel = path.relative_to(folder)
        if rel.parts[0] in ("damaged", "analysis", "discovery", ".parts", "inputs") or \
                path.name.startswith("."):
            continue
        name = str(rel.parent / "part-*.parquet") if rel.name.startswith("part-") \
            else str(rel)
        groups.setdefault(name, []).append(path)
    return groups


def codebook_rows(folder: Path) -> list[list[str]]:
    """One row per (file, column) of the folder's Parquet files."""
    rows = []
    for name, paths in _files(Path(folder)).items():
        schema = pa.unify_schemas([pq.read_schema(p) for p in paths])
        kind = Path(name).stem if Path(name).stem in PARAMETER_FILES else \
            kind_of(schema.names)
        for f in schema:
            rows.append([name, f.name, str(f.type), *astuple(entry(f.name, kind))])
    return rows


def write_codebook(folder: Path) -> None:
    """Write ``codebook.csv``: file, column, type, meaning, unit, range, nan."""
    from sim.resultsdir import write_atomic

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["file", "column", "type", *FIELDS])
    writer.writerows(codebook_rows(Path(folder)))
    write_atomic(Path(folder) / CODEBOOK, text.getvalue().encode())
