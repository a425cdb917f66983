"""Whether a sensitivity table can be believed, and an index for LHS and random designs.

SALib returns indices whatever the sample: Sobol with one replicate per point and a few
hundred runs gives sums of S1 below zero and of ST near five, which are not variance
shares at all. ``check`` reads a table for one outcome and says, in words, what is
implausible: S1 summing outside 0-1.05 beyond its bootstrap interval, ST below S1 beyond
both intervals, intervals wider than the index of a parameter that matters, fewer than two
replicates for Sobol, a time never reached in more than ``CENSORED_MAX`` of the runs. The
words go into a ``warning`` column and are printed by ``trustsim analyze``.

LHS and random designs get the PAWN index (Pianosi & Wagener 2015, as SALib's
``SALib.analyze.pawn``: the median over slices of one input of the Kolmogorov-Smirnov
distance between the outcome in the slice and overall) with a bootstrap interval, and a
dummy input's PAWN as the noise floor: with few points every input, inert or not, has a
PAWN well above zero, and the dummy says how far above.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

#: Bootstrap intervals are 95% (SALib's default), as half-widths ``Z * sd``.
LEVEL = 0.95
Z = float(norm.ppf(0.5 + LEVEL / 2))
#: Sums of first-order Sobol indices are variance shares: above 1 (plus a little room for
#: estimation error) or below 0, beyond their interval, they are not.
S1_SUM_MAX = 1.05
#: Share of runs that may never reach a measured time before its indices mostly rank
#: "reached or not" rather than "how soon".
CENSORED_MAX = 0.20
#: Intervals are checked for parameters whose index is at least this share of the
#: largest one (the ones a reader would cite); inert ones always have wide intervals.
NOTABLE = 0.10
#: Bootstrap resamples for the PAWN interval, and the most slices PAWN conditions on.
RESAMPLES = 100
MAX_SLICES = 10

#: Per method: the index that ranks parameters and its interval half-width.
EFFECT = {"sobol": ("ST", "ST_conf"), "morris": ("mu_star", "mu_star_conf"),
          "pawn": ("pawn", "pawn_conf")}


@dataclass
class Verdict:
    """What ``check`` found for one outcome: its diagnostics (a row of
    ``<method>_diagnostics.csv``), warnings on the outcome as a whole, and on parameters."""

    row: dict[str, float | str]
    warnings: list[str] = field(default_factory=list)
    by_parameter: dict[str, list[str]] = field(default_factory=dict)

    def flag(self, names: list[str], say: str) -> None:
        for name in names:
            self.by_parameter.setdefault(name, []).append(say)

    def column(self, name: str) -> str:
        """The ``warning`` cell of one parameter's row."""
        return "; ".join([*self.warnings, *self.by_parameter.get(name, [])])


def check(method: str, table: pd.DataFrame, *, replicates: int, censored: float,
          resamples: dict[str, np.ndarray] | None = None) -> Verdict:
    """Diagnose one outcome's indices (``table``: one row per parameter). ``resamples``
    holds Sobol's bootstrap replicates (``S1_conf_all``, ``ST_conf_all``) for the sums'
    intervals; ``censored`` is the share of runs that never reached a time (NaN: not a
    time)."""
    index, conf = EFFECT[method]
    top = int(np.argmax(table[index].to_numpy()))
    verdict = Verdict({"replicates": replicates, "censored": censored,
                       "largest": str(table["parameter"].iloc[top]),
                       f"{index}_max": float(table[index].iloc[top]),
                       f"{conf}_at_max": float(table[conf].iloc[top])})
    if method == "sobol":
        _sobol(verdict, table, replicates, resamples or {})
    for key in ("pawn_dummy", "pawn_dummy_conf"):  # PAWN's noise floor, the same each row
        if key in table:
            verdict.row[key] = float(table[key].iloc[0])
    _wide(verdict, table, index, conf)
    if censored > CENSORED_MAX:
        verdict.warnings.append(
            f"{censored:.0%} of runs never reached this time (more than "
            f"{CENSORED_MAX:.0%}): the indices mostly rank reached-or-not")
    verdict.row["warning"] = "; ".join(verdict.warnings)
    return verdict


