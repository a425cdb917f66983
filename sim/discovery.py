"""Scenario discovery on a finished sweep (``trustsim discover``, docs/discovery.md).

Which region of the swept parameters produces the cases of interest ("co-creation wins by
more than 8 weeks")? The outcome's median over replicates per design point (times never
reached count as the horizon, as in ``trustsim analyze``) is tested against the ``where``
expression, which marks the points of interest, and EMA Workbench's PRIM and CART (the
optional ``trustsim[discovery]`` extra) describe them as boxes with coverage and density.
Every box comes with the counts behind it and the checks of ``sim.discovery_checks``.
"""

from __future__ import annotations

import contextlib
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim import discovery_checks as checks  # noqa: E402
from sim import provenance  # noqa: E402
from sim.condition import parse_condition  # noqa: E402
from sim.errors import ExperimentError, show_value  # noqa: E402
from sim.optional import require  # noqa: E402
from sim.resultsdir import (  # noqa: E402
    LOCK,
    MANIFEST,
    FolderLock,
    StorageError,
    refuse_link,
    storage_errors,
    write_atomic,
    write_json,
)
from sim.sweep.spec import parse_discover  # noqa: E402


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
    box: int = -1
    stability: pd.DataFrame | None = None
    resamples_used: int = 0
    warnings: list[str] = field(default_factory=list)


def cases_of_interest(frame: pd.DataFrame, outcome: str, where: str, source: str
                      ) -> np.ndarray:
    """``where`` (sim.condition: checked, never run as code) per row of the point table;
    it may name the table's numeric columns (``< -8`` is short for ``OUTCOME < -8``)."""
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    condition = parse_condition(where, numeric, outcome, source=source, field="--where")
    return condition.evaluate({c: frame[c].to_numpy() for c in condition.columns})


def discover(sweep_dir: str | Path, outcome: str | None = None, where: str | None = None,
             out: str | Path | None = None, mass_min: float | None = None,
             command: str | None = None, box: int | None = None,
             resamples: int = checks.RESAMPLES, seed: int = 0) -> Discovery:
    """PRIM box and CART tree of the points where ``where`` holds; files and a manifest go
    to a new folder: ``out`` (new or empty) or ``SWEEP_DIR/discovery/<outcome>[-N]``.
    ``box`` picks a box on the peeling trajectory (default: the last, EMA Workbench's
    choice); ``resamples`` bootstrap resamples (seeded by ``seed``, as is CART) test it."""
    prim = require("ema_workbench.analysis.prim", "discovery")
    cart = require("ema_workbench.analysis.cart", "discovery")
    from sim.sweep import load
    from sim.sweep.analysis import point_values

    root = Path(sweep_dir)
    res = load(root)
    outcome, where, mass_min = _question(res, outcome, where, mass_min)
    x = res.points[res.parameters].reset_index(drop=True)
    frame = x.assign(**{outcome: point_values(res, res.medians("point", [outcome]),
                                              outcome)})
    keep = frame[outcome].notna().to_numpy()
    notes = [] if keep.all() else [f"{int((~keep).sum())} design points have no finished "
                                   "run and are left out"]
    y = cases_of_interest(frame[keep], outcome, where, str(root))
    x = x[keep].reset_index(drop=True)
    _enough(len(x), mass_min, str(root))
    if y.all() or not y.any():
        raise ExperimentError(f"{'every' if y.all() else 'no'} design point meets {where!r}; "
                              "PRIM and CART need points of both kinds", source=str(root),
                              field="--where")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = prim.Prim(x, y, mass_min=mass_min).find_box()
        chosen = _chosen(found, box, str(root))
        stats, limits = found.inspect(chosen, style="data")[0]
        tree = cart.CART(x, y, mass_min=mass_min)
        checks.build_tree(tree, seed)
        cart_stats = checks.cart_counts(tree.stats_to_dataframe(), len(x), int(y.sum()))
    target = _new_folder(root, outcome, Path(out) if out else None)
    with FolderLock(target), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _refuse_nonempty(target)  # before the resamples: a refusal comes at once
        table, used = (checks.stability(x, y, stats["coverage"], stats["density"],
                                        list(limits.index), mass_min, resamples, seed)
                       if resamples else (None, 0))
        result = Discovery(target, outcome, where, len(x), int(y.sum()),
                           _limits_table(limits, x), stats, checks.trajectory_table(found),
                           tree.boxes_to_dataframe(), cart_stats, notes, chosen, table, used,
                           checks.warnings_for(stats, cart_stats, table, used, resamples))
        asked = {"mass_min": mass_min, "box": chosen, "resamples": resamples, "seed": seed,
                 "min_cases": checks.MIN_CASES}
        _write_manifest(result, res, asked, command)
        _write(result, found, tree)
        _write_manifest(result, res, asked, command, status="complete")
    return result


def _chosen(found, box: int | None, source: str) -> int:
    """The box asked for, by its number on the peeling trajectory (default: the last)."""
    last = len(found.peeling_trajectory) - 1
    if box is None:
        return last
    if not 0 <= box <= last:
        raise ExperimentError(f"{box} is not on the peeling trajectory: boxes are numbered "
                              f"0 to {last}", source=source, field="--box")
    return int(box)


