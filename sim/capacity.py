"""What a run will cost, estimated before it starts, and refusal of what the machine cannot do.

The schema allows populations (10^7 families, 10^5 agencies) that are valid but far beyond
one machine: such a run used to grow to gigabytes per process, or spend hours building the
partnership network, before anything said so. ``estimate`` prices a run from the
population it will have (partners joining included) with per-agent and per-tie costs
measured by ``benchmarks/capacity.py``; ``check_run`` and ``check_sweep`` refuse, with one
line saying what would be needed, a run that does not fit in the memory available or would
take longer than a day, and a sweep with more runs than the cap (``max_runs``). The loader
checks one run of each arm; ``trustsim run`` also checks its workers together.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sim.errors import TrustsimError

#: Costs measured with ``benchmarks/capacity.py`` on the model of 2026-11-26 (this 2-core
#: machine, peak RSS per process; times under a load of about 8, so on the slow side),
#: rounded up.
COSTS = {
    "bytes_per_process": 170e6,  # measured 156 MiB: Python, numpy, Mesa, a tiny model
    "bytes_per_family": 650.0,  # measured 613-617: arrays, tie, Mesa agent
    "bytes_per_agency": 3_000.0,  # measured 2,910
    "bytes_per_isp": 300.0,  # measured 217-265
    "bytes_per_tie": 450.0,  # measured 422-428 per directed partnership tie
    "seconds_per_tie": 1.0e-5,  # measured 3.9e-6 to 5.8e-6: one tie (networkx)
    "seconds_per_family": 2.0e-5,  # measured 1.8e-5: building a family and its agent
    # a joining agency draws a partner among every agency there (a Python loop per agency);
    # its ties append to buffers that grow by doubling, so no copying per tie
    "seconds_per_agency_joining": 2.0e-6,
}
#: Time per family-, agency- and tie-week by engine (``TrustModel(engine=...)``), measured
#: with ``benchmarks/capacity.py --engine E`` on 2026-11-26 (this 2-core machine, idle
#: unless said) and rounded up: the agents engine is a few hundred times slower than the
#: vectorized one, the compiled one (the default) several times faster. A run whose
#: agencies deliver from the start costs up to twice as much per family-week (every
#: eligible family draws its engagement each week), hence the compiled margin.
WEEKLY_COSTS = {
    "compiled": {
        "seconds_per_family_week": 1.5e-7,  # measured 6.95e-8
        "seconds_per_agency_week": 2.5e-6,  # measured 1.27e-6
        "seconds_per_tie_week": 4.0e-7,  # measured 1.5e-7 to 2.6e-7
    },
    "vectorized": {  # measured under a load of about 8; idle: 2.45e-7, 4.0e-6, 2.6e-7
        "seconds_per_family_week": 8.0e-7,  # measured 7.1e-7
        "seconds_per_agency_week": 2.0e-5,  # measured 1.25e-5
        "seconds_per_tie_week": 2.0e-6,  # measured 1.0e-6 to 1.75e-6
    },
    "agents": {  # measured on populations a fiftieth of the others'
        "seconds_per_family_week": 1.5e-4,  # measured 8.7e-5
        "seconds_per_agency_week": 1.0e-3,  # measured 5.4e-4
        "seconds_per_tie_week": 2.0e-4,  # measured 1.0e-4
    },
}
#: Refused: one run estimated to take longer than this.
MAX_RUN_SECONDS = 24 * 3600
#: Share of the available memory a run (or all runs in parallel) may plan to use.
MEMORY_SHARE = 0.8
#: Default cap on a sweep's runs (a million runs is about 50 core-hours of county runs).
DEFAULT_MAX_RUNS = 1_000_000
#: Coordinator memory per design point (design table and files) and per run (done flags).
BYTES_PER_POINT = 800.0

_max_runs: ContextVar[int] = ContextVar("max_runs", default=DEFAULT_MAX_RUNS)


@contextlib.contextmanager
def max_runs(limit: int | None) -> Iterator[None]:
    """Within this block sweeps may have up to ``limit`` runs (None: the default)."""
    token = _max_runs.set(DEFAULT_MAX_RUNS if limit is None else int(limit))
    try:
        yield
    finally:
        _max_runs.reset(token)


def current_max_runs() -> int:
    return _max_runs.get()


@dataclass(frozen=True)
class Estimate:
    """Peak memory of one run's process and its wall time on one core."""

    bytes: float
    seconds: float

    def describe(self) -> str:
        return f"about {_size(self.bytes)} and {_duration(self.seconds)} per run"


def _size(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.0f} MiB"


def _duration(s: float) -> str:
    for unit, length in (("days", 86400), ("h", 3600), ("min", 60)):
        if s >= length:
            return f"{s / length:,.1f} {unit}"
    return f"{s:.1f} s" if s >= 0.1 else "under 0.1 s"