def _sobol(verdict: Verdict, table: pd.DataFrame, replicates: int,
           resamples: dict[str, np.ndarray]) -> None:
    for key in ("S1", "ST"):
        total = float(table[key].sum())
        boot = resamples.get(f"{key}_conf_all")
        half = float(Z * boot.sum(axis=1).std(ddof=1)) if boot is not None else np.nan
        verdict.row[f"{key}_sum"], verdict.row[f"{key}_sum_conf"] = total, half
    s1, half = verdict.row["S1_sum"], verdict.row["S1_sum_conf"]
    margin = half if np.isfinite(half) else 0.0
    if s1 - margin > S1_SUM_MAX or s1 + margin < 0:
        verdict.warnings.append(f"first-order indices sum to {s1:.2f} +- {half:.2f}, not a "
                                f"share of variance (0-{S1_SUM_MAX:g}): too few samples")
    below = table["ST"] + table["ST_conf"] < table["S1"] - table["S1_conf"]
    if below.any():
        names = list(table.loc[below, "parameter"])
        verdict.warnings.append(f"ST below S1 beyond both intervals for {', '.join(names)}")
        verdict.flag(names, "ST below S1")
    if replicates < 2:
        verdict.warnings.append(f"{replicates} replicate per point: run-to-run noise is not "
                                "averaged out and counts as parameters' effects (use "
                                "replicates: 2 or more)")


def _wide(verdict: Verdict, table: pd.DataFrame, index: str, conf: str) -> None:
    value, half = table[index].to_numpy(float), np.abs(table[conf].to_numpy(float))
    notable = value >= NOTABLE * np.nanmax(value)
    wide = notable & (2 * half > np.abs(value))
    if wide.any():
        names = list(table.loc[wide, "parameter"])
        verdict.warnings.append(f"95% interval of {index} wider than the index for "
                                f"{', '.join(names)}: too few samples to rank them")
        verdict.flag(names, f"{index} interval wider than {index}")


# -- PAWN --------------------------------------------------------------------------------
def slices(n: int) -> int:
    """Slices PAWN conditions on: about ten points each, 2 to ``MAX_SLICES``."""
    return int(np.clip(n // 10, 2, MAX_SLICES))


def pawn_median(x: np.ndarray, y: np.ndarray, s: int) -> float:
    """SALib's PAWN median for one input (``SALib.analyze.pawn``, the same slices and the
    same Kolmogorov-Smirnov statistic), vectorised so it can be bootstrapped."""
    edges = np.nanquantile(x, np.arange(0, 1 + 1 / s, 1 / s))
    pooled = np.sort(y)
    overall = np.searchsorted(pooled, pooled, side="right") / len(y)
    stats = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=False):
        part = np.sort(y[(x >= lo) & (x < hi)])
        if len(part):
            within = np.searchsorted(part, pooled, side="right") / len(part)
            stats.append(np.abs(within - overall).max())
    return float(np.median(stats)) if stats else np.nan


def pawn(x: np.ndarray, y: np.ndarray, names: list[str], seed: int | None
         ) -> pd.DataFrame:
    """PAWN index per input with its 95% bootstrap half-width and the noise floor: a
    dummy input drawn uniformly, which no outcome depends on."""
    rng = np.random.default_rng(seed)
    n, s = len(y), slices(len(y))
    x = np.column_stack([x, rng.random(n)])
    boots = rng.integers(0, n, size=(RESAMPLES, n))
    value = [pawn_median(x[:, j], y, s) for j in range(x.shape[1])]
    spread = [np.std([pawn_median(x[b, j], y[b], s) for b in boots], ddof=1)
              for j in range(x.shape[1])]
    return pd.DataFrame({"parameter": names, "pawn": value[:-1],
                         "pawn_conf": Z * np.asarray(spread[:-1]),
                         "pawn_dummy": value[-1], "pawn_dummy_conf": Z * spread[-1]})
