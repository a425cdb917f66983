"""Run a sweep: design points x replicates on local processes or a Dask cluster.

The runs are run specs handed to the one runner (``sim.runner``, which scenario runs use
too: this process, a local process pool, or a Dask cluster when a scheduler address is
given); the store writes them as they finish (see ``store``), so the coordinator's memory
stays flat however many runs the sweep has.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim import provenance, resultsdir
from sim.codebook import write_codebook
from sim.errors import ExperimentError, TrustsimError
from sim.progress import RunProgress
from sim.rerun import relinked
from sim.resultsdir import FolderLock, StorageError
from sim.runner import Backend, Recording, RunSpec, backend, chosen_task_size, execute, prestart
from sim.sweep.plan import Plan, make_plan
from sim.sweep.spec import ExperimentSpec
from sim.sweep.store import Store, read_manifest, release_memory, write_json, write_parquet

SCENARIO_COPY = "scenario.yaml"  # the resolved scenario the sweep ran on (for rerun)
PREPARING = "preparing"  # a manifest's status until the folder's files are all written


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
        retry_failed: bool = False, batch_size: int = 50, command: str | None = None,
        task_size: int | None = None) -> SweepReport:
    """Run (or resume) a sweep and return a report; results go to ``out``.

    ``workers`` local processes (default: the cores available) or, with ``scheduler``
    (``tcp://host:port``), the workers of a Dask cluster. Runs already in ``out`` are not
    run again; failed runs are recorded, not raised (``retry_failed`` runs them again).
    Workers get tasks of ``task_size`` runs (default: ``sim.runner.task_size``).
    """
    prestart(workers, scheduler)  # the workers get ready while the plan is made
    plan = make_plan(experiment)
    out = Path(out) if out is not None else plan.default_out()
    _check_out(out, plan, damaged_ok=True)  # a damaged manifest is looked at under the lock
    back = backend(workers, scheduler)
    interrupted = False
    try:
        with FolderLock(out):
            _recover_manifest(out, plan, experiment, command)
            _check_out(out, plan)  # again, now that no one else can write there
            _prepare_out(out, plan, experiment, command)
            store = Store(out, plan.n_runs, plan.replicates, batch_size=batch_size)
            if retry_failed:
                store.forget_failures()
            return _drive(plan, store, back, progress, task_size)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        back.close(interrupted)


# -- the results folder ----------------------------------------------------------------
def _check_out(out: Path, plan: Plan, damaged_ok: bool = False) -> None:
    """Refuse an output folder that holds something else (nothing is touched);
    ``damaged_ok``: let a manifest that is a file but not JSON pass for now."""
    if os.path.lexists(out / "manifest.json"):  # a link loop or FIFO there: one line
        try:
            old = read_manifest(out)
        except ExperimentError:
            resultsdir.regular_file(out / "manifest.json", ExperimentError)
            if damaged_ok:
                return
            raise
        if old.get("fingerprint") != plan.fingerprint():
            raise ExperimentError(
                "holds results of a different sweep (the experiment, its scenario or the "
                "seed changed); choose another --out or remove the folder", source=str(out))
    elif out.exists() and (not out.is_dir() or any(p.name != resultsdir.LOCK
                                                     for p in out.iterdir())):
        raise ExperimentError("exists and is not a sweep results folder; choose another --out",
                              source=str(out))


def _prepare_out(out: Path, plan: Plan, experiment: Any, command: str | None) -> None:
    """Write what the sweep runs on, manifest first (status ``preparing``, with the
    fingerprint): a folder whose preparation stopped (a file size limit, a full disk) is
    then known as this sweep's and prepared again by the same command."""
    if os.path.lexists(out / "manifest.json") and \
            read_manifest(out).get("status") != PREPARING:
        return
    manifest = _manifest(plan, command)
    write_json(out / "manifest.json", manifest | {"status": PREPARING})
    resultsdir.write_atomic(out / "experiment.yaml", _experiment_text(plan, experiment))
    inputs = resultsdir.copy_inputs(out, _input_files(plan), ExperimentError)
    resolved = relinked(plan.scenario.resolved(),  # edge lists named by their copies
                        {key: Path(entry["copy"]) for key, entry in inputs.items()})
    resultsdir.write_atomic(out / SCENARIO_COPY, yaml.safe_dump(resolved, sort_keys=False)
                            .encode())
    design = plan.design
    point = {"point": np.arange(len(design), dtype=np.int64)}
    write_parquet(out / "points.parquet",
                  {**point, **{n: design.values[n].to_numpy() for n in design.names}})
    if design.unit is not None:
        write_parquet(out / "design.parquet",
                      {**point, **{n: design.unit[:, j] for j, n in enumerate(design.names)}})
    release_memory()
    write_json(out / "manifest.json", manifest | {"inputs": inputs})


def _experiment_text(plan: Plan, experiment: Any) -> bytes:
    """The experiment as kept in the folder: the file as given, or the spec as YAML."""
    if not isinstance(experiment, ExperimentSpec):
        return resultsdir.read_regular(Path(experiment), ExperimentError)
    return yaml.safe_dump(plan.spec.model_dump(mode="json", exclude_none=True),
                          sort_keys=False).encode()


def _recover_manifest(out: Path, plan: Plan, experiment: Any, command: str | None) -> None:
    """Set aside a damaged (truncated) manifest in ``damaged/`` when the folder's copies of
    the experiment and scenario show it is this sweep's, so that the same command resumes
    (the manifest is written again, the finished runs are kept). Otherwise the manifest is
    left as it is and ``_check_out`` refuses the folder in one line."""
    path = out / "manifest.json"
    if not os.path.lexists(path):
        return
    resultsdir.regular_file(path, ExperimentError)  # a FIFO or a link loop: one line
    try:
        read_manifest(out)
        return
    except ExperimentError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
    copies = [out / "experiment.yaml", out / SCENARIO_COPY]
    if plan.spec.design == "table" or _input_files(plan) or \
            not all(p.is_file() and not p.is_symlink() for p in copies):
        return
    resolved = yaml.safe_dump(plan.scenario.resolved(), sort_keys=False).encode()
    if (copies[0].read_bytes(), copies[1].read_bytes()) != \
            (_experiment_text(plan, experiment), resolved):
        return
    damaged = resultsdir.subfolder(out, resultsdir.DAMAGED)
    with resultsdir.storage_errors(path, "cannot set aside the damaged manifest"):
        os.replace(path, damaged / "manifest.json")
    write_json(path, _manifest(plan, command) | {"status": PREPARING})  # prepared again
    print(f"trustsim: warning: {out}: manifest.json is damaged ({reason}); set aside in "
          f"{damaged} and written again; the finished runs are kept", file=sys.stderr)


def _input_files(plan: Plan) -> dict[str, Path]:
    """The files the sweep reads besides its experiment and scenario: the scenario's edge
    lists and a design table (copied into the folder for ``trustsim rerun``)."""
    from sim.scenario.results import input_files

    files = input_files(plan.scenario)
    spec = plan.spec
    if spec.design == "table" and spec.table:
        files[spec.table] = (spec.source.parent if spec.source else Path.cwd()) / spec.table
    return files


def _manifest(plan: Plan, command: str | None) -> dict[str, Any]:
    spec = plan.spec
    return {
        **provenance.header("sweep", command),
        "fingerprint": plan.fingerprint(),
        "experiment": spec.model_dump(mode="json"),
        "experiment_file": str(spec.source) if spec.source else None,
        "scenario_file": str(spec.scenario_path()),
        "scenario_copy": SCENARIO_COPY,
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
                counts=provenance.counts(plan.n_runs, ok, store.n_failed),
                updated=provenance.now(), finished=provenance.now())
    write_json(path, data)
    write_codebook(store.root)


# -- the loop --------------------------------------------------------------------------
def _drive(plan: Plan, store: Store, back: Backend, progress: bool,
           size: int | None = None) -> SweepReport:
    start, cpu0 = time.monotonic(), time.process_time()
    tally = {"ran": 0, "busy": 0.0}
    bar = RunProgress("sweep", plan.n_runs, int(store.done.sum()), store.n_failed,
                      enabled=progress)

    def on_done(output: dict[str, Any]) -> None:
        store.add(output)
        tally["ran"] += 1
        tally["busy"] += output.get("seconds", 0.0)
        bar.advance(failed="error" in output)

    def idle() -> None:
        if store.due():
            store.flush()

    recording = Recording(plan.spec.every, plan.spec.outcomes, plan.spec.weekly,
                          plan.spec.agents)
    first = next(store.missing(), None)
    size = chosen_task_size(size, None if first is None else _spec(plan, first), recording,
                            back.workers, int((~store.done).sum()))
    specs = (_spec(plan, rid) for rid in store.missing())
    try:
        with bar:
            execute(specs, back, on_done, recording, task_size=size, idle=idle)
        store.flush()
        _finish_manifest(store, plan, "complete")
    except BaseException as exc:
        _save_incomplete(store, plan)
        report = _report(store, plan, back.workers, tally, start, cpu0)
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
    return _report(store, plan, back.workers, tally, start, cpu0)


def _spec(plan: Plan, run_id: int) -> RunSpec:
    point, replicate, seed, params = plan.run(run_id)
    return RunSpec(params, seed, {"point": point, "replicate": replicate})


def _save_incomplete(store: Store, plan: Plan) -> None:
    """After a failure or Ctrl-C: write the buffered runs and mark the manifest
    incomplete, as far as the disk still allows."""
    try:
        store.flush()
        _finish_manifest(store, plan, "incomplete")
    except StorageError:
        resultsdir.mark_incomplete(store.root)


def _report(store: Store, plan: Plan, n_workers: int, tally: dict[str, Any], start: float,
            cpu0: float) -> SweepReport:
    return SweepReport(out=store.root, total=plan.n_runs,
                       completed=int(store.done.sum()) - store.n_failed, failed=store.n_failed,
                       ran=int(tally["ran"]), seconds=time.monotonic() - start,
                       busy_seconds=tally["busy"], coordinator_cpu=time.process_time() - cpu0,
                       workers=n_workers)

