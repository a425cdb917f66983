"""Analyse a finished sweep: per-point tables, Sobol / Morris indices, figures.

Sensitivity indices come from SALib on the replicate mean of each design point, with
SALib's bootstrap confidence intervals. A time outcome that was never reached in a run
(NaN) counts as the run's horizon (right-censored), so that a point that never gets
there ranks as the slowest rather than dropping out of the design.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ExperimentError
from sim.scenario.stats import TIME_OUTCOMES
from sim.sweep.design import problem
from sim.sweep.results import IDS, SweepResults, load

#: Outcomes figures show when none are named: adoption speed, depth, durability, equity.
FOCUS = ("time_to_50_full", "final_share_at_full", "final_sustainability", "final_reach",
         "reach_gap", "trust_agency_isp_final")
TIMES = TIME_OUTCOMES  # one list of time-to-event outcomes (sim.scenario.stats)


@dataclass
class Analysis:
    """What ``analyze`` wrote: tables (also as CSV), figure files, and notes on anything it
    could not compute and why."""

    out: Path
    focus: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def analyze(root: str | Path, outcomes: list[str] | None = None,
            points: list[int] | None = None, out: str | Path | None = None) -> Analysis:
    """Analyse the sweep in ``root``; write tables and figures to ``root/analysis``."""
    res = load(root)
    result = Analysis(Path(out) if out else res.root / "analysis")
    result.out.mkdir(parents=True, exist_ok=True)
    if res.summaries.empty:
        result.notes.append("no finished runs to analyse")
        return result
    names = _outcome_columns(res)
    unknown = [o for o in outcomes or [] if o not in names]
    if unknown:
        raise ExperimentError(f"no outcome '{unknown[0]}' in this sweep; it has: "
                              + ", ".join(names), source=str(root), field="--outcome")
    focus = result.focus = [o for o in (outcomes or FOCUS) if o in names] or names[:4]
    _save(result, "point_summary", point_table(res, names))
    design = res.manifest["design"]
    if design in ("sobol", "morris"):
        _save(result, f"{design}_indices", _sensitivity(res, names, design, result.notes))
        _bars(result, result.tables[f"{design}_indices"], design, focus)
    if design == "grid":
        _grid_figures(result, res, focus)
    _adoption(result, res, points)
    if len(res.failures):
        result.notes.append(f"{len(res.failures)} runs failed; see failures/ "
                            "(the tables use the runs that finished)")
    return result


# -- tables ----------------------------------------------------------------------------
def _outcome_columns(res: SweepResults) -> list[str]:
    skip = set(IDS) | {"seed", "seconds"} | set(res.parameters)
    return [c for c in res.summaries.columns
            if c not in skip and pd.api.types.is_numeric_dtype(res.summaries[c])]


def point_table(res: SweepResults, outcomes: list[str]) -> pd.DataFrame:
    """Per design point and outcome: replicate mean, 95% t-interval and count (NaN, e.g.
    a time never reached, is left out of the count)."""
    from scipy import stats

    g = res.summaries.groupby("point")
    mean, sd, n = g[outcomes].mean(), g[outcomes].std(ddof=1), g[outcomes].count()
    half = stats.t.ppf(0.975, (n - 1).clip(lower=1)) * sd / np.sqrt(n)
    half = half.where(n > 1)
    cols = {}
    for o in outcomes:
        cols[(o, "mean")] = mean[o]
        cols[(o, "ci_low")] = mean[o] - half[o]
        cols[(o, "ci_high")] = mean[o] + half[o]
        cols[(o, "n")] = n[o]
    table = pd.DataFrame(cols)
    table.columns = [f"{o}_{s}" for o, s in table.columns]
    table = res.points.set_index("point").join(table, how="right")
    return table.reset_index()


def point_means(res: SweepResults, outcome: str) -> np.ndarray:
    """Replicate mean of one outcome per design point, times censored at the horizon."""
    values = res.summaries[outcome]
    if outcome in TIMES:  # the horizon: the point's weeks when swept, else the scenario's
        horizon = (res.summaries["weeks"] if "weeks" in res.parameters
                   else float(res.manifest["base_params"].get("weeks", np.nan)))
        values = values.fillna(horizon)
    means = values.groupby(res.summaries["point"]).mean()
    return means.reindex(range(len(res.points))).to_numpy()


def _sensitivity(res: SweepResults, outcomes: list[str], design: str,
                 notes: list[str]) -> pd.DataFrame:
    from SALib.analyze import morris, sobol

    spec = res.manifest["experiment"]
    names = res.parameters
    prob = problem(names)
    rows = []
    for o in outcomes:
        y = point_means(res, o)
        if np.isnan(y).any():
            notes.append(f"{o}: {int(np.isnan(y).sum())} design points have no finished "
                         "run; no indices")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{o}: the same at every design point; no indices")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if design == "sobol":
                si = sobol.analyze(prob, y, calc_second_order=spec["second_order"],
                                   seed=spec["seed"])
                keys = ("S1", "S1_conf", "ST", "ST_conf")
            else:
                x = pd.read_parquet(res.root / "design.parquet")[names].to_numpy()
                si = morris.analyze(prob, x, y, num_levels=spec["levels"], seed=spec["seed"])
                keys = ("mu", "mu_star", "sigma", "mu_star_conf")
        for j, name in enumerate(names):
            rows.append({"outcome": o, "parameter": name,
                         **{k: float(si[k][j]) for k in keys}})
    return pd.DataFrame(rows)


def _save(result: Analysis, name: str, table: pd.DataFrame) -> None:
    result.tables[name] = table
    table.to_csv(result.out / f"{name}.csv", index=False)


# -- figures ---------------------------------------------------------------------------
def _figure(result: Analysis, fig, name: str) -> None:
    import matplotlib.pyplot as plt

    for ext in ("png", "svg"):
        path = result.out / f"{name}.{ext}"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        result.figures.append(path)
    plt.close(fig)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _bars(result: Analysis, table: pd.DataFrame, design: str, focus: list[str]) -> None:
    """Sensitivity bar charts with their confidence intervals, one per outcome."""
    if table.empty:
        return
    plt = _plt()
    pairs = ([("S1", "S1_conf", "first order"), ("ST", "ST_conf", "total")]
             if design == "sobol" else [("mu_star", "mu_star_conf", "mu*")])
    for o in focus:
        t = table[table["outcome"] == o]
        if t.empty:
            continue
        y = np.arange(len(t))
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(t) + 1.5))
        height = 0.8 / len(pairs)
        for k, (val, conf, label) in enumerate(pairs):
            ax.barh(y + k * height, t[val], height, xerr=t[conf], capsize=3, label=label)
        ax.set_yticks(y + height * (len(pairs) - 1) / 2, t["parameter"])
        ax.invert_yaxis()
        what = "Sobol index" if design == "sobol" else "Morris mu* (outcome units)"
        ax.set_xlabel(f"{what}, 95% interval")
        ax.set_title(f"Sensitivity of {o}")
        ax.legend(loc="lower right")
        _figure(result, fig, f"{design}_{o}")


def _grid_figures(result: Analysis, res: SweepResults, focus: list[str]) -> None:
    """Heatmaps of outcome means over a two-parameter grid."""
    names = res.parameters
    if len(names) != 2:
        result.notes.append(f"heatmaps need a grid over two parameters; this one has "
                            f"{len(names)}")
        return
    plt = _plt()
    for o in focus:
        means = pd.Series(point_means(res, o), index=res.points["point"])
        frame = res.points.assign(value=means.to_numpy())
        grid = frame.pivot_table(index=names[0], columns=names[1], values="value",
                                 aggfunc="mean")
        fig, ax = plt.subplots(figsize=(1.1 * grid.shape[1] + 2.5, 0.6 * grid.shape[0] + 2))
        im = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis",
                       origin="lower")
        ax.set_xticks(range(grid.shape[1]), [_label(v) for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [_label(v) for v in grid.index])
        ax.set_xlabel(names[1])
        ax.set_ylabel(names[0])
        for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            if math.isfinite(v):
                dark = im.norm(v) < 0.6  # white text on the dark end of viridis
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8,
                        color="w" if dark else "k")
        censored = " (never reached = horizon)" if o in TIMES else ""
        ax.set_title(f"{o}: replicate mean{censored}")
        fig.colorbar(im, ax=ax)
        _figure(result, fig, f"heatmap_{o}")


def _label(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _adoption(result: Analysis, res: SweepResults, points: list[int] | None) -> None:
    """Share of agencies at full implementation over time for chosen points: replicate
    mean and the 2.5-97.5% range across replicates."""
    n = len(res.points)
    chosen = sorted(set(points)) if points else sorted({round(i * (n - 1) / 5)
                                                        for i in range(min(n, 6))})
    bad = [p for p in chosen if not 0 <= p < n]
    if bad:
        result.notes.append(f"no design point {bad[0]} (points are 0..{n - 1})")
        chosen = [p for p in chosen if 0 <= p < n]
    ts = res.timeseries(points=chosen, columns=["share_at_full"])
    if ts.empty or "share_at_full" not in ts or ts["week"].nunique() < 2:
        result.notes.append("no weekly share_at_full recorded; no adoption curves "
                            "(record: end keeps only the last week)")
        return
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for p, g in ts.groupby("point"):
        q = g.groupby("week")["share_at_full"].agg(
            mean="mean", lo=lambda s: s.quantile(0.025), hi=lambda s: s.quantile(0.975))
        values = res.points.loc[res.points["point"] == p, res.parameters].iloc[0]
        label = f"{p}: " + ", ".join(f"{k}={_label(v)}" for k, v in values.items())
        line, = ax.plot(q.index, q["mean"], label=label)
        ax.fill_between(q.index, q["lo"], q["hi"], color=line.get_color(), alpha=0.15)
    ax.set_xlabel("week")
    ax.set_ylabel("share of agencies at full implementation")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("Adoption by design point (mean, 95% of replicates)")
    _figure(result, fig, "adoption_curves")
