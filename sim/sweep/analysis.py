"""Analyse a finished sweep: per-point tables, Sobol / Morris indices, figures.

Every per-point value follows the one rule of ``sim.censor``: the median over a point's
replicates, a time never reached counting as the run's horizon, with its exact 95%
interval and the share of runs that reached it (``point_summary.csv``). Heatmaps show
those medians and SALib's Sobol / Morris indices (with their bootstrap confidence
intervals) are computed on them; every figure title and a note say how many runs were
censored, since indices of a mostly censored time mostly rank 'reached or not'.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.censor import censored_share, is_time
from sim.codebook import entry, kind_of, label
from sim.errors import ExperimentError
from sim.figstyle import Look
from sim.palette import OKABE_ITO, SERIES
from sim.resultsdir import FolderLock, subfolder, write_atomic
from sim.sweep.design import problem
from sim.sweep.diagnostics import EFFECT, check, pawn
from sim.sweep.results import SweepResults, load, read_design

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Outcomes figures show when none are named: adoption speed, depth, durability, equity.
FOCUS = ("time_to_50_full", "final_share_at_full", "final_sustainability", "final_reach",
         "reach_gap", "trust_agency_isp_final")


@dataclass
class Analysis:
    """What ``analyze`` wrote: tables (also as CSV), figure files, and notes on anything it
    could not compute and why."""

    out: Path
    focus: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: what makes an index implausible or weak (sim.sweep.diagnostics), one line each
    warnings: list[str] = field(default_factory=list)
    #: style and size of the figures (``--style``, ``--size``)
    look: Look = field(default_factory=Look)
    #: the figures themselves by name, when ``analyze(keep_figures=True)``
    drawn: dict[str, Figure] | None = None


def analyze(root: str | Path, outcomes: list[str] | None = None,
            points: list[int] | None = None, out: str | Path | None = None,
            look: Look | None = None, keep_figures: bool = False) -> Analysis:
    """Analyse the sweep in ``root``; write tables and figures to ``root/analysis``
    (figures in ``look``'s style and size; kept in ``Analysis.drawn`` with
    ``keep_figures``, to restyle them in a notebook)."""
    res = load(root)
    # inside the results folder: never through a link
    folder = Path(out) if out else subfolder(res.root, "analysis")
    result = Analysis(folder, look=look or Look(), drawn={} if keep_figures else None)
    with FolderLock(result.out):  # one writer at a time, as for runs and sweeps
        _analyze(res, result, outcomes, points)
    return result


def _analyze(res: SweepResults, result: Analysis, outcomes: list[str] | None,
             points: list[int] | None) -> Analysis:
    root = res.root
    if res.summaries.empty:
        result.notes.append("no finished runs to analyse")
        return result
    names = res.outcomes
    unknown = [o for o in outcomes or [] if o not in names]
    if unknown:
        raise ExperimentError(f"no outcome '{unknown[0]}' in this sweep; it has: "
                              + ", ".join(names), source=str(root), field="--outcome")
    focus = result.focus = [o for o in (outcomes or FOCUS) if o in names] or names[:4]
    summary = point_table(res, outcomes or names)
    _save(result, "point_summary", summary)
    _censoring_notes(result, res, outcomes or names)
    design = res.manifest["design"]
    method = METHOD.get(design)
    indices = pd.DataFrame()
    if method:
        indices, diagnostics = _sensitivity(res, summary, method, result)
        _save(result, f"{method}_indices", indices)
        _save(result, f"{method}_diagnostics", diagnostics)
    with result.look.applied():
        if method:
            _bars(result, res, indices, method, focus)
        if method == "morris":
            _mu_sigma(result, res, indices, focus)
        if design == "grid":
            _grid_figures(result, res, summary, focus)
        _adoption(result, res, points)
    if len(res.failures):
        result.notes.append(f"{len(res.failures)} runs failed; see failures/ "
                            "(the tables use the runs that finished)")
    return result


# -- tables ----------------------------------------------------------------------------
def point_table(res: SweepResults, outcomes: list[str]) -> pd.DataFrame:
    """Per design point and outcome: its parameter values, then n, share reached, median
    and 95% interval (sim.censor: times never reached count at the horizon)."""
    table = res.medians("point", outcomes)
    return res.points.merge(table, on="point", how="right")


def point_values(res: SweepResults, summary: pd.DataFrame, outcome: str) -> np.ndarray:
    """The censored median of one outcome at every design point (NaN: no finished run)."""
    rows = summary[summary["outcome"] == outcome].set_index("point")["estimate"]
    return rows.reindex(range(len(res.points))).to_numpy(dtype=float)


def censoring(res: SweepResults, outcome: str) -> str:
    """'52% of runs never reached it (counted at 156 weeks)', or '' when none was
    censored or the outcome is not a time."""
    if not is_time(outcome):
        return ""
    share = censored_share(res.summaries[outcome])
    if not share > 0:
        return ""
    return f"{share:.0%} of runs never reached it (counted at {_weeks(res)} weeks)"


def _weeks(res: SweepResults) -> str:
    weeks = sorted(set(res.horizon.astype(float)))
    return f"{weeks[0]:g}" if len(weeks) == 1 else f"{weeks[0]:g}-{weeks[-1]:g}"


def _subtitle(res: SweepResults, outcome: str) -> str:
    said = censoring(res, outcome)
    return design_size(res) + (f"\n{said}" if said else "")


def _censoring_notes(result: Analysis, res: SweepResults, outcomes: list[str]) -> None:
    """One note listing the analysed times that some runs never reached."""
    shares = {o: censored_share(res.summaries[o]) for o in outcomes if is_time(o)}
    listed = ", ".join(f"{o} {v:.0%}" for o, v in shares.items() if v > 0)
    if listed:
        result.notes.append(f"runs that never reached a time count at the horizon "
                            f"({_weeks(res)} weeks) in medians, intervals, heatmaps and "
                            f"indices: {listed}")


def design_size(res: SweepResults) -> str:
    """'Morris, 40 points x 2 replicates = 80 runs' (the runs that finished)."""
    m = res.manifest
    reps = f"{m['replicates']} replicate" + ("s" if m["replicates"] != 1 else "")
    design = {"lhs": "LHS"}.get(m["design"], m["design"].capitalize())
    return f"{design}, {m['n_points']} points x {reps} = " \
        f"{len(res.summaries)} runs"


#: The sensitivity method of each sampled design (LHS and random: PAWN, any sample).
METHOD = {"sobol": "sobol", "morris": "morris", "lhs": "pawn", "random": "pawn"}


def _sensitivity(res: SweepResults, summary: pd.DataFrame, method: str, result: Analysis
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indices per outcome and parameter, each row with its outcome's warnings, and one
    row of diagnostics per outcome (sim.sweep.diagnostics)."""
    tables, rows = [], []
    for o in dict.fromkeys(summary["outcome"]):
        y = point_values(res, summary, o)
        if np.isnan(y).any():
            result.notes.append(f"{o}: {int(np.isnan(y).sum())} design points have no "
                                "finished run; no indices")
            continue
        if np.ptp(y) == 0:
            result.notes.append(f"{o}: the same at every design point; no indices")
            continue
        table, resamples = _indices(res, y, method)
        never = censored_share(res.summaries[o]) if is_time(o) else math.nan
        verdict = check(method, table, replicates=int(res.manifest["replicates"]),
                        censored=never, resamples=resamples)
        table.insert(0, "outcome", o)
        table["censored"] = never
        table["warning"] = [verdict.column(p) for p in table["parameter"]]
        tables.append(table)
        rows.append({"outcome": o, **verdict.row})
        result.warnings += [f"{method} indices of {o}: {w}" for w in verdict.warnings]
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(),
            pd.DataFrame(rows))


