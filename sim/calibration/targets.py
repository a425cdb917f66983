"""Calibration targets: observed statistics, and the same statistics on model output.

Two forms. Observed summary statistics (value and sd) are compared with the model's
per-run summary (sim.outcomes). A CSV of per-site stage dates in the Stages of
Implementation Completion style (site, stage, week reached or blank) is reduced to site
statistics by ``site_statistics``, and the same function reduces each simulated run's
per-agency stage record, so observed and simulated numbers are computed one way.

Censoring: a time never reached within the run counts as the run's horizon (weeks); a
share among sites that started, when none started, counts as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.censor import is_time
from sim.errors import ExperimentError

SITE_STATISTICS = ("share_reached_startup", "share_competent_of_started",
                   "share_sustainment_of_started", "median_weeks_to_startup",
                   "median_weeks_to_full")


@dataclass(frozen=True)
class Stages:
    """The model's stage names and which are start-up, competence and sustainment."""

    names: tuple[str, ...]
    startup: int
    full: int

    @classmethod
    def of(cls, model) -> Stages:
        table = model.world.stages
        return cls(tuple(table.names), int(table.delivers_from), int(table.full))

    def milestones(self) -> dict[str, int]:
        out = {"startup": self.startup, "full": self.full}
        if self.full + 1 < len(self.names):
            out["sustainment"] = self.full + 1
        return out


def site_statistics(reached: pd.DataFrame, stages: Stages, horizon: int) -> dict[str, float]:
    """Statistics of a frame with one row per site and a column per milestone
    (``startup``, ``full``, ``sustainment``) holding the week reached, NaN if never."""
    started = reached["startup"].notna()
    n_started = int(started.sum())

    def share(col: str) -> float:
        if col not in reached or not n_started:
            return 0.0
        return float(reached.loc[started, col].notna().mean())

    def median(col: str) -> float:
        weeks = reached[col].dropna()
        return float(weeks.median()) if len(weeks) else float(horizon)

    return {"share_reached_startup": float(started.mean()),
            "share_competent_of_started": share("full"),
            "share_sustainment_of_started": share("sustainment"),
            "median_weeks_to_startup": median("startup"),
            "median_weeks_to_full": median("full")}


def reached_from_dates(dates: pd.DataFrame, stages: Stages) -> pd.DataFrame:
    """Per site, the first week at each milestone or any later stage (SIC dates)."""
    rank = dates["stage"].map({s: i for i, s in enumerate(stages.names)})
    frame = dates.assign(rank=rank).dropna(subset=["week"])
    sites = pd.Index(dates["site"].unique(), name="site")
    out = pd.DataFrame(index=sites)
    for name, k in stages.milestones().items():
        hit = frame[frame["rank"] >= k].groupby("site")["week"].min()
        out[name] = hit.reindex(sites).astype(float)
    return out


def reached_from_model(model) -> pd.DataFrame:
    """The same per-site milestone weeks from a finished run's per-agency stage record."""
    from sim.agents import Agency

    stages = Stages.of(model)
    record = model.datacollector.get_agenttype_vars_dataframe(Agency).reset_index()
    dates = pd.DataFrame({"site": record["AgentID"], "stage": record["stage"],
                          "week": record["Step"].astype(float)})
    return reached_from_dates(dates, stages)


def read_site_csv(path: Path, stages: Stages, source: str) -> pd.DataFrame:
    """The observed per-site stage dates; one-line errors name the file and the row."""
    field = "targets.csv"
    try:
        dates = pd.read_csv(path, dtype={"site": str, "stage": str})
    except FileNotFoundError:
        raise ExperimentError(f"file {path} not found", source=source, field=field) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise ExperimentError(f"cannot read {path} ({reason})", source=source,
                              field=field) from None
    missing = {"site", "stage", "week"} - set(dates.columns)
    if missing:
        raise ExperimentError(f"{path.name} needs columns site, stage, week (missing: "
                              f"{', '.join(sorted(missing))})", source=source, field=field)
    bad = dates[~dates["stage"].isin(stages.names)]
    if len(bad):
        raise ExperimentError(f"{path.name} row {bad.index[0] + 2}: unknown stage "
                              f"{bad['stage'].iloc[0]!r}; expected one of "
                              + ", ".join(stages.names), source=source, field=field)
    weeks = pd.to_numeric(dates["week"], errors="coerce")
    wrong = dates["week"].notna() & (weeks.isna() | (weeks < 0))
    if wrong.any():
        row = int(np.flatnonzero(wrong.to_numpy())[0])
        raise ExperimentError(f"{path.name} row {row + 2}: week {dates['week'].iloc[row]!r} "
                              "is not a week number >= 0 (blank = never reached)",
                              source=source, field=field)
    return dates.assign(week=weeks)


def observed_from_sites(reached: pd.DataFrame, stages: Stages, horizon: int,
                        names: list[str], seed: int) -> dict[str, tuple[float, float]]:
    """(value, sd) of each statistic; sd from a seeded bootstrap over sites, floored at
    one site's share (1/n) or one week so that no target is treated as exact."""
    value = site_statistics(reached, stages, horizon)
    rng = np.random.default_rng(seed)
    n = len(reached)
    boots = [site_statistics(reached.iloc[rng.integers(0, n, n)], stages, horizon)
             for _ in range(500)]
    out = {}
    for name in names:
        sd = float(np.std([b[name] for b in boots], ddof=1))
        out[name] = (value[name], max(sd, 1.0 if is_time(name) else 1.0 / n))
    return out
