"""``trustsim run``, ``validate``, ``plot`` and ``list``: scenario files from the shell."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sim.cli import MAX_WORKERS, app
from sim.cli.figure_options import Size, Style, look
from sim.errors import ScenarioError, TrustsimError


def _console() -> Console:
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    return console


def shipped_scenarios_dir() -> Path:
    """``./scenarios`` when present, else the scenarios shipped beside the package."""
    here = Path("scenarios")
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "scenarios"


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    replicates: Annotated[int | None, typer.Option(
        "--replicates", "-n", min=1, help="Replicates per arm (default: the file's).")] = None,
    seed: Annotated[int | None, typer.Option(
        min=0, help="Base seed (default: the file's).")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=1, max=MAX_WORKERS,
        help="Worker processes (default: all cores).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Results folder (default: results/<scenario name>); running again into an "
             "unfinished one resumes it.")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing results folder written by trustsim run "
                            "(never one holding other files).")] = False,
    weeks: Annotated[int | None, typer.Option(
        min=1, help="Weeks to simulate (default: the file's).")] = None,
    figures: Annotated[bool, typer.Option(
        help="Draw the figures (PNG and SVG) into the results folder.")] = True,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786; runs on that "
                            "cluster's workers.")] = None,
    task_size: Annotated[int | None, typer.Option(
        "--task-size", min=1, help="Runs handed to a worker at a time (default: chosen "
                                   "from a run's cost and free memory).")] = None,
) -> None:
    """Run every arm x replicate, save the results folder, print the comparison."""
    from sim.scenario import load_scenario, run_scenario
    from sim.scenario.runner import command_line
    from sim.workerpool import default_workers

    sc = load_scenario(scenario, replicates=replicates, seed=seed, weeks=weeks)
    folder = out if out is not None else Path("results") / sc.name
    workers = min(workers or default_workers(), len(sc.arms) * sc.replicates)
    cost = check_capacity(sc, 1 if scheduler else workers)
    where = f"Dask scheduler {scheduler}" if scheduler else f"{workers} worker(s)"
    console = _console()
    console.print(f"[bold]{sc.name}[/]: {len(sc.arms)} arms ({', '.join(sc.arms)}) x "
                  f"{sc.replicates} replicates, {sc.weeks} weeks, seed {sc.seed}, "
                  f"{where}; {cost.describe()}")
    try:
        result = run_scenario(sc, workers=workers, out=folder, overwrite=overwrite,
                              progress=True, figures=figures, command=command_line(),
                              scheduler=scheduler, task_size=task_size)
    except KeyboardInterrupt:
        _interrupted(folder)
    print_summary(result, console)
    console.print(f"\nResults: {folder}/ (timeseries.parquet, summaries.parquet, summary.csv, "
                  "codebook.csv, manifest.json)")
    if figures:
        console.print(f"Figures: {folder / 'figures'}/ (" + ", ".join(
            f"{n}.png" for n in ("adoption", "stages", "trust", "reach", "hours"))
            + "; SVG too)")


def check_capacity(sc, workers: int):
    """The costliest arm's estimate; ScenarioError if ``workers`` runs at once do not fit."""
    from sim import capacity
    from sim.yamlfile import display_path

    costs = [capacity.estimate(sc.arm_params(arm)) for arm in sc.arms]
    cost = capacity.Estimate(max(c.bytes for c in costs), max(c.seconds for c in costs))
    capacity.check_run(cost, workers, ScenarioError, display_path(sc.source), "population")
    return cost


def _interrupted(folder: Path) -> None:
    """Say what was kept and how to resume; exit 130 (typer would turn Ctrl-C into a
    silent return)."""
    from sim.scenario.results import read_manifest

    try:
        manifest = read_manifest(folder)
    except TrustsimError:  # interrupted before the folder was set up
        print("trustsim: interrupted before any run was saved", file=sys.stderr)
        sys.exit(130)
    print(f"trustsim: interrupted; {manifest.get('finished_runs', 0)} of "
          f"{manifest.get('planned_runs', '?')} runs finished and are kept in {folder} "
          "(manifest.json says incomplete; trustsim plot draws them); run the same command "
          "again to run only the missing ones", file=sys.stderr)
    sys.exit(130)