def _indices(res: SweepResults, y: np.ndarray, method: str
             ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """SALib's indices of one outcome (PAWN: sim.sweep.diagnostics), and Sobol's
    bootstrap replicates for the sums' intervals."""
    from SALib.analyze import morris, sobol

    spec = res.manifest["experiment"]
    names = res.parameters
    if method == "sobol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            si = sobol.analyze(problem(names), y, calc_second_order=spec["second_order"],
                               seed=spec["seed"], keep_resamples=True)
        keys = ("S1", "S1_conf", "ST", "ST_conf")
        resamples = {k: si[k] for k in ("S1_conf_all", "ST_conf_all")}
        return pd.DataFrame({"parameter": names, **{k: si[k] for k in keys}}), resamples
    x = read_design(res.root)[names].to_numpy()
    if method == "pawn":
        return pawn(x, y, names, spec["seed"]), {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        si = morris.analyze(problem(names), x, y, num_levels=spec["levels"],
                            seed=spec["seed"])
    keys = ("mu", "mu_star", "sigma", "mu_star_conf")
    return pd.DataFrame({"parameter": names, **{k: np.asarray(si[k], float) for k in keys}}), {}




def top_parameters(indices: pd.DataFrame, design: str, k: int = 5) -> pd.DataFrame:
    """The ``k`` parameters with the largest effect per outcome, largest first."""
    effect = EFFECT[design][0]
    ranked = indices.sort_values(["outcome", effect], ascending=[True, False],
                                 kind="stable")
    return ranked.groupby("outcome", sort=False).head(k)


def _save(result: Analysis, name: str, table: pd.DataFrame) -> None:
    result.tables[name] = table
    write_atomic(result.out / f"{name}.csv", table.to_csv(index=False).encode())


# -- figures ---------------------------------------------------------------------------
#: Labels wrap at this many characters: parameter names on bars, titles.
TICK_WIDTH, TITLE_WIDTH = 30, 70


def _new(size: tuple[float, float]) -> Figure:
    """A figure that lays itself out to keep every label inside (no pyplot state)."""
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained")


def _figure(result: Analysis, fig: Figure, name: str) -> None:
    result.look.sized(fig)
    for ext in ("png", "svg"):
        path = result.out / f"{name}.{ext}"
        svg = {"metadata": {"Date": None}} if ext == "svg" else {}
        write_atomic(path, lambda fh, ext=ext, svg=svg: fig.savefig(fh, format=ext, **svg))
        result.figures.append(path)
    if result.drawn is not None:
        result.drawn[name] = fig


def _kind(res: SweepResults) -> str:
    """The codebook kind of the sweep's outcomes (a paired sweep's differ)."""
    return kind_of(list(res.summaries.columns))


def _outcome_label(res: SweepResults, outcome: str) -> str:
    return label(outcome, _kind(res))


def _parameter_label(name: str, width: int | None = TICK_WIDTH) -> str:
    return label(name, "points", width)


def _unit(res: SweepResults, outcome: str) -> str:
    return entry(outcome, _kind(res)).unit or "outcome units"


#: Bars (index, half-width, legend) and the axis label of each method's chart.
BARS = {"sobol": [("S1", "S1_conf", "first order"), ("ST", "ST_conf", "total")],
        "morris": [("mu_star", "mu_star_conf", "mu*")],
        "pawn": [("pawn", "pawn_conf", "PAWN")]}
AXIS = {"sobol": "Sobol index (share of variance)", "morris": "Morris mu* [outcome units]",
        "pawn": "PAWN index (median Kolmogorov-Smirnov distance, 0-1)"}


def _bars(result: Analysis, res: SweepResults, table: pd.DataFrame, design: str,
          focus: list[str]) -> None:
    """Sensitivity bar charts, largest effect on top, 95% whiskers clipped at zero."""
    if table.empty:
        return
    pairs = BARS[design]
    for o in focus:
        t = table[table["outcome"] == o].sort_values(EFFECT[design][0], ascending=False,
                                                     kind="stable")
        if t.empty:
            continue
        y = np.arange(len(t))
        fig = _new((7, 0.45 * len(t) + 2.2))
        ax = fig.subplots()
        height = 0.8 / len(pairs)
        for k, (val, conf, legend) in enumerate(pairs):
            ax.barh(y + k * height, t[val], height, xerr=clipped_whiskers(t[val], t[conf]),
                    capsize=3, label=legend, color=SERIES[k])
        ax.set_yticks(y + height * (len(pairs) - 1) / 2,
                      [_parameter_label(p) for p in t["parameter"]])
        ax.invert_yaxis()
        axis = AXIS[design].replace("outcome units", _unit(res, o))
        ax.set_xlabel(f"{axis}, 95% interval")
        ax.set_title(_wrapped(f"Sensitivity of {_outcome_label(res, o)}")
                     + f"\n{_subtitle(res, o)}", fontsize="medium")
        ax.legend(loc="lower right")
        _figure(result, fig, f"{design}_{o}")


def clipped_whiskers(value: pd.Series, conf: pd.Series) -> np.ndarray:
    """Lower and upper error-bar lengths of value +- conf, the lower end kept at >= 0
    (indices and mu* are not negative; SALib's symmetric interval can cross zero)."""
    v, c = value.to_numpy(float), np.abs(conf.to_numpy(float))
    low = np.clip(v - np.maximum(v - c, 0.0), 0.0, None)
    return np.vstack([low, c])


def _mu_sigma(result: Analysis, res: SweepResults, table: pd.DataFrame,
              focus: list[str]) -> None:
    """Morris mu* against sigma: far right is influential; high sigma means the effect
    depends on other parameters (interactions) or is non-linear."""
    if table.empty:
        return
    for o in focus:
        t = table[table["outcome"] == o]
        if t.empty:
            continue
        fig = _new((6.5, 5))
        ax = fig.subplots()
        ax.scatter(t["mu_star"], t["sigma"], color=SERIES[0])
        top = float(max(t["mu_star"].max(), t["sigma"].max(), 0)) or 1.0
        for row in t.itertuples():  # names point inwards so they stay on the canvas
            right = row.mu_star > top / 2
            ax.annotate(_parameter_label(row.parameter, 20), (row.mu_star, row.sigma),
                        fontsize="x-small", xytext=(-3 if right else 3, 3),
                        textcoords="offset points", ha="right" if right else "left")
        ax.plot([0, top], [0, top], color=OKABE_ITO["grey"], lw=0.8, ls="--",
                label="sigma = mu*")
        ax.set_xlim(0, top * 1.1)
        ax.set_ylim(0, top * 1.1)
        unit = _unit(res, o)
        ax.set_xlabel(f"mu*: mean absolute elementary effect [{unit}]")
        ax.set_ylabel(f"sigma: spread of elementary effects [{unit}]")
        ax.set_title(_wrapped(f"Morris screening of {_outcome_label(res, o)}")
                     + f"\n{_subtitle(res, o)}", fontsize="medium")
        ax.legend(loc="upper left", fontsize=7)
        _figure(result, fig, f"morris_mu_sigma_{o}")


def _grid_figures(result: Analysis, res: SweepResults, summary: pd.DataFrame,
                  focus: list[str]) -> None:
    """Heatmaps of the per-point medians over a two-parameter grid."""
    names = res.parameters
    if len(names) != 2:
        result.notes.append(f"heatmaps need a grid over two parameters; this one has "
                            f"{len(names)}")
        return
    for o in focus:
        grid, shown = heatmap_values(res, summary, o)
        fig = _new((1.1 * grid.shape[1] + 3.5, 0.6 * grid.shape[0] + 2.5))
        ax = fig.subplots()
        im = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis",
                       origin="lower")
        ax.set_xticks(range(grid.shape[1]), [_label(v) for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [_label(v) for v in grid.index])
        ax.set_xlabel(_parameter_label(names[1], 2 * TICK_WIDTH))
        ax.set_ylabel(_parameter_label(names[0]))
        for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            if math.isfinite(v):
                dark = im.norm(v) < 0.6  # white text on the dark end of viridis
                ax.text(j, i, shown.iat[i, j], ha="center", va="center", fontsize=8,
                        color="w" if dark else "k")
        ax.set_title(_wrapped(f"{_outcome_label(res, o)}: median over replicates")
                     + f"\n{_subtitle(res, o)}", fontsize="medium")
        fig.colorbar(im, ax=ax).set_label(f"median [{_unit(res, o)}]")
        _figure(result, fig, f"heatmap_{o}")


def heatmap_values(res: SweepResults, summary: pd.DataFrame, outcome: str
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The grid of per-point medians of a two-parameter sweep, and its cell labels ('>30'
    where the median run never reached the time)."""
    names = res.parameters
    rows = summary[summary["outcome"] == outcome]
    frame = res.points.merge(rows[["point", "estimate", "estimate_censored"]], on="point",
                             how="left")
    frame["shown"] = [f">{v:g}" if c is True else f"{v:.3g}" if math.isfinite(v) else ""
                      for v, c in zip(frame["estimate"], frame["estimate_censored"],
                                      strict=True)]
    grid = frame.pivot(index=names[0], columns=names[1], values="estimate")
    shown = frame.pivot(index=names[0], columns=names[1], values="shown")
    return grid, shown


def _wrapped(text: str, width: int = TITLE_WIDTH) -> str:
    return textwrap.fill(text, width)


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
    fig = _new((8, 5.5))
    ax = fig.subplots()
    for p, g in ts.groupby("point"):
        q = g.groupby("week")["share_at_full"].agg(
            mean="mean", lo=lambda s: s.quantile(0.025), hi=lambda s: s.quantile(0.975))
        values = res.points.loc[res.points["point"] == p, res.parameters].iloc[0]
        said = f"point {p}: " + "; ".join(f"{_parameter_label(k, None)} {_label(v)}"
                                           for k, v in values.items())
        line, = ax.plot(q.index, q["mean"], label=_wrapped(said, 2 * TITLE_WIDTH))
        ax.fill_between(q.index, q["lo"], q["hi"], color=line.get_color(), alpha=0.15)
    ax.set_xlabel("week")
    ax.set_ylabel("share of agencies at full implementation")
    ax.set_ylim(0, 1)
    fig.legend(loc="outside lower center", fontsize="x-small", frameon=False)
    ax.set_title("Adoption by design point (mean, 95% of replicates)")
    _figure(result, fig, "adoption_curves")
