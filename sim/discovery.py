"""Scenario discovery on a finished sweep (``trustsim discover``, docs/discovery.md).

Which region of the swept parameters produces the cases of interest ("co-creation wins by
more than 8 weeks")? The outcome is averaged over replicates per design point (times never
reached count as the horizon, as in ``trustsim analyze``), the ``where`` expression marks
the points of interest, and EMA Workbench's PRIM and CART (the optional
``trustsim[discovery]`` extra) describe them as boxes with coverage and density.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.errors import ExperimentError  # noqa: E402
from sim.optional import require  # noqa: E402
from sim.resultsdir import FolderLock  # noqa: E402


@dataclass
class Discovery:
    """What ``discover`` found and wrote (tables also as CSV in ``out``)."""

    out: Path
    outcome: str
    where: str
    n_points: int
    n_interest: int
    prim_box: pd.DataFrame
    prim_stats: pd.Series
    trajectory: pd.DataFrame
    cart_boxes: pd.DataFrame
    cart_stats: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def cases_of_interest(frame: pd.DataFrame, outcome: str, where: str, source: str
                      ) -> np.ndarray:
    """``where`` evaluated on the point table (``< -8`` is short for ``OUTCOME < -8``)."""
    expr = f"`{outcome}` {where}" if re.match(r"\s*(<|>|==|!=)", where) else where
    try:
        mask = frame.eval(expr)
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds; one line
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise ExperimentError(f"cannot evaluate {where!r} ({reason}); expected a condition "
                              f"such as '{outcome} < -8'", source=source,
                              field="--where") from None
    if not isinstance(mask, pd.Series) or mask.dtype != bool:
        raise ExperimentError(f"{where!r} is not a condition (true or false per point); "
                              f"expected e.g. '{outcome} < -8'", source=source, field="--where")
    return mask.to_numpy()


def discover(sweep_dir: str | Path, outcome: str | None = None, where: str | None = None,
             out: str | Path | None = None, mass_min: float | None = None) -> Discovery:
    """PRIM box and CART tree of the points where ``where`` holds; files go to ``out``
    (default ``SWEEP_DIR/discovery/<outcome>``)."""
    prim = require("ema_workbench.analysis.prim", "discovery")
    cart = require("ema_workbench.analysis.cart", "discovery")
    from sim.sweep import load
    from sim.sweep.analysis import point_values

    root = Path(sweep_dir)
    if not (root / "manifest.json").is_file():
        raise ExperimentError("is not a sweep results folder (no manifest.json)",
                              source=str(root))
    res = load(root)
    block = res.manifest["experiment"].get("discover") or {}
    outcome = outcome or block.get("outcome")
    where = where or block.get("where")
    mass_min = mass_min or block.get("mass_min") or 0.05
    if not outcome or not where:
        raise ExperimentError("give --outcome and --where (or a discover: block in the "
                              "experiment)", source=str(root))
    names = res.outcomes
    if outcome not in names:
        raise ExperimentError(f"no outcome '{outcome}' in this sweep; it has: "
                              + ", ".join(names), source=str(root), field="--outcome")
    x = res.points[res.parameters].reset_index(drop=True)
    frame = x.assign(**{outcome: point_values(res, res.medians("point", [outcome]),
                                              outcome)})
    keep = frame[outcome].notna().to_numpy()
    notes = [] if keep.all() else [f"{int((~keep).sum())} design points have no finished "
                                   "run and are left out"]
    y = cases_of_interest(frame[keep], outcome, where, str(root))
    x = x[keep].reset_index(drop=True)
    if y.all() or not y.any():
        raise ExperimentError(f"{'every' if y.all() else 'no'} design point meets {where!r}; "
                              "PRIM and CART need points of both kinds", source=str(root),
                              field="--where")
    target = Path(out) if out else root / "discovery" / re.sub(r"\W+", "_", outcome)
    with FolderLock(target), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, y, mass_min=mass_min).find_box()
        stats, limits = box.inspect(style="data")[0]
        tree = cart.CART(x, y, mass_min=mass_min)
        tree.build_tree()
        result = Discovery(target, outcome, where, len(x), int(y.sum()),
                           _limits_table(limits, x), stats, box.peeling_trajectory,
                           tree.boxes_to_dataframe(), tree.stats_to_dataframe(), notes)
        _write(result, box, tree)
    return result


def _limits_table(limits: pd.DataFrame, x: pd.DataFrame) -> pd.DataFrame:
    """One row per restricted parameter: the box's limits, the swept range, quasi-p."""
    limits = limits.copy()
    limits.columns = ["low", "high", "qp_low", "qp_high"][:len(limits.columns)]
    limits.index.name = "parameter"
    table = limits.reset_index()
    table.insert(3, "swept_low", [x[p].min() for p in table["parameter"]])
    table.insert(4, "swept_high", [x[p].max() for p in table["parameter"]])
    return table


def _write(result: Discovery, box, tree) -> None:
    out = result.out
    result.prim_box.to_csv(out / "prim_box.csv", index=False)
    result.prim_stats.to_frame("value").to_csv(out / "prim_stats.csv")
    result.trajectory.to_csv(out / "prim_trajectory.csv", index=False)
    cart_boxes = result.cart_boxes.copy()
    cart_boxes.columns = [" ".join(map(str, c)) for c in cart_boxes.columns]
    cart_boxes.to_csv(out / "cart_boxes.csv")
    result.cart_stats.to_csv(out / "cart_stats.csv")
    box.show_tradeoff().savefig(out / "prim_trajectory.png", dpi=110)
    box.inspect(style="graph")
    plt.gcf().savefig(out / "prim_box.png", dpi=110)
    from sklearn.tree import export_text, plot_tree

    (out / "cart_tree.txt").write_text(export_text(tree.clf, feature_names=tree.feature_names))
    fig, ax = plt.subplots(figsize=(10, 6))
    plot_tree(tree.clf, feature_names=tree.feature_names, class_names=["other", "interest"],
              filled=True, ax=ax, fontsize=7)
    fig.savefig(out / "cart_tree.png", dpi=110)
    plt.close("all")
