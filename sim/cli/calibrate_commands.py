"""``trustsim calibrate``: fit a scenario arm to observed data (docs/calibration.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli import MAX_WORKERS, app


@app.command()
def calibrate(
    calibration: Annotated[Path, typer.Argument(help="Calibration file (experiments/"
                                                     "calibrate_*.yaml).")],
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=1, max=MAX_WORKERS,
        help="Local worker processes (default 1).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Results folder (default results/calibrations/<name>); running "
                            "again into it continues an interrupted calibration.")] = None,
) -> None:
    """ABC-SMC calibration; prints posterior medians with 95% credible intervals."""
    from sim.calibration.runner import CalibrationInterrupted
    from sim.calibration.runner import calibrate as run
    from sim.cli.tables import print_table

    try:
        report = run(calibration, workers=workers, scheduler=scheduler, out=out)
    except CalibrationInterrupted as stop:
        typer.echo(f"trustsim: {stop}", err=True)
        sys.exit(stop.exit_code)  # not typer.Exit: sim.cli.main runs with standalone_mode=False
    print_table(f"Posterior medians and 95% credible intervals "
                f"({report.out / 'posterior_summary.csv'})",
                ["parameter", "median", "2.5%", "97.5%"],
                ([r.parameter, f"{r.median:.4g}", f"{r.low_95:.4g}", f"{r.high_95:.4g}"]
                 for r in report.summary.itertuples(index=False)))
    typer.echo(f"{report.generations} generations ({report.ran_generations} this time), "
                  f"{report.simulations} simulations; results in {report.out}")
    typer.echo(report.stopped)
    for note in report.notes:
        typer.echo(f"trustsim: warning: {note}", err=True)
