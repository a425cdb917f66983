"""Run every arm x replicate of a scenario over local processes, writing as runs finish.

Workers are separate processes (``sim.workerpool``) that ignore Ctrl-C and exit when
this process dies: the main process catches Ctrl-C, cancels runs not started, saves the
runs in flight and marks the results folder incomplete. Running the same call into the
same folder again resumes: only the missing runs run.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim import resultsdir
from sim.progress import RunProgress
from sim.resultsdir import StorageError, storage_errors
from sim.scenario.loader import Scenario, load_scenario
from sim.scenario.results import ResultsWriter, ScenarioResult, open_folder

Task = tuple[str, int, int]  # arm, replicate, seed
OnDone = Callable[[Task, Any], None]


def plan(scenario: Scenario) -> list[Task]:
    """Every (arm, replicate, seed), replicate-major so an interrupted run stays balanced."""
    from sim.runs import spawn_seeds

    seeds = spawn_seeds(scenario.seed, scenario.replicates)
    return [(arm, rep, int(seeds[rep])) for rep in range(scenario.replicates)
            for arm in scenario.arms]


def default_workers() -> int:
    """All usable cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _run_serial(scenario: Scenario, tasks: list[Task], on_done: OnDone) -> None:
    from sim.runs import run_once

    for task in tasks:
        on_done(task, run_once(scenario.arm_params(task[0]), task[2]))


def _run_pool(scenario: Scenario, tasks: list[Task], workers: int, on_done: OnDone) -> None:
    from sim.runs import run_once
    from sim.workerpool import local_pool

    params = {arm: scenario.arm_params(arm) for arm in scenario.arms}
    pool = local_pool(workers)
    futures: dict[Future, Task] = {pool.submit(run_once, params[t[0]], t[2]): t for t in tasks}
    saved: set[Future] = set()
    try:
        for future in as_completed(futures):
            on_done(futures[future], future.result())
            saved.add(future)
    except BaseException:
        # Ctrl-C or a failed run: drop runs not started, keep the ones in flight.
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        except KeyboardInterrupt:
            pass
        for future, task in futures.items():
            if future not in saved and future.done() and not future.cancelled() \
                    and future.exception() is None:
                on_done(task, future.result())
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def run_scenario(scenario: Scenario | str | Path, replicates: int | None = None,
                 seed: int | None = None, workers: int = 1, out: str | Path | None = None,
                 overwrite: bool = False, progress: bool = False, figures: bool = True,
                 command: str | None = None) -> ScenarioResult:
    """Run every arm x replicate of a scenario (or scenario file); return the results.

    With ``out`` the results folder (Parquet, summary.csv, manifest.json and, with
    ``figures``, PNG and SVG figures) is written there, locked against a second writer.
    A folder holding an unfinished run of the same scenario and plan is resumed (only the
    missing runs run); a complete one is refused unless ``overwrite``, which deletes
    only what trustsim wrote. Without ``out`` nothing is kept on disk. The numbers do not
    depend on ``workers`` or on interruptions. Ctrl-C keeps finished runs and marks the
    folder incomplete.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    scenario = scenario.with_overrides(replicates=replicates, seed=seed)
    tasks = plan(scenario)
    workers = max(1, min(int(workers), len(tasks)))
    with _folder(out, overwrite, scenario, tasks) as (folder, resume):
        if command is None:
            command = "python: sim.run_scenario" if out is None else None
        writer = ResultsWriter(folder, scenario, tasks, command, workers, resume=resume)
        _run_into(writer, scenario, workers, progress)
        result = ScenarioResult.load(folder)
        if out is None:
            result.path = None
        elif figures:
            with storage_errors(folder / "figures", "cannot write the figures"):
                result.plot(folder / "figures")
        return result


def _run_into(writer: ResultsWriter, scenario: Scenario, workers: int, progress: bool
              ) -> None:
    """Run the writer's missing runs and seal the folder; on any failure mark it
    incomplete (where the disk still allows) and re-raise."""
    todo = writer.missing()
    label = f"{scenario.name}: {len(scenario.arms)} arms x {scenario.replicates} replicates"
    with RunProgress(label, len(writer.runs), len(writer.done), enabled=progress) as bar:
        def on_done(task: Task, output: Any) -> None:
            writer.add(*task, output.timeseries, output.summary)
            bar.advance()

        try:
            if workers == 1 or len(todo) <= 1:
                _run_serial(scenario, todo, on_done)
            else:
                _run_pool(scenario, todo, min(workers, len(todo)), on_done)
            writer.finish("complete")
        except BaseException as exc:
            error = None if isinstance(exc, KeyboardInterrupt) else \
                f"{type(exc).__name__}: {exc}"
            try:
                writer.finish("incomplete", error=error)
            except StorageError:
                resultsdir.mark_incomplete(writer.out, error=error)
            if isinstance(exc, StorageError) and writer.started:
                exc.exit_code = 1  # runs were under way: a failure mid-run
            raise


@contextmanager
def _folder(out: str | Path | None, overwrite: bool, scenario: Scenario, tasks: list[Task]
            ) -> Iterator[tuple[Path, bool]]:
    """The results folder, locked, and whether to resume; a temporary one without out."""
    if out is not None:
        folder = Path(out)
        lock, resume = open_folder(folder, overwrite, scenario, tasks)
        try:
            yield folder, resume
        finally:
            lock.release()
        return
    with tempfile.TemporaryDirectory(prefix="trustsim-") as tmp:
        folder = Path(tmp) / "results"
        folder.mkdir()
        yield folder, False


def command_line() -> str:
    """How this process was started, for the manifest."""
    return shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])