def _question(res, outcome: str | None, where: str | None, mass_min: float | None
              ) -> tuple[str, str, float]:
    """The outcome, condition and mass_min: given, else the experiment's ``discover:``
    block as the folder's manifest holds it (checked again: a folder is never trusted)."""
    source = str(res.root / "manifest.json")
    block = res.manifest["experiment"].get("discover")
    if block is not None and not (outcome and where and mass_min):
        block = parse_discover(block, [*res.parameters, block.get("outcome")], source)
        outcome, where = outcome or block.outcome, where or block.where
        mass_min = mass_min or block.mass_min
    if res.summaries.empty:
        raise ExperimentError("has no finished runs to discover in", source=str(res.root))
    if not outcome or not where:
        raise ExperimentError("give --outcome and --where (or a discover: block in the "
                              "experiment)", source=str(res.root))
    if outcome not in res.outcomes:
        raise ExperimentError(f"no outcome '{outcome}' in this sweep; it has: "
                              + ", ".join(res.outcomes), source=str(res.root), field="--outcome")
    return outcome, where, mass_min or 0.05


def _enough(n: int, mass_min: float, source: str) -> None:
    """CART's leaves hold at least ``mass_min`` of the points: at least one point."""
    if int(mass_min * n) >= 1:
        return
    need = math.ceil(1 / mass_min)
    while int(mass_min * need) < 1:
        need += 1
    raise ExperimentError(f"{n} design points with finished runs are too few: with "
                          f"--mass-min {mass_min:g} (the smallest share of points a box or "
                          f"leaf holds) discovery needs at least {need}; raise --mass-min "
                          "or sweep more points", source=source)


def _new_folder(root: Path, outcome: str, out: Path | None) -> Path:
    """A folder for this discovery alone: ``out`` (created if missing; never through a
    symbolic link), else the first free ``root/discovery/<outcome>``, ``<outcome>-2``..."""
    if out is not None:
        refuse_link(out)
        if out.is_dir():
            _refuse_nonempty(out)  # before locking: a refused folder is not touched
        with storage_errors(out, "cannot create the discovery folder"):
            out.mkdir(parents=True, exist_ok=True)
        return out
    parent = root / "discovery"
    refuse_link(parent)
    stem = re.sub(r"\W+", "_", outcome)
    with storage_errors(parent, "cannot create the discovery folder"):
        parent.mkdir(exist_ok=True)
        for n in range(1, 100_000):
            target = parent / (stem if n == 1 else f"{stem}-{n}")
            with contextlib.suppress(FileExistsError):
                target.mkdir()  # atomic: two discoveries never get the same folder
                return target
    raise StorageError("has no free name left for a new discovery", source=str(parent))


def _refuse_nonempty(folder: Path) -> None:
    """Never replace what is there: a folder someone wrote into is refused."""
    with storage_errors(folder, "cannot read the discovery folder"):
        found = sorted(p.name for p in folder.iterdir() if p.name != LOCK)
    if found:
        raise StorageError(f"is not empty (it holds {show_value(found)}); discover writes a "
                           "new folder: choose another --out or leave it out",
                           source=str(folder))


def _write_manifest(result: Discovery, res, asked: dict, command: str | None,
                    status: str = "running") -> None:
    """What was asked of which sweep with which libraries, so a discovery can be cited."""
    data = {**provenance.header("discovery", command),
            "versions": provenance.versions(("ema-workbench", "scikit-learn")),
            "sweep": str(res.root), "sweep_fingerprint": res.manifest.get("fingerprint"),
            "outcome": result.outcome, "where": result.where, **asked,
            "n_points": result.n_points, "n_interest": result.n_interest,
            "n_cases_in_box": int(result.prim_stats["k"]),
            "resamples_used": result.resamples_used, "warnings": result.warnings,
            "notes": result.notes, "status": status}
    if status != "running":
        data["finished"] = provenance.now()
    write_json(result.out / MANIFEST, data)


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
    """Tables, text and figures, each written atomically."""
    from sklearn.tree import export_text, plot_tree

    out = result.out
    cart_boxes = result.cart_boxes.copy()
    cart_boxes.columns = [" ".join(map(str, c)) for c in cart_boxes.columns]
    tables = [("prim_box", result.prim_box, False),
              ("prim_stats", result.prim_stats.to_frame("value"), True),
              ("prim_trajectory", result.trajectory, False),
              ("cart_boxes", cart_boxes, True), ("cart_stats", result.cart_stats, True)]
    if result.stability is not None:
        tables.append(("prim_stability", result.stability, False))
    for name, table, index in tables:
        write_atomic(out / f"{name}.csv", table.to_csv(index=index).encode())
    _figure(out / "prim_trajectory.png", box.show_tradeoff())
    box.inspect(result.box, style="graph")
    _figure(out / "prim_box.png", plt.gcf())
    write_atomic(out / "cart_tree.txt",
                 export_text(tree.clf, feature_names=tree.feature_names).encode())
    fig, ax = plt.subplots(figsize=(10, 6))
    plot_tree(tree.clf, feature_names=tree.feature_names, class_names=["other", "interest"],
              filled=True, ax=ax, fontsize=7)
    _figure(out / "cart_tree.png", fig)
    plt.close("all")


def _figure(path: Path, fig) -> None:
    write_atomic(path, lambda fh: fig.savefig(fh, format="png", dpi=110))
