"""Figures of a scenario's results, fit for a paper: PNG and SVG, weeks on the x axis.

Lines are medians over replicates; dark bands the exact 95% interval of the median (the
same order-statistic interval as the summary table), light bands the middle 90% of runs.
Crisis weeks are shaded. Colours come from ``sim.palette`` (one visual language with the
dashboard and animations): Okabe-Ito for arms, one stage palette, ten colour-blind-safe
colours for interaction types. Uses ``matplotlib.figure.Figure`` directly (no
pyplot state), so it works headless and in notebooks alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.figstyle import Look
from sim.palette import INTERACTION_COLOURS, SERIES
from sim.palette import STAGE_COLOURS as _STAGE_COLOURS
from sim.resultsdir import write_atomic
from sim.scenario.stats import median_ranks

if TYPE_CHECKING:
    from sim.scenario.results import ScenarioResult

OKABE_ITO = list(SERIES)
STAGES = ("exploration", "installation", "initial_implementation", "full_implementation",
          "sustainment", "abandoned")
STAGE_COLOURS = [_STAGE_COLOURS[s] for s in STAGES]  # as on the dashboard
TIE_KINDS = {"agency_isp": "agencies' trust in ISPs", "isp_agency": "ISPs' trust in agencies",
             "agency_agency": "agencies' trust in partners",
             "family_agency": "families' trust in agencies"}
CRISIS_COLOUR = "#BBBBBB"


def _arm_colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def _matrix(ts: pd.DataFrame, arm: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Weeks and a (weeks x replicates) matrix of one outcome for one arm."""
    table = ts[ts["arm"] == arm].pivot_table(index="week", columns="replicate",
                                             values=column, aggfunc="first", dropna=False)
    return table.index.to_numpy(), table.to_numpy(float)


def _bands(ax: Axes, ts: pd.DataFrame, arms: list[str], column: str) -> None:
    """Median line, 95% interval of the median and middle 90% of runs, per arm."""
    for i, arm in enumerate(arms):
        weeks, values = _matrix(ts, arm, column)
        if values.size == 0 or np.isnan(values).all():
            continue
        colour = _arm_colour(i)
        ordered = np.sort(values, axis=1)
        n = ordered.shape[1]
        lo, _ = median_ranks(n)
        ax.plot(weeks, np.nanmedian(values, axis=1), color=colour, lw=2,
                label=f"{arm} (median of {n})")
        ax.fill_between(weeks, ordered[:, lo], ordered[:, n - 1 - lo], color=colour,
                        alpha=0.3, lw=0)
        q05, q95 = np.nanquantile(values, [0.05, 0.95], axis=1)
        ax.fill_between(weeks, q05, q95, color=colour, alpha=0.1, lw=0)


def _shade_crisis(ax: Axes, ts: pd.DataFrame) -> None:
    if "crisis_intensity" not in ts:
        return
    intensity = ts.groupby("week")["crisis_intensity"].max()
    if (intensity <= 0).all():
        return
    ax.fill_between(intensity.index, 0, 1, where=intensity.to_numpy() > 0,
                    transform=ax.get_xaxis_transform(), color=CRISIS_COLOUR, alpha=0.35,
                    lw=0, label="crisis", step="mid")


def _finish(ax: Axes, ylabel: str, share: bool = True) -> None:
    ax.set_xlabel("weeks")
    ax.set_ylabel(ylabel)
    if share:
        ax.set_ylim(-0.02, 1.02)
    ax.margins(x=0)
    ax.grid(alpha=0.3)


BAND_NOTE = ("lines: medians over replicates; dark bands: 95% interval of the median; "
             "light bands: middle 90% of runs")


def adoption(result: ScenarioResult) -> Figure:
    """Share of agencies at full implementation (or sustainment) by arm."""
    fig = Figure(figsize=(8, 4.8), layout="constrained")
    ax = fig.subplots()
    _shade_crisis(ax, result.timeseries)
    _bands(ax, result.timeseries, result.arms, "share_at_full")
    _finish(ax, "share of agencies at full implementation")
    ax.legend(loc="upper left", frameon=False)
    fig.suptitle(f"{result.name}: adoption by arm")
    ax.set_title(BAND_NOTE, fontsize=8, color="#555555")
    return fig


def _panels(n: int, width: float = 4.2, height: float = 3.4) -> tuple[Figure, list[Axes]]:
    cols = min(n, 2 if n == 4 else 3)
    rows = -(-n // cols)
    fig = Figure(figsize=(width * cols, height * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def _figure_legend(fig: Figure, ax: Axes) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4),
               frameon=False)


def stages(result: ScenarioResult) -> Figure:
    """Mean share of agencies in each implementation stage, one panel per arm."""
    ts = result.timeseries
    present = [s for s in STAGES if f"share_{s}" in ts]
    fig, axes = _panels(len(result.arms))
    colours = [STAGE_COLOURS[STAGES.index(s)] for s in present]
    for ax, arm in zip(axes, result.arms, strict=True):
        mean = ts[ts["arm"] == arm].groupby("week")[[f"share_{s}" for s in present]].mean()
        ax.stackplot(mean.index, mean.to_numpy().T, labels=[s.replace("_", " ") for s in
                                                            present],
                     colors=colours, alpha=0.9, edgecolor="#555555", linewidth=0.3)
        _shade_crisis(ax, ts[ts["arm"] == arm])  # over the stack: the crisis is a tint
        _finish(ax, "share of agencies (mean over runs)")
        ax.set_title(arm, loc="left")
    _figure_legend(fig, axes[0])  # below the panels, off the data
    fig.suptitle(f"{result.name}: implementation stages over time")
    return fig


def trust(result: ScenarioResult) -> Figure:
    """Mean trust on each kind of tie, by arm."""
    ts = result.timeseries
    kinds = [k for k in TIE_KINDS if f"trust_{k}_mean" in ts]
    fig, axes = _panels(len(kinds))
    for ax, kind in zip(axes, kinds, strict=True):
        _shade_crisis(ax, ts)
        _bands(ax, ts, result.arms, f"trust_{kind}_mean")
        _finish(ax, "mean trust (expected, 0-1)")
        ax.set_title(TIE_KINDS[kind], loc="left")
    _figure_legend(fig, axes[0])
    fig.suptitle(f"{result.name}: trust by tie kind\n{BAND_NOTE}", fontsize=10)
    return fig


def reach(result: ScenarioResult) -> Figure:
    """Reach of the practice in each family group, and the gap between groups."""
    ts = result.timeseries
    groups = [c for c in ts.columns if c.startswith("reach_") and c != "reach_gap"]
    columns = groups + (["reach_gap"] if "reach_gap" in ts else [])
    fig, axes = _panels(len(columns))
    for ax, column in zip(axes, columns, strict=True):
        _shade_crisis(ax, ts)
        _bands(ax, ts, result.arms, column)
        gap = column == "reach_gap"
        _finish(ax, "reach gap (share)" if gap else "share of families reached", share=not gap)
        name = column.removeprefix("reach_").replace("_", " ")
        ax.set_title("gap between groups" if gap else f"families: {name}", loc="left")
    _figure_legend(fig, axes[0])
    fig.suptitle(f"{result.name}: reach by family group\n{BAND_NOTE}", fontsize=10)
    return fig


def hours(result: ScenarioResult) -> Figure:
    """ISP hours per week by interaction type (mean over runs), one panel per arm."""
    ts = result.timeseries
    columns = [c for c in ts.columns if c.startswith("hours_")]
    fig, axes = _panels(len(result.arms))
    colours = [INTERACTION_COLOURS[i % len(INTERACTION_COLOURS)] for i in range(len(columns))]
    top = 0.0
    for ax, arm in zip(axes, result.arms, strict=True):
        mean = ts[ts["arm"] == arm].groupby("week")[columns].mean().fillna(0.0)
        ax.stackplot(mean.index, mean.to_numpy().T, colors=colours,
                     labels=[c.removeprefix("hours_").replace("_", " ") for c in columns])
        _shade_crisis(ax, ts[ts["arm"] == arm])  # over the stack: the crisis is a tint
        top = max(top, float(mean.sum(axis=1).max()))
        _finish(ax, "ISP hours per week (mean over runs)", share=False)
        ax.set_title(arm, loc="left")
    for ax in axes:
        ax.set_ylim(0, top * 1.05 or 1)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right center", fontsize=8,
               frameon=False)
    fig.suptitle(f"{result.name}: ISP hours by interaction type")
    return fig


FIGURES = {"adoption": adoption, "stages": stages, "trust": trust, "reach": reach,
           "hours": hours}


def draw_all(result: ScenarioResult, out: Path | None = None, look: Look | None = None
             ) -> dict[str, Figure]:
    """Every figure in ``look``'s style and size (``--style``, ``--size``); with ``out``,
    each saved as ``<name>.png`` and ``<name>.svg``, atomically and never through a link."""
    look = look or Look()
    png = {} if look.style else {"dpi": 150}
    with look.applied():
        figures = {name: look.sized(draw(result)) for name, draw in FIGURES.items()}
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            for name, fig in figures.items():
                write_atomic(out / f"{name}.png", lambda fh, fig=fig: fig.savefig(
                    fh, format="png", **png))
                fig.set_layout_engine("none")  # keep the layout just computed: faster SVG
                with rc_context({"svg.hashsalt": "trustsim"}):  # same ids: reproducible SVG
                    write_atomic(out / f"{name}.svg", lambda fh, fig=fig: fig.savefig(
                        fh, format="svg", metadata={"Date": None}))
    return figures
