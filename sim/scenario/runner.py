"""Run every arm x replicate of a scenario on the one runner (``sim.runner``), writing
as runs finish.

A scenario run is a sweep of one point: its run specs are arms x replicates, and every
arm of replicate r gets the seed of (point 0, replicate r), so arms share seeds (common
random numbers). Workers are this process, local processes (``sim.workerpool``) that
ignore Ctrl-C and exit when this process dies, or a Dask cluster. The main process
catches Ctrl-C, cancels runs not started, saves the runs that finished and marks the
results folder incomplete. Running the same call into the same folder again resumes: only
the missing runs run.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from sim import resultsdir
from sim.errors import TrustsimError
from sim.progress import RunProgress
from sim.resultsdir import StorageError, storage_errors
from sim.runner import (
    Backend,
    Recording,
    RunSpec,
    backend,
    chosen_task_size,
    execute,
    one_line,
    prestart,
)
from sim.scenario.loader import Scenario, load_scenario
from sim.scenario.results import ResultsWriter, ScenarioResult, open_folder

Task = tuple[str, int, int]  # arm, replicate, seed


def plan(scenario: Scenario) -> list[Task]:
    """Every (arm, replicate, seed), replicate-major so an interrupted run stays balanced."""
    from sim.runs import run_seed

    return [(arm, rep, run_seed(scenario.seed, 0, rep)) for rep in range(scenario.replicates)
            for arm in scenario.arms]


def run_scenario(scenario: Scenario | str | Path, replicates: int | None = None,
                 seed: int | None = None, workers: int = 1, out: str | Path | None = None,
                 overwrite: bool = False, progress: bool = False, figures: bool = True,
                 command: str | None = None, scheduler: str | None = None,
                 task_size: int | None = None) -> ScenarioResult:
    """Run every arm x replicate of a scenario (or scenario file); return the results.

    With ``out`` the results folder (Parquet, summary.csv, manifest.json and, with
    ``figures``, PNG and SVG figures) is written there, locked against a second writer.
    ``workers`` local processes, or with ``scheduler`` (``tcp://host:port``) the workers
    of a Dask cluster, run the runs, in tasks of ``task_size`` runs (default:
    ``sim.runner.task_size``).
    A folder holding an unfinished run of the same scenario and plan is resumed (only the
    missing runs run); a complete one is refused unless ``overwrite``, which deletes
    only what trustsim wrote. Without ``out`` nothing is kept on disk. The numbers do not
    depend on ``workers`` or on interruptions. Ctrl-C keeps finished runs and marks the
    folder incomplete.
    """
    prestart(workers, scheduler)  # local workers get ready while the scenario is read
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    scenario = scenario.with_overrides(replicates=replicates, seed=seed)
    tasks = plan(scenario)
    back = backend(max(1, min(int(workers), len(tasks))), scheduler)  # before any write
    interrupted = False
    try:
        with _folder(out, overwrite, scenario, tasks, figures) as (folder, resume):
            if command is None:
                command = "python: sim.run_scenario" if out is None else None
            writer = ResultsWriter(folder, scenario, tasks, command, back.workers,
                                   resume=resume)
            _run_into(writer, scenario, back, progress, task_size)
            return _result(folder, out, figures)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        back.close(interrupted)


def _result(folder: Path, out: str | Path | None, figures: bool) -> ScenarioResult:
    """The results just written; figures drawn into a kept folder."""
    result = ScenarioResult.load(folder)
    if out is None:
        result.path = None
    elif figures:
        figures = resultsdir.subfolder(folder, "figures")  # never through a link
        with storage_errors(figures, "cannot write the figures"):
            result.plot(figures)
    return result


def specs(scenario: Scenario, tasks: list[Task]) -> list[RunSpec]:
    """The run specs of some of a scenario's (arm, replicate, seed) tasks."""
    params = {arm: scenario.arm_params(arm) for arm in scenario.arms}
    return [RunSpec(params[arm], seed, {"arm": arm, "replicate": rep})
            for arm, rep, seed in tasks]


def _run_into(writer: ResultsWriter, scenario: Scenario, back: Backend, progress: bool,
              size: int | None = None) -> None:
    """Run the writer's missing runs and seal the folder; on any failure mark it
    incomplete (where the disk still allows) and re-raise."""
    todo = writer.missing()
    label = f"{scenario.name}: {len(scenario.arms)} arms x {scenario.replicates} replicates"
    with RunProgress(label, len(writer.runs), len(writer.done), enabled=progress) as bar:
        def on_done(output: dict[str, Any]) -> None:
            if "error" in output:
                raise RunFailed(f"run {output['arm']} #{output['replicate']} (seed "
                                f"{output['seed']}) failed: {output['error']}")
            writer.add(output["arm"], output["replicate"], output["seed"],
                       pd.DataFrame(output["timeseries"]), output["summary"])
            bar.advance()

        try:
            runs = specs(scenario, todo)
            size = chosen_task_size(size, runs[0] if runs else None, Recording(),
                                    back.workers, len(runs))
            execute(runs, back, on_done, task_size=size)
            writer.finish("complete")
        except BaseException as exc:
            error = None if isinstance(exc, KeyboardInterrupt) else one_line(exc)
            try:
                writer.finish("incomplete", error=error)
            except StorageError:
                resultsdir.mark_incomplete(writer.out, error=error)
            if isinstance(exc, StorageError) and writer.started:
                exc.exit_code = 1  # runs were under way: a failure mid-run
            raise


class RunFailed(TrustsimError):
    """A run of a scenario raised: the folder keeps the runs that finished (exit 1)."""

    exit_code = 1


@contextmanager
def _folder(out: str | Path | None, overwrite: bool, scenario: Scenario, tasks: list[Task],
            figures: bool = False) -> Iterator[tuple[Path, bool]]:
    """The results folder, locked, and whether to resume; a temporary one without out."""
    if out is not None:
        folder = Path(out)
        lock, resume = open_folder(folder, overwrite, scenario, tasks, figures)
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
