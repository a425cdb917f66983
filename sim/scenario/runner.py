"""Run every arm x replicate of a scenario over local processes, writing as runs finish.

Workers are separate processes (forkserver where available, else spawn) that ignore
Ctrl-C: the main process catches it, cancels runs not started, saves the runs in
flight and marks the results folder incomplete.
"""

from __future__ import annotations

import multiprocessing
import os
import shlex
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.progress import RunProgress
from sim.scenario.loader import Scenario, load_scenario
from sim.scenario.results import ResultsWriter, ScenarioResult, prepare_folder

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


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _context() -> multiprocessing.context.BaseContext:
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _run_serial(scenario: Scenario, tasks: list[Task], on_done: OnDone) -> None:
    from sim.runs import run_once

    for task in tasks:
        on_done(task, run_once(scenario.arm_params(task[0]), task[2]))


def _run_pool(scenario: Scenario, tasks: list[Task], workers: int, on_done: OnDone) -> None:
    from sim.runs import run_once

    params = {arm: scenario.arm_params(arm) for arm in scenario.arms}
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                               initializer=_ignore_sigint)
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
    ``figures``, PNG and SVG figures) is written there; an existing folder is refused
    unless ``overwrite``. Without ``out`` nothing is kept on disk. The numbers do not
    depend on ``workers``. Ctrl-C keeps finished runs and marks the folder incomplete.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    scenario = scenario.with_overrides(replicates=replicates, seed=seed)
    tasks = plan(scenario)
    workers = max(1, min(int(workers), len(tasks)))
    with _folder(out, overwrite) as folder:
        if command is None:
            command = "python: sim.run_scenario" if out is None else None
        writer = ResultsWriter(folder, scenario, tasks, command, workers)
        label = f"{scenario.name}: {len(scenario.arms)} arms x {scenario.replicates} replicates"
        with RunProgress(label, len(tasks), enabled=progress) as bar:
            def on_done(task: Task, output: Any) -> None:
                writer.add(*task, output.timeseries, output.summary)
                bar.advance()

            try:
                if workers == 1:
                    _run_serial(scenario, tasks, on_done)
                else:
                    _run_pool(scenario, tasks, workers, on_done)
            except KeyboardInterrupt:
                writer.finish("incomplete")
                raise
            except BaseException as exc:
                writer.finish("incomplete", error=f"{type(exc).__name__}: {exc}")
                raise
        writer.finish("complete")
        result = ScenarioResult.load(folder)
        if out is None:
            result.path = None
        elif figures:
            result.plot(folder / "figures")
        return result


@contextmanager
def _folder(out: str | Path | None, overwrite: bool) -> Iterator[Path]:
    if out is not None:
        folder = Path(out)
        prepare_folder(folder, overwrite)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="trustsim-") as tmp:
        folder = Path(tmp) / "results"
        folder.mkdir()
        yield folder


def command_line() -> str:
    """How this process was started, for the manifest."""
    return shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])
