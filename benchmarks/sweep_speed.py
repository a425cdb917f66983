"""Sweep benchmark: runs per second, worker busy share, coordinator overhead and memory.

Prints figures; it is not a test. What it does:

1. a 1,000-run Latin-hypercube sweep of the county-scale scenario (scenarios/base.yaml:
   12 agencies, 4 ISPs, 1,200 families, 156 weeks) on this machine's cores: runs per
   second, the share of the workers' wall time spent inside runs (goal >= 90%), and the
   coordinating process's CPU time as a share of the run time (goal < 5%);
2. the peak resident memory of the coordinating process at 1,000 and 10,000 runs. These
   use a cheap short-horizon configuration (2 agencies, 20 families, 4 weeks) so that
   10,000 runs finish in a few minutes; memory must not grow with the number of runs.

    .venv/bin/python benchmarks/sweep_speed.py                # everything (~20 min, 2 cores)
    .venv/bin/python benchmarks/sweep_speed.py --county-runs 200 --memory-runs 1000 10000
    .venv/bin/python benchmarks/sweep_speed.py --scheduler tcp://127.0.0.1:8786 --memory-runs
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import psutil

import sim.sweep as sweep
from sim.sweep.spec import parse_experiment
from sim.workerpool import default_workers

ROOT = Path(__file__).resolve().parents[1]
CHEAP = {"weeks": 4, "n_agencies": 2, "n_isps": 1, "n_families": 20}


class PeakRSS:
    """Samples this process's resident memory in a thread; keeps the peak."""

    def __init__(self, every: float = 0.05):
        self.proc, self.every, self.peak = psutil.Process(), every, 0
        self._stop = threading.Event()

    def __enter__(self):
        self.start = self.proc.memory_info().rss
        self.peak = self.start
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _spec(name: str, runs: int, fixed: dict | None = None) -> object:
    """An LHS experiment over the main trust and crisis parameters of base.yaml."""
    data = {
        "name": name, "scenario": str(ROOT / "scenarios" / "base.yaml"), "design": "lhs",
        "samples": runs, "seed": 1, "record": "end",
        "parameters": {"asymmetry": {"low": 1, "high": 5},
                       "forgetting": {"low": 0.9, "high": 0.999},
                       "strategy_mix": {"low": 0, "high": 1},
                       "turnover_per_year": {"low": 0.1, "high": 0.6},
                       "isp_hours": {"low": 5, "high": 40}},
    }
    if fixed:  # pin the cheap configuration with one-level parameters
        data["parameters"].update({k: {"levels": [v]} for k, v in fixed.items()})
    return parse_experiment(data, f"<benchmark {name}>")


def measure(name: str, runs: int, workers: int, fixed: dict | None = None,
            scheduler: str | None = None) -> dict:
    import pyarrow.parquet  # noqa: F401 - the baseline RSS includes what any sweep imports

    import sim.model  # noqa: F401
    import sim.scenario  # noqa: F401

    with tempfile.TemporaryDirectory() as tmp, PeakRSS() as rss:
        report = sweep.run(_spec(name, runs, fixed), workers=workers, scheduler=scheduler,
                           out=Path(tmp) / "out", progress=False)
        rss_end = rss.proc.memory_info().rss
        size = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())
    assert report.completed == runs, report
    return {"runs": runs, "seconds": report.seconds, "rate": runs / report.seconds,
            "busy": report.busy_seconds / (report.seconds * report.workers),
            "overhead": report.coordinator_cpu / report.busy_seconds,
            "per_run": report.busy_seconds / runs, "workers": report.workers,
            "rss_start": rss.start / 2**20,
            "rss_peak": rss.peak / 2**20, "rss_end": rss_end / 2**20, "disk": size / 2**20}


def show(label: str, m: dict) -> None:
    print(f"{label}: {m['runs']:,} runs in {m['seconds']:.1f} s on {m['workers']} workers = "
          f"{m['rate']:.2f} runs/s ({m['rate'] * 3600:,.0f} runs/hour); "
          f"{m['per_run']:.3f} s per run inside the worker")
    print(f"  workers busy {m['busy']:.1%} of their wall time (goal >= 90%); coordinator CPU "
          f"{m['overhead']:.2%} of run time (goal < 5%)")
    print(f"  coordinator RSS {m['rss_start']:.0f} MiB before, peak {m['rss_peak']:.0f} MiB "
          f"(+{m['rss_peak'] - m['rss_start']:.0f} MiB), at the end {m['rss_end']:.0f} MiB; "
          f"results on disk {m['disk']:.1f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--county-runs", type=int, default=1000, help="0 skips the county sweep")
    ap.add_argument("--memory-runs", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--scheduler", help="a Dask scheduler address: run the sweeps there")
    args = ap.parse_args()
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{args.workers} workers"
    print(f"machine: {psutil.cpu_count()} logical cores, {where}; "
          f"load average {os.getloadavg()[0]:.1f} at start")
    if args.county_runs:
        m = measure("county_lhs", args.county_runs, args.workers, scheduler=args.scheduler)
        show("county-scale LHS (base.yaml, 156 weeks)", m)
    peaks = []
    if args.memory_runs:  # a first sweep imports and allocates what every sweep needs
        measure("warm_up", 100, args.workers, CHEAP, scheduler=args.scheduler)
    for runs in args.memory_runs:
        m = measure(f"cheap_{runs}", runs, args.workers, CHEAP, scheduler=args.scheduler)
        show(f"cheap configuration {CHEAP}", m)
        peaks.append((runs, m["rss_peak"]))
    if len(peaks) > 1:
        (n0, p0), (n1, p1) = peaks[0], peaks[-1]
        print(f"coordinator peak RSS: {p0:.0f} MiB at {n0:,} runs, {p1:.0f} MiB at {n1:,} "
              f"runs ({(p1 - p0) / (n1 - n0) * 1024:.2f} KiB per extra run)")


if __name__ == "__main__":
    t0 = time.time()
    main()
    print(f"benchmark took {time.time() - t0:.0f} s")
