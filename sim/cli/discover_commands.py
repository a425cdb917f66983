"""``trustsim discover``: PRIM and CART scenario discovery on a sweep (docs/discovery.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli import app


@app.command()
def discover(
    sweep_dir: Annotated[Path, typer.Argument(help="A sweep's results folder.")],
    outcome: Annotated[str | None, typer.Option(
        "--outcome", help="Outcome (replicate mean per point; default: the experiment's "
                          "discover: block).")] = None,
    where: Annotated[str | None, typer.Option(
        "--where", help="Condition marking the points of interest, e.g. "
                        "'time_to_50_full < -8' or just '< -8' (names, numbers, "
                        "comparisons, and/or/not, + - * /; docs/discovery.md).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="New or empty folder for tables, figures and a manifest "
                            "(default: a new SWEEP_DIR/discovery/<outcome>[-N]).")] = None,
    mass_min: Annotated[float | None, typer.Option(
        "--mass-min", min=0.001, max=0.999, help="Smallest share of points a box or leaf "
                                                 "may hold (default 0.05).")] = None,
) -> None:
    """PRIM box (coverage, density, peeling trajectory) and CART tree of the points where a
    condition holds."""
    from sim.cli.tables import print_table
    from sim.discovery import discover as run
    from sim.scenario.runner import command_line

    res = run(sweep_dir, outcome=outcome, where=where, out=out, mass_min=mass_min,
              command=command_line())
    typer.echo(f"{res.n_interest} of {res.n_points} design points meet "
                  f"{res.where!r} ({res.outcome}, replicate mean)")
    s = res.prim_stats
    print_table(f"PRIM box: coverage {s['coverage']:.2f}, density {s['density']:.2f}, "
                f"mass {s['mass']:.2f}", ["parameter", "low", "high", "swept range"],
                ([r.parameter, f"{r.low:.4g}", f"{r.high:.4g}",
                  f"{r.swept_low:.4g}..{r.swept_high:.4g}"]
                 for r in res.prim_box.itertuples(index=False)))
    best = res.cart_stats.sort_values("density", ascending=False).iloc[0]
    typer.echo(f"CART: {len(res.cart_stats)} leaves; the densest ({best.name}) has "
                  f"coverage {best['coverage']:.2f}, density {best['density']:.2f}")
    for note in res.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"tables and figures in {res.out}")
