"""The function a worker runs: one simulation, never raising.

It is a top-level function so that local process pools and Dask workers can pickle it by
reference; any exception becomes a failure record (error text, traceback, seed) so that
one bad run never stops a sweep.
"""

from __future__ import annotations

import math
import time
import traceback
from typing import Any


def run_task(point: int, replicate: int, seed: int,
             params: dict[str, Any] | list[tuple[str, dict[str, Any]]], every: int,
             outcomes: list[str] | None = None, weekly: list[str] | None = None
             ) -> dict[str, Any]:
    """Run one simulation (two arms on one seed when ``params`` is a pair); return its
    summary and time series, or its error."""
    from sim import runs

    ident = {"point": point, "replicate": replicate, "seed": seed}
    start = time.perf_counter()
    try:
        if isinstance(params, dict):
            out = runs.run_once(params, seed, every=every)
        else:  # paired arms: [(arm, params), (arm, params)]
            from sim.paired import run_paired

            out = run_paired(params, seed, every=every)
        summary = {k: _float(v) for k, v in out.summary.items()
                   if outcomes is None or k in outcomes}
        ts = out.timeseries
        if weekly is not None:
            ts = ts[["week"] + [c for c in ts.columns if c in weekly and c != "week"]]
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, not raised
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
        return {**ident, "error": text, "traceback": traceback.format_exc(limit=20),
                "seconds": time.perf_counter() - start}
    # columns as arrays: they pickle several times faster than a DataFrame
    columns = {c: ts[c].to_numpy() for c in ts.columns}
    return {**ident, "summary": summary, "timeseries": columns,
            "seconds": time.perf_counter() - start}


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan
