"""What a calibration leaves in its results folder, computed from pyabc's History.

posterior.parquet (the last generation's particles and weights; its columns described in
codebook.csv and as Parquet field metadata), posterior_summary.csv
(weighted medians and 95% credible intervals), generations.csv (epsilon and simulations per
generation), posterior.png (marginals and pairs), predictive.csv / predictive.png (observed
targets against the statistics simulated from posterior draws).
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.codebook import write_codebook  # noqa: E402
from sim.resultsdir import write_atomic  # noqa: E402
from sim.sweep.store import write_parquet  # noqa: E402

PREDICTIVE_SALT = 1  # posterior predictive runs use seeds the fitting never used
#: draws for a 95% band whose ends are not one or two extreme runs (the file's default)
PREDICTIVE_DRAWS = 100


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: list[float]) -> np.ndarray:
    """Quantiles of a weighted sample (the weighted empirical distribution, midpoints)."""
    order = np.argsort(x)
    x, w = x[order], w[order] / w.sum()
    cdf = np.cumsum(w) - w / 2
    return np.interp(qs, cdf, x)


def posterior_summary(frame: pd.DataFrame, w: np.ndarray) -> pd.DataFrame:
    rows = []
    for name in frame.columns:
        lo, med, hi = weighted_quantiles(frame[name].to_numpy(float), w, [0.025, 0.5, 0.975])
        rows.append({"parameter": name, "median": med, "low_95": lo, "high_95": hi})
    return pd.DataFrame(rows)


def write_outputs(out: Path, setup, history, executor: Executor
                  ) -> tuple[pd.DataFrame, list[str]]:
    """Write every output file; return the posterior summary table and notes."""
    frame, w = history.get_distribution(m=0, t=history.max_t)
    frame = frame[list(setup.spec.priors)].reset_index(drop=True)
    write_parquet(out / "posterior.parquet",
                  frame.assign(weight=w, generation=history.max_t))
    write_codebook(out)
    summary = posterior_summary(frame, w)
    _csv(out / "posterior_summary.csv", summary)
    _csv(out / "generations.csv", history.get_all_populations().assign(
        noise_floor=setup.floor, min_epsilon=setup.min_epsilon))
    _png(out / "posterior.png", pairs_figure(frame, w, setup.spec.priors))
    notes = []
    n = setup.spec.predictive
    if n:
        pred = predictive(setup, frame, w, executor)
        _csv(out / "predictive.csv", pred)
        _png(out / "predictive.png", _predictive_figure(pred))
        if n < PREDICTIVE_DRAWS:
            notes.append(f"predictive: {n} posterior draws; a 95% band from fewer than "
                         f"{PREDICTIVE_DRAWS} rests on its few most extreme draws")
        missed = pred[~pred["observed_in_band"]]["statistic"].tolist()
        if missed:
            notes.append("observed value outside the simulated 95% band: " + ", ".join(missed))
    plt.close("all")
    return summary, notes


def _csv(path: Path, frame: pd.DataFrame) -> None:
    """Written whole or not at all, replacing (never following) what is there."""
    write_atomic(path, frame.to_csv(index=False).encode())


def _png(path: Path, fig: plt.Figure) -> None:
    write_atomic(path, lambda fh: fig.savefig(fh, format="png", dpi=110))


def predictive(setup, frame: pd.DataFrame, w: np.ndarray, executor: Executor
               ) -> pd.DataFrame:
    """Simulate ``predictive`` posterior draws; per target its observed value and sd and
    the simulated median and 95% band."""
    spec = setup.spec
    rng = np.random.default_rng(spec.seed)
    picks = rng.choice(len(frame), size=spec.predictive, p=w / w.sum())
    sim = setup.simulator
    sim = type(sim)(**{**sim.__dict__, "salt": PREDICTIVE_SALT})
    thetas: list[dict[str, Any]] = [frame.iloc[i].to_dict() for i in picks]
    stats = list(executor.map(sim, thetas))  # the calibration's own workers
    rows = []
    for name, (value, sd) in setup.observed.items():
        x = np.array([s[name] for s in stats])
        lo, med, hi = np.quantile(x, [0.025, 0.5, 0.975])
        # two-sided posterior predictive p-value: how far out in the draws the data lie
        p = min(1.0, 2 * min(np.mean(x >= value), np.mean(x <= value)))
        rows.append({"statistic": name, "observed": value, "observed_sd": sd,
                     "draws": len(x), "simulated_median": med, "simulated_low_95": lo,
                     "simulated_high_95": hi, "observed_in_band": bool(lo <= value <= hi),
                     "predictive_p": p})
    return pd.DataFrame(rows)


def pairs_figure(frame: pd.DataFrame, w: np.ndarray, priors) -> plt.Figure:
    """Marginal histograms on the diagonal, weighted pairs below it; a log-uniform
    prior's parameter on a log axis (with log-spaced bins), where its prior is flat."""
    names = list(frame.columns)
    k = len(names)
    log = {n: priors[n].distribution == "log-uniform" for n in names}
    fig, axes = plt.subplots(k, k, figsize=(2.6 * k + 1, 2.6 * k + 1), squeeze=False)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            ax = axes[i][j]
            if i == j:
                p = priors[a]
                bins = (np.geomspace(p.low, p.high, 21) if log[a]
                        else np.linspace(p.low, p.high, 21) if _bounded(p) else 20)
                ax.hist(frame[a], bins=bins, weights=w, color="#4477aa")
                _axis(ax.xaxis, ax.set_xscale, ax.set_xlim, p, log[a])
            elif i > j:
                ax.scatter(frame[b], frame[a], s=6, c=w, cmap="viridis")
                _axis(ax.xaxis, ax.set_xscale, ax.set_xlim, priors[b], log[b])
                _axis(ax.yaxis, ax.set_yscale, ax.set_ylim, priors[a], log[a])
            else:
                ax.axis("off")
            if i == k - 1:
                ax.set_xlabel(b + (" (log axis)" if log[b] else ""), fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(a + (" (log axis)" if log[a] else ""), fontsize=8)
    fig.suptitle("Posterior (last ABC-SMC generation): marginals and pairs")
    fig.tight_layout()
    return fig


def _bounded(prior) -> bool:
    return prior.low is not None and prior.high is not None


def _axis(axis, set_scale, set_lim, prior, log: bool) -> None:
    """A parameter's axis over its prior's range; log-scaled for a log-uniform prior,
    labelled at the powers of ten only (minor labels overprint each other)."""
    from matplotlib.ticker import NullFormatter

    if log:
        set_scale("log")
        axis.set_minor_formatter(NullFormatter())
    if _bounded(prior):
        set_lim(prior.low, prior.high)


def _predictive_figure(pred: pd.DataFrame) -> plt.Figure:
    k = len(pred)
    fig, axes = plt.subplots(1, k, figsize=(2.4 * k + 1, 3.2), squeeze=False)
    for ax, row in zip(axes[0], pred.itertuples(), strict=True):
        ax.fill_between([-0.3, 0.3], row.simulated_low_95, row.simulated_high_95,
                        color="#4477aa", alpha=0.3, label="simulated 95%")
        ax.plot([-0.3, 0.3], [row.simulated_median] * 2, color="#4477aa")
        ax.errorbar([0], [row.observed], yerr=[1.96 * row.observed_sd], fmt="o",
                    color="#cc3311", label="observed ± 1.96 sd")
        ax.set_xticks([])
        ax.set_title(row.statistic.replace("_", " "), fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Posterior predictive check")
    fig.tight_layout()
    return fig
