"""``trustsim sweep`` and ``trustsim analyze``: experiments at scale (docs/sweeps.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.capacity import DEFAULT_MAX_RUNS
from sim.cli import MAX_WORKERS, app
from sim.cli.figure_options import Size, Style, look


@app.command()
def sweep(
    experiment: Annotated[Path, typer.Argument(help="Experiment file (experiments/*.yaml).")],
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=1, max=MAX_WORKERS,
        help="Local worker processes (default: all cores).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786; runs on that "
                            "cluster's workers.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Results folder (default results/sweeps/<name>); running again "
                            "into it resumes.")] = None,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Run the runs that failed before again.")] = False,
    batch_size: Annotated[int, typer.Option(
        "--batch-size", min=1, help="Runs per Parquet part file (a part is also written "
                                    "after 5 s without one).")] = 50,
    task_size: Annotated[int | None, typer.Option(
        "--task-size", min=1, help="Runs handed to a worker at a time (default: chosen "
                                   "from a run's cost and free memory).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    max_runs: Annotated[int, typer.Option(
        "--max-runs", min=1, help="Refuse a sweep of more runs than this (checked before "
                                  "anything is written).")] = DEFAULT_MAX_RUNS,
) -> None:
    """Run an experiment's design points x replicates; resume an interrupted sweep."""
    from sim.runner import prestart

    prestart(workers, scheduler)  # first: the workers get ready while the rest imports
    from sim import capacity
    from sim.scenario.runner import command_line
    from sim.sweep.runner import SweepInterrupted, run

    try:
        with capacity.max_runs(max_runs):
            report = run(experiment, workers=workers, scheduler=scheduler, out=out,
                         progress=not quiet, retry_failed=retry_failed,
                         batch_size=batch_size, command=command_line(),
                         task_size=task_size)
    except SweepInterrupted as stop:
        done = stop.report
        typer.echo(f"trustsim: interrupted; {done.completed + done.failed} of {done.total} "
                   f"runs are saved in {done.out} (manifest.json says incomplete); run the "
                   "same command again to resume: only the missing runs run", err=True)
        sys.exit(130)
    typer.echo(f"{report.completed} of {report.total} runs finished "
               f"({report.ran} this time, {report.seconds:.1f} s); results in {report.out}")
    if report.failed:
        typer.echo(f"trustsim: {report.failed} of {report.total} runs failed; errors and "
                   f"seeds in {report.out / 'failures'}", err=True)
        sys.exit(1)  # not typer.Exit: sim.cli.main runs the app with standalone_mode=False


@app.command()
def analyze(
    sweep_dir: Annotated[Path, typer.Argument(help="A sweep's results folder.")],
    outcome: Annotated[list[str] | None, typer.Option(
        "--outcome", "--outcomes",
        help="Outcome to analyse (repeatable): limits the point summary, the indices and "
             "the figures (default: every outcome in the tables; figures of the main "
             "adoption, durability and equity outcomes).")] = None,
    point: Annotated[list[int] | None, typer.Option(
        "--point", help="Design point for adoption curves (repeatable).")] = None,
    top: Annotated[int, typer.Option(
        "--top", min=1, help="Parameters shown per outcome on the console.")] = 5,
    style: Style = None,
    size: Size = None,
) -> None:
    """Sobol / Morris / PAWN indices with their diagnostics, per-point tables and figures
    for a finished sweep."""
    from rich.console import Console

    from sim.sweep.analysis import analyze as run_analysis

    result = run_analysis(sweep_dir, outcomes=outcome or None, points=point or None,
                          look=look(style, size))
    console = Console()
    for name, table in result.tables.items():
        if name.endswith("_indices") and not table.empty:
            _print_top(console, result, name, table, top)
    for note in result.notes:
        console.print(f"note: {note}")
    for warning in result.warnings:  # also in the tables' warning column
        typer.echo(f"trustsim: warning: {warning}", err=True)
    console.print(f"wrote {len(result.tables)} tables and {len(result.figures)} figures "
                  f"to {result.out}")


TITLES = {"sobol": "Sobol", "morris": "Morris", "pawn": "PAWN"}


def _print_top(console, result, name: str, table, top: int) -> None:
    """The strongest parameters per outcome, largest effect first, with 95% intervals."""
    from rich.table import Table

    from sim.sweep.analysis import EFFECT, top_parameters

    design = name.removesuffix("_indices")
    effect, conf = EFFECT[design]
    shown = Table(title=f"{TITLES[design]}: top {top} parameters per outcome by "
                        f"{effect} (all: {result.out / name}.csv)", title_justify="left")
    for col in ("outcome", "parameter", f"{effect} [95%]", "never reached"):
        shown.add_column(col, overflow="fold")
    table = table[table["outcome"].isin(result.focus)]
    for outcome, rows in top_parameters(table, design, top).groupby("outcome", sort=False):
        for i, row in enumerate(rows.itertuples(index=False)):
            value, half = getattr(row, effect), getattr(row, conf)
            never = "" if row.censored != row.censored else f"{row.censored:.0%}"
            shown.add_row(outcome if i == 0 else "", row.parameter,
                          f"{value:.3f} [{max(value - half, 0):.3f}, {value + half:.3f}]",
                          never if i == 0 else "", end_section=i == len(rows) - 1)
    console.print(shown)
