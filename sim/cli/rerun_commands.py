"""``trustsim rerun``: reproduce a results folder from its manifest."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli import MAX_WORKERS, app


@app.command()
def rerun(
    results_dir: Annotated[Path, typer.Argument(
        help="A folder written by trustsim run or trustsim sweep.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="New results folder (running again into it resumes).")],
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=1, max=MAX_WORKERS,
        help="Local worker processes (default: all cores).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786.")] = None,
) -> None:
    """Run what a results folder's manifest recorded again, into a new folder."""
    from sim.rerun import rerun as run_again
    from sim.scenario.runner import command_line

    try:
        folder = run_again(results_dir, out, workers=workers, scheduler=scheduler,
                           progress=True, command=command_line())
    except KeyboardInterrupt:
        print(f"trustsim: interrupted; finished runs are kept in {out}; run the same "
              "command again to resume", file=sys.stderr)
        sys.exit(130)
    typer.echo(f"reran {results_dir} into {folder}")
