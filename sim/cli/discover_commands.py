"""``trustsim discover``: PRIM and CART scenario discovery on a sweep (docs/discovery.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli import app
from sim.discovery_checks import RESAMPLES, cases


@app.command()
def discover(
    sweep_dir: Annotated[Path, typer.Argument(help="A sweep's results folder.")],
    outcome: Annotated[str | None, typer.Option(
        "--outcome", help="Outcome (its median over each point's replicates, a time never "
                          "reached counting as the horizon; default: the experiment's "
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
    box: Annotated[int | None, typer.Option(
        "--box", min=0, help="Report this box of the peeling trajectory (its number in the "
                             "printed trajectory; default: the last).")] = None,
    resamples: Annotated[int, typer.Option(
        "--resamples", min=0, max=10_000, help="Bootstrap resamples for the box's "
                                               "stability (0: none).")] = RESAMPLES,
    seed: Annotated[int, typer.Option(
        "--seed", min=0, help="Seed of the resamples and of CART's tie-breaking.")] = 0,
) -> None:
    """PRIM box (coverage, density, peeling trajectory) and CART tree of the points where a
    condition holds."""
    from sim.cli.tables import print_table
    from sim.discovery import discover as run
    from sim.scenario.runner import command_line

    res = run(sweep_dir, outcome=outcome, where=where, out=out, mass_min=mass_min,
              command=command_line(), box=box, resamples=resamples, seed=seed)
    typer.echo(f"{res.n_interest} of {res.n_points} design points meet "
               f"{res.where!r} ({res.outcome}: median of each point's replicates)")
    print_table("PRIM peeling trajectory (* the box reported; choose another with --box)",
                ["box", "coverage", "density", "mass", "points", "cases", "restricted"],
                ([f"{r.box}{' *' if r.box == res.box else ''}", f"{r.coverage:.2f}",
                  f"{r.density:.2f}", f"{r.mass:.2f}", str(r.n_points), str(r.n_cases),
                  str(r.restricted)] for r in res.trajectory.itertuples(index=False)))
    s = res.prim_stats
    print_table(f"PRIM box {res.box}: coverage {s['coverage']:.2f}, density "
                f"{s['density']:.2f}, mass {s['mass']:.2f}; {cases(int(s['k']))} of interest "
                f"among {int(s['n'])} points",
                ["parameter", "low", "high", "swept range", "restricted in resamples"],
                ([r.parameter, f"{r.low:.4g}", f"{r.high:.4g}",
                  f"{r.swept_low:.4g}..{r.swept_high:.4g}", _share(res, r.parameter)]
                 for r in res.prim_box.itertuples(index=False)))
    if res.stability is not None:
        others = res.stability[~res.stability["in_box"] & (res.stability["restricted_share"]
                                                           > 0)]
        if len(others):
            typer.echo("restricted by resampled boxes but not by this one: " + ", ".join(
                f"{r.parameter} {r.restricted_share:.0%}" for r in others.itertuples()))
    best = res.cart_stats.sort_values("density", ascending=False).iloc[0]
    typer.echo(f"CART: {len(res.cart_stats)} leaves; the densest ({best.name}) has "
               f"coverage {best['coverage']:.2f}, density {best['density']:.2f}, "
               f"{cases(int(best['n_cases']))} of interest among {int(best['n_points'])} "
               "points")
    for note in res.notes:
        typer.echo(f"note: {note}")
    for warning in res.warnings:  # also in the manifest
        typer.echo(f"trustsim: warning: {warning}", err=True)
    typer.echo(f"tables and figures in {res.out}")


def _share(res, parameter: str) -> str:
    """How often the bootstrap resamples' nearest boxes restrict ``parameter``."""
    if res.stability is None:
        return "-"
    row = res.stability.set_index("parameter").loc[parameter]
    return f"{row['restricted_share']:.0%} of {res.resamples_used}"