def print_summary(result, console: Console) -> None:
    """The per-arm medians and between-arm differences as one table."""
    table_data = result.table(long=True)
    printed = result.table()
    horizon = result.weeks
    n = result.summaries.groupby("arm").size()
    table = Table(title=f"{result.name}: medians [95% interval] over replicates, "
                        f"{horizon} weeks", title_justify="left", show_lines=False)
    table.add_column("outcome")
    for col in printed.columns:
        if col in n:
            table.add_column(f"{col}\n(n={n[col]})", justify="right", overflow="fold")
        else:
            table.add_column(col.replace(" - ", "\n- ") + "\n(difference)", justify="right",
                             style="bold", overflow="fold")
    for label, cells in printed.iterrows():
        table.add_row(label, *(c.replace(" (", "\n(") for c in cells))
    console.print(table)
    low_cov = table_data["coverage"].dropna()
    notes = [f"'>{horizon}': not reached within the run (never-reached runs count as "
             f"censored at week {horizon}, not dropped).",
             "Differences: median of the later arm minus median of the first, 95% paired "
             "bootstrap interval (replicate i shares its seed across arms); '<' or '>': a "
             "median was censored, so the true difference lies beyond."]
    if (table_data["n"] == 0).any():
        notes.append("'n/a': undefined in every run, e.g. sustainability when no agency "
                     "reached full implementation (codebook.csv says what NaN means).")
    if len(low_cov) and low_cov.min() < 0.95:
        notes.append(f"With so few replicates the interval is the full range of runs "
                     f"(coverage {low_cov.min():.0%}); use more replicates for 95%.")
    if not result.complete:
        notes.append("INCOMPLETE run: only finished replicates are summarised.")
    for note in notes:
        console.print(f"[dim]{note}[/]")


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check scenario files without running them."""
    from sim.scenario import load_scenario

    failed = 0
    for path in scenarios:
        try:
            sc = load_scenario(path)
        except TrustsimError as exc:
            failed += 1
            print(f"trustsim: {exc}", file=sys.stderr)
            continue
        print(f"ok: {path}: {sc.name}: arms {', '.join(sc.arms)}; {sc.weeks} weeks x "
              f"{sc.replicates} replicates")
    if failed:
        sys.exit(2)  # not typer.Exit: main() runs click with standalone_mode=False


@app.command()
def plot(
    results_dir: Annotated[Path, typer.Argument(help="A folder written by trustsim run.")],
    out: Annotated[Path | None, typer.Option(
        help="Where to write figures (default: RESULTS_DIR/figures).")] = None,
    style: Style = None,
    size: Size = None,
) -> None:
    """Redraw the figures (PNG and SVG) from saved results."""
    from sim.resultsdir import subfolder
    from sim.scenario import ScenarioResult
    from sim.scenario.plots import draw_all

    result = ScenarioResult.load(results_dir)
    target = out if out is not None else subfolder(results_dir, "figures")
    figures = draw_all(result, target, look(style, size))
    if not result.complete:
        print(f"note: {results_dir} holds an incomplete run; figures show finished runs only")
    for name in figures:
        print(f"{target / name}.png  {target / name}.svg")


@app.command(name="list")
def list_(
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="Folder of scenario files (default: ./scenarios).")] = None,
) -> None:
    """The shipped scenarios and interaction types, one line each."""
    from sim.catalogue import load_catalogue
    from sim.scenario import load_scenario

    console = _console()
    folder = directory or shipped_scenarios_dir()
    table = Table(title=f"Scenarios in {folder}", title_justify="left")
    for col in ("file", "arms", "what it asks"):
        table.add_column(col)
    for path in sorted(folder.glob("*.yaml")):
        try:
            sc = load_scenario(path)
            table.add_row(path.name, ", ".join(sc.arms), _first_line(sc.description))
        except TrustsimError as exc:
            table.add_row(path.name, "", f"[red]invalid: {exc}[/]")
    console.print(table)
    types = Table(title="Interaction types (sim/data/interactions.yaml)", title_justify="left")
    for col in ("type", "strategy", "hours", "what it does"):
        types.add_column(col)
    for name, t in load_catalogue().items():
        types.add_row(name, t.strategy, f"{t.hours:g}", _first_line(t.description))
    console.print(types)


def _first_line(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[:end + 1]
