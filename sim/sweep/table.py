"""``design: table``: an external design (CSV or Parquet, one row per point, one column per
dotted path) run through the same resumable, Dask-capable sweep runner.

Every column is checked against the model's parameter table and every value against its
range before any run, with one-line errors naming the file, the column and the row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import ExperimentError
from sim.resultsdir import regular_file
from sim.sweep.design import Design
from sim.sweep.paths import Target, lookup, valid_targets
from sim.sweep.spec import ExperimentSpec


def read_table(path: Path, source: str) -> pd.DataFrame:
    """The table of points (``.parquet`` / ``.pq``, otherwise CSV)."""
    if path.exists() or path.is_symlink():
        regular_file(path, ExperimentError)  # a FIFO would block the reader forever
    try:
        if path.suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except FileNotFoundError:
        raise ExperimentError(f"file {path} not found", source=source, field="table") from None
    except Exception as exc:  # noqa: BLE001 - pandas/arrow raise many kinds; one line
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise ExperimentError(f"cannot read {path.name} ({reason})", source=source,
                              field="table") from None


def table_design(spec: ExperimentSpec, base: dict[str, Any]
                 ) -> tuple[dict[str, Target], Design]:
    """The checked targets and the design points of a ``design: table`` experiment."""
    source = str(spec.source) if spec.source else "experiment"
    folder = spec.source.parent if spec.source else Path.cwd()
    path = (folder / spec.table).resolve()
    table = read_table(path, source)
    if table.empty or not len(table.columns):
        raise ExperimentError(f"{path.name} has no points", source=source, field="table")
    valid = valid_targets(base)
    targets: dict[str, Target] = {}
    columns = {}
    for name in table.columns:
        name = str(name)
        target = targets[name] = lookup(name, valid, source, "table",
                                        f"{path.name} column '{name}' is not a parameter path")
        for row, value in enumerate(table[name].tolist()):
            if not target.allows(value.item() if hasattr(value, "item") else value):
                raise ExperimentError(f"{path.name} row {row + 2} column '{name}': "
                                      f"{value!r} is not allowed: expected "
                                      f"{target.describe()}", source=source, field="table")
        columns[name] = target.convert_many(table[name].to_numpy())
    names = list(columns)
    return targets, Design(names, pd.DataFrame(columns, columns=names), None)
