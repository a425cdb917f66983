"""Whether a PRIM box or CART leaf can be believed (``trustsim discover``'s diagnostics).

EMA Workbench reports coverage and density whatever they rest on: a box around two cases
of interest has coverage 1.0. These checks say, in words, what a reader should know:

- **Cases in the box.** A box (or the densest CART leaf) holding fewer than
  ``MIN_CASES`` cases of interest describes those points, not a region.
- **Resampling stability.** PRIM is run again on bootstrap resamples of the design
  points (Efron & Tibshirani 1993, An Introduction to the Bootstrap), and on each
  resample's peeling trajectory the box nearest the chosen one in coverage and density
  is compared with it: how often each parameter is restricted there, and the median
  limits. A parameter the chosen box restricts but fewer than ``STABLE`` of the
  resamples restrict is a restriction the data do not insist on. This follows the
  reproducibility check of Bryant & Lempert (2010), Thinking inside the box, as EMA
  Workbench's ``PrimBox.resample`` does, with resampling with replacement, the
  discovery's own ``mass_min``, and a seed.
- **Deterministic CART.** scikit-learn's tree permutes features at random at every
  split, so ties between equally good splits go either way from run to run;
  ``build_tree`` fixes ``random_state``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A box or leaf resting on fewer cases of interest than this is reported with a warning
#: (Bryant & Lempert 2010 work with tens of cases; ten is the least we call a region).
MIN_CASES = 10
#: Bootstrap resamples for the stability table (``--resamples``; 0 skips it).
RESAMPLES = 50
#: A restriction of the chosen box that fewer than this share of resamples repeat is
#: flagged as unstable.
STABLE = 0.5


def cases(k: int) -> str:
    """``1 case``, ``2 cases``."""
    return f"{k} case{'s' * (k != 1)}"


def trajectory_table(box) -> pd.DataFrame:
    """The peeling trajectory with the counts a reader needs beside the shares: ``n``
    points and ``k`` cases of interest in each box."""
    traj = box.peeling_trajectory
    return pd.DataFrame({"box": traj["id"].astype(int), "coverage": traj["coverage"],
                         "density": traj["density"], "mass": traj["mass"],
                         "n_points": traj["n"].astype(int), "n_cases": traj["k"].astype(int),
                         "restricted": traj["res_dim"].astype(int)})


def build_tree(tree, seed: int) -> None:
    """EMA Workbench's ``CART.build_tree`` with a fixed ``random_state``: the same points
    give the same tree every time."""
    from sklearn.tree import DecisionTreeClassifier

    tree.clf = DecisionTreeClassifier(min_samples_leaf=int(tree.mass_min * tree.x.shape[0]),
                                      random_state=seed)
    tree.clf.fit(tree._x, tree.y)


def cart_counts(stats: pd.DataFrame, n_points: int, n_interest: int) -> pd.DataFrame:
    """CART's leaf statistics with the counts behind them: points and cases per leaf."""
    stats = stats.copy()
    stats["n_points"] = np.rint(stats["mass"] * n_points).astype(int)
    stats["n_cases"] = np.rint(stats["coverage"] * n_interest).astype(int)
    return stats


def stability(x: pd.DataFrame, y: np.ndarray, coverage: float, density: float,
              restricted: list[str], mass_min: float, resamples: int, seed: int
              ) -> tuple[pd.DataFrame, int]:
    """One row per parameter: whether the chosen box restricts it, the share of bootstrap
    resamples whose nearest box restricts it, and those boxes' median limits. Returns
    the table and how many resamples could be used (one with no case of interest, or
    only cases of interest, has no box)."""
    from ema_workbench.analysis import prim

    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(x.columns, 0)
    limits: dict[str, list[tuple[float, float]]] = {c: [] for c in x.columns}
    used = 0
    for _ in range(resamples):
        idx = rng.integers(0, len(x), len(x))
        yb = y[idx]
        if yb.all() or not yb.any():
            continue
        box = prim.Prim(x.iloc[idx].reset_index(drop=True), yb, mass_min=mass_min).find_box()
        traj = box.peeling_trajectory
        j = int(((traj["coverage"] - coverage) ** 2
                 + (traj["density"] - density) ** 2).to_numpy().argmin())
        used += 1
        for name in box.p_values[j]:
            counts[name] += 1
            lims = box.box_lims[j][name]
            limits[name].append((float(lims.iloc[0]), float(lims.iloc[1])))
    rows = []
    for name in x.columns:
        lows, highs = (np.array([v[k] for v in limits[name]]) for k in (0, 1))
        rows.append({"parameter": name, "in_box": name in restricted,
                     "restricted_share": counts[name] / used if used else np.nan,
                     "low_median": float(np.median(lows)) if len(lows) else np.nan,
                     "high_median": float(np.median(highs)) if len(highs) else np.nan})
    table = pd.DataFrame(rows).sort_values(["in_box", "restricted_share"],
                                           ascending=False, kind="stable")
    return table.reset_index(drop=True), used


def warnings_for(stats: pd.Series, cart: pd.DataFrame, table: pd.DataFrame | None,
                 used: int, resamples: int) -> list[str]:
    """What a reader of the box and tree should be told, one sentence each."""
    said = []
    k = int(stats["k"])
    if k < MIN_CASES:
        said.append(f"the PRIM box rests on {cases(k)} of interest (fewer than "
                    f"{MIN_CASES}): its coverage and density describe those points, not a "
                    "region; sweep more points or widen --where")
    best = cart.sort_values("density", ascending=False).iloc[0]
    if int(best["n_cases"]) < MIN_CASES:
        said.append(f"the densest CART leaf holds {cases(int(best['n_cases']))} of "
                    f"interest (fewer than {MIN_CASES})")
    if table is not None:
        if resamples and used < resamples / 2:
            said.append(f"only {used} of {resamples} bootstrap resamples held both kinds of "
                        "point: the stability table rests on few boxes")
        shaky = table[table["in_box"] & (table["restricted_share"] < STABLE)]
        for row in shaky.itertuples(index=False):
            said.append(f"{row.parameter} is restricted in only {row.restricted_share:.0%} "
                        f"of {used} bootstrap resamples (fewer than {STABLE:.0%}): an "
                        "unstable restriction")
    return said
