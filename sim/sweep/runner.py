"""Run a sweep: design points x replicates on local processes or a Dask cluster.

The coordinator keeps a bounded number of runs in flight and writes results as they
finish (see ``store``), so its memory stays flat however many runs the sweep has. The
same ``concurrent.futures`` loop drives both back ends: a local process pool, or
``dask.distributed.Client.get_executor`` when a scheduler address is given.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim import __version__, resultsdir
from sim.codebook import write_codebook
from sim.errors import ExperimentError, TrustsimError
from sim.progress import RunProgress
from sim.resultsdir import FolderLock, StorageError
from sim.sweep.plan import Plan, make_plan
from sim.sweep.spec import ExperimentSpec
from sim.sweep.store import Store, read_manifest, release_memory, write_json, write_parquet
from sim.sweep.task import run_task


@dataclass
class SweepReport:
    """What a call to ``run`` did. ``busy_seconds`` is the workers' time inside runs,
    ``coordinator_cpu`` the coordinating process's CPU time."""

    out: Path
    total: int
    completed: int
    failed: int
    ran: int
    seconds: float
    busy_seconds: float
    coordinator_cpu: float
    workers: int

    @property
    def missing(self) -> int:
        return self.total - self.completed - self.failed


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``run``: what was saved (``report``) travels with the interrupt."""

    def __init__(self, report: SweepReport):
        super().__init__()
        self.report = report


def run(experiment: str | Path | ExperimentSpec, workers: int | None = None,
        scheduler: str | None = None, out: str | Path | None = None, progress: bool = True,
        retry_failed: bool = False, batch_size: int = 50) -> SweepReport:
    """Run (or resume) a sweep and return a report; results go to ``out``.

    ``workers`` local processes (default: the cores available) or, with ``scheduler``
    (``tcp://host:port``), the workers of a Dask cluster. Runs already in ``out`` are not
    run again; failed runs are recorded, not raised (``retry_failed`` runs them again).
    """
    plan = make_plan(experiment)
    out = Path(out) if out is not None else plan.default_out()
    _check_out(out, plan)
    executor, n_workers, closer = _executor(workers, scheduler)
    interrupted = False
    try:
        with FolderLock(out):
            _check_out(out, plan)  # again, now that no one else can write there
            _prepare_out(out, plan, experiment)
            store = Store(out, plan.n_runs, plan.replicates, batch_size=batch_size)
            if retry_failed:
                store.forget_failures()
            return _drive(plan, store, executor, n_workers, progress)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        closer(interrupted)


# -- back ends ------------------------------------------------------------------------
def _executor(workers: int | None, scheduler: str | None):
    """(executor, worker count, close function) for local processes or a Dask cluster."""
    if scheduler:
        return _dask_executor(scheduler)
    from sim.workerpool import PRELOAD, local_pool, shutdown

    n = workers or len(os.sched_getaffinity(0))
    if n < 1:
        raise TrustsimError(f"--workers must be at least 1, got {n}")
    pool = local_pool(n, ["sim.sweep.task", *PRELOAD])
    return pool, n, lambda now=False: shutdown(pool, now)


def _dask_executor(address: str):
    from distributed import Client
    from distributed.comm import parse_address, parse_host_port

    try:
        parse_host_port(parse_address(address)[1])
    except ValueError as exc:
        raise TrustsimError(f"--scheduler {address!r} is not a scheduler address ({exc}); "
                            "expected tcp://HOST:PORT") from None

    quiet = [logging.getLogger(n) for n in ("distributed", "distributed.client",
                                            "distributed.comm", "tornado")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.CRITICAL)
    try:
        client = Client(address, timeout="5s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is one user-facing line
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise TrustsimError(f"cannot reach the Dask scheduler at {address} ({reason}); "
                            "is `dask scheduler` running there?") from None
    finally:
        for lg, level in zip(quiet, levels, strict=True):
            lg.setLevel(level)
    threads = sum(client.nthreads().values())
    executor = client.get_executor(pure=False)

    def close(now: bool = False):
        with contextlib.suppress(Exception):
            executor.shutdown(wait=False)
        client.close()

    return executor, max(threads, 1), close


# -- the results folder ----------------------------------------------------------------
def _check_out(out: Path, plan: Plan) -> None:
    """Refuse an output folder that holds something else (nothing is touched)."""
    if (out / "manifest.json").exists():
        old = read_manifest(out)
        if old.get("fingerprint") != plan.fingerprint():
            raise ExperimentError(
                "holds results of a different sweep (the experiment, its scenario or the "
                "seed changed); choose another --out or remove the folder", source=str(out))
    elif out.exists() and (not out.is_dir() or any(p.name != resultsdir.LOCK
                                                     for p in out.iterdir())):
        raise ExperimentError("exists and is not a sweep results folder; choose another --out",
                              source=str(out))


def _prepare_out(out: Path, plan: Plan, experiment: Any) -> None:
    if (out / "manifest.json").exists():
        return
    spec = plan.spec
    text = (Path(experiment).read_text() if not isinstance(experiment, ExperimentSpec)
            else yaml.safe_dump(spec.model_dump(mode="json", exclude_none=True),
                                sort_keys=False))
    resultsdir.write_atomic(out / "experiment.yaml", text.encode())
    design = plan.design
    point = {"point": np.arange(len(design), dtype=np.int64)}
    write_parquet(out / "points.parquet",
                  {**point, **{n: design.values[n].to_numpy() for n in design.names}})
    if design.unit is not None:
        write_parquet(out / "design.parquet",
                      {**point, **{n: design.unit[:, j] for j, n in enumerate(design.names)}})
    release_memory()
    write_json(out / "manifest.json", _manifest(plan))


def _manifest(plan: Plan) -> dict[str, Any]:
    spec = plan.spec
    return {
        "trustsim": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "fingerprint": plan.fingerprint(),
        "experiment": spec.model_dump(mode="json"),
        "experiment_file": str(spec.source) if spec.source else None,
        "scenario_file": str(spec.scenario_path()),
        "scenario_hash": _scenario_hash(plan.scenario),
        "arm": plan.arm,
        "base_params": plan.base,
        "seed": plan.seed,
        "seeding": "run seed = SeedSequence(seed, spawn_key=(point, replicate))"
                   ".generate_state(1)[0]" + ("; point = 0 for every point (common random "
                                              "numbers)" if spec.common_random_numbers
                                              else ""),
        "design": spec.design,
        "parameters": list(plan.design.names),
        "n_points": len(plan.design),
        "replicates": plan.replicates,
        "total_runs": plan.n_runs,
        "every": spec.every,
        "status": "running",
    }


def _scenario_hash(scenario: Any) -> str | None:
    with contextlib.suppress(Exception):
        return scenario.hash()
    return None


def _finish_manifest(store: Store, plan: Plan, status: str) -> None:
    path = store.root / "manifest.json"
    data = read_manifest(store.root)
    ok = int(store.done.sum()) - store.n_failed
    data.update(status=status, completed=ok, failed=store.n_failed,
                missing=plan.n_runs - int(store.done.sum()),
                updated=datetime.now(UTC).isoformat(timespec="seconds"))
    write_json(path, data)
    write_codebook(store.root)


# -- the loop --------------------------------------------------------------------------
def _drive(plan: Plan, store: Store, executor: Executor, n_workers: int,
           progress: bool) -> SweepReport:
    start, cpu0 = time.monotonic(), time.process_time()
    limit = max(2 * n_workers, 4)
    todo = store.missing()
    inflight: dict[Future, int] = {}
    ran = busy = 0.0
    bar = RunProgress("sweep", plan.n_runs, int(store.done.sum()), store.n_failed,
                      enabled=progress)
    try:
        with bar:
            while True:
                while len(inflight) < limit and (rid := next(todo, None)) is not None:
                    point, rep, seed, params = plan.run(rid)
                    fut = executor.submit(run_task, point, rep, seed, params, plan.spec.every,
                                          plan.spec.outcomes, plan.spec.weekly)
                    inflight[fut] = rid
                if not inflight:
                    break
                finished, _ = wait(inflight, timeout=1.0, return_when=FIRST_COMPLETED)
                for fut in finished:
                    result = _result(fut, plan, inflight.pop(fut))
                    store.add(result)
                    ran += 1
                    busy += result.get("seconds", 0.0)
                    bar.advance(failed="error" in result)
                if store.due():
                    store.flush()
        store.flush()
        _finish_manifest(store, plan, "complete")
    except BaseException as exc:
        _save_incomplete(store, plan)
        report = _report(store, plan, n_workers, ran, busy, start, cpu0)
        if isinstance(exc, KeyboardInterrupt):
            raise SweepInterrupted(report) from None
        if isinstance(exc, StorageError):
            exc.exit_code = 1  # the sweep was under way
            raise
        if isinstance(exc, BrokenProcessPool):
            raise TrustsimError("a worker process died (out of memory, or a script calling "
                                "sim.sweep.run outside `if __name__ == '__main__':`); "
                                f"finished runs are kept in {store.root}; run the same "
                                "command to resume") from None
        raise
    return _report(store, plan, n_workers, ran, busy, start, cpu0)


def _save_incomplete(store: Store, plan: Plan) -> None:
    """After a failure or Ctrl-C: write the buffered runs and mark the manifest
    incomplete, as far as the disk still allows."""
    try:
        store.flush()
        _finish_manifest(store, plan, "incomplete")
    except StorageError:
        resultsdir.mark_incomplete(store.root)


def _report(store: Store, plan: Plan, n_workers: int, ran: float, busy: float, start: float,
            cpu0: float) -> SweepReport:
    return SweepReport(out=store.root, total=plan.n_runs,
                       completed=int(store.done.sum()) - store.n_failed, failed=store.n_failed,
                       ran=int(ran), seconds=time.monotonic() - start, busy_seconds=busy,
                       coordinator_cpu=time.process_time() - cpu0, workers=n_workers)


def _result(fut: Future, plan: Plan, rid: int) -> dict[str, Any]:
    """The task's result, or a failure record when the task could not even report one
    (a Dask worker lost, a result that cannot be unpickled)."""
    try:
        return fut.result()
    except BrokenProcessPool:
        raise
    except Exception as exc:  # noqa: BLE001
        point, rep = divmod(rid, plan.replicates)
        return {"point": point, "replicate": rep, "seed": plan.run_seed(point, rep),
                "error": " ".join(f"{type(exc).__name__}: {exc}".split()), "traceback": ""}