def _population(params: dict[str, Any]) -> tuple[int, int, int, int]:
    """(agencies at the start, agencies joining, ISPs, families) of a run."""
    from sim.parameters import PARAMETERS

    def get(name: str) -> Any:
        return params.get(name, PARAMETERS[name].default)

    joins = sum(int(e.get("count", 1)) for e in params.get("timeline") or []
                if isinstance(e, dict) and e.get("kind") == "partner_joins")
    return int(get("n_agencies")), joins, int(get("n_isps")), int(get("n_families"))


def partnership_ties(params: dict[str, Any]) -> float:
    """Expected directed partnership ties at the start, by network structure
    (sim.network): what the tie arrays hold and the weekly phases touch."""
    from sim.parameters import PARAMETERS

    def get(name: str) -> Any:
        return params.get(name, PARAMETERS[name].default)

    n, kind = int(get("n_agencies")), get("partnership_network")
    k = max(1, min(int(get("partnership_degree")), n - 1))
    return {
        "random": n * (n - 1) * float(get("partnership_density")),
        "complete": n * (n - 1), "hub_and_spoke": 2 * (n - 1),
        "small_world": n * max(k, 2), "ring": n * max(k, 2),
        "scale_free": 2 * max(1, k // 2) * n,
    }.get(kind, 2 * n)  # edge_list: the file decides; a sparse county's order


def estimate(params: dict[str, Any]) -> Estimate:
    """What one run with these ``TrustModel`` parameters costs (defaults for the rest)."""
    from sim.parameters import PARAMETERS

    c = COSTS
    start, joins, isps, families = _population(params)
    agencies = start + joins
    weeks = int(params.get("weeks", PARAMETERS["weeks"].default))
    density = float(params.get("partnership_density", PARAMETERS["partnership_density"].default))
    # each joining agency ties both ways to a density share of the agencies already there
    ties = partnership_ties(params) + 2 * density * joins * (start + joins / 2)
    memory = (c["bytes_per_process"] + c["bytes_per_family"] * families
              + c["bytes_per_agency"] * agencies + c["bytes_per_isp"] * isps
              + c["bytes_per_tie"] * ties)
    build = (c["seconds_per_tie"] * ties + c["seconds_per_family"] * families
             + c["seconds_per_agency_joining"] * joins * agencies)
    engine = params.get("engine", PARAMETERS["engine"].default)
    w = WEEKLY_COSTS.get(engine, WEEKLY_COSTS["vectorized"])  # a bad name is refused elsewhere
    weekly = (w["seconds_per_family_week"] * families + w["seconds_per_agency_week"] * agencies
              + w["seconds_per_tie_week"] * ties)
    return Estimate(memory, build + weeks * weekly)


def available_memory() -> int:
    """Bytes this process may still use: free RAM, or a cgroup's limit when lower."""
    import psutil

    free = psutil.virtual_memory().available
    with contextlib.suppress(OSError, ValueError):
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        with open("/sys/fs/cgroup/memory.current") as f:
            used = int(f.read())
        if limit != "max":
            free = min(free, int(limit) - used)
    return free


def check_run(est: Estimate, processes: int, error: type[TrustsimError], source: str,
              field: str | None = None) -> None:
    """Refuse runs that would not fit in memory ``processes`` at a time, or take a day."""
    budget = MEMORY_SHARE * available_memory()
    if est.bytes > budget:
        raise error(f"one run would need {_size(est.bytes)} of memory, more than the "
                    f"{_size(budget)} this machine has free; expected a smaller population",
                    source=source, field=field)
    if est.seconds > MAX_RUN_SECONDS:
        raise error(f"one run would take {_duration(est.seconds)} (estimated), more than "
                    f"the limit of {_duration(MAX_RUN_SECONDS)}; expected a smaller "
                    "population", source=source, field=field)
    if est.bytes * processes > budget:
        fits = max(1, int(budget // est.bytes))
        raise error(f"{processes} runs at once would need {_size(est.bytes * processes)} "
                    f"of memory ({_size(est.bytes)} each), more than the {_size(budget)} "
                    f"free; use --workers {fits}", source=source, field=field)


def check_sweep(n_points: int, replicates: int, error: type[TrustsimError],
                source: str) -> None:
    """Refuse a sweep with more runs than the cap, or whose bookkeeping would not fit."""
    runs = n_points * replicates
    cap = current_max_runs()
    if runs > cap:
        raise error(f"{n_points:,} points x {replicates:,} replicates = {runs:,} runs, more "
                    f"than the limit of {cap:,} (--max-runs {cap}); expected fewer runs, or "
                    "a larger --max-runs", source=source, field="design")
    need = BYTES_PER_POINT * n_points + runs
    budget = MEMORY_SHARE * available_memory()
    if need > budget:
        raise error(f"{runs:,} runs would need {_size(need)} of memory to coordinate, more "
                    f"than the {_size(budget)} free; expected fewer runs", source=source,
                    field="design")

