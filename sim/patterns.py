"""Observed patterns the model is checked against (docs/validation.md, ``make validation``).

Each pattern names its source, runs the model over seeded replicates and reports an
estimate with a 95% interval and whether the pattern is met. ``make validation`` runs them
with many replicates and writes docs/validation.md; the test suite runs the key ones with
few (tests/test_patterns.py). A pattern the model misses is reported as missed: the
defaults are calibrated once, documented in docs/ODD.md, and never tuned to a test.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.runs import run_columns, run_once
from sim.validation import bass_limit_params, bass_recursion

CRISIS = [{"kind": "crisis", "onset": 1, "duration": 52, "intensity": 0.9, "ramp": 2}]
#: A simple adaptation of a service agencies already deliver (the COVID pivots).
ADAPTATION = dict(innovation_complexity=0.2, innovation_novelty=0.1,
                  start_stage="installation")
MANDATED = dict(mandate_authority=0.8, innovation_complexity=0.4)
DISTRUSTFUL = dict(mandate_authority=0.0, agency_propensity=0.3, isp_reputation=0.3)


@dataclass
class Result:
    estimate: float
    low: float
    high: float
    met: bool
    detail: str = ""


@dataclass(frozen=True)
class Pattern:
    name: str
    source: str
    expected: str
    check: Callable[[int, Executor | None], Result]


def _summaries(params: dict, replicates: int, pool, first_seed: int = 1) -> dict:
    seeds = range(first_seed, first_seed + replicates)
    runs = (pool.map(_summary, [params] * replicates, seeds) if pool else
            map(_summary, [params] * replicates, seeds))
    rows = list(runs)
    return {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0]}


def _summary(params: dict, seed: int) -> dict:
    return run_columns(params, seed, every=0)[1]


def _interval(x: np.ndarray, stat=np.nanmedian, resamples: int = 2000) -> tuple[float, ...]:
    """Estimate and percentile-bootstrap 95% interval (seeded, so reports are stable)."""
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    if not len(x):
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(0)
    boots = [stat(rng.choice(x, len(x))) for _ in range(resamples)]
    return float(stat(x)), float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))


def _within(key: str, params: dict, low: float, high: float, stat=np.nanmedian):
    def check(replicates, pool):
        est, lo, hi = _interval(_summaries(params, replicates, pool)[key], stat)
        return Result(est, lo, hi, low <= est <= high, f"target [{low:g}, {high:g}]")
    return check


def _difference(key: str, a: dict, b: dict, sign: int, stat=np.nanmean):
    """Paired difference a - b (common random numbers); met if the interval lies on the
    side ``sign`` of 0 (or, for sign 0, contains 0)."""
    def check(replicates, pool):
        d = _summaries(a, replicates, pool)[key] - _summaries(b, replicates, pool)[key]
        est, lo, hi = _interval(d, stat)
        met = (lo > 0) if sign > 0 else (hi < 0) if sign < 0 else (lo <= 0 <= hi)
        return Result(est, lo, hi, bool(met), f"paired difference, {key}")
    return check


def _bass(replicates, pool):
    p, q, n, weeks = 0.01, 0.15, 100, 104
    params = bass_limit_params(p, q, n, weeks)
    seeds = range(replicates)
    curves = np.array([run_once(params, s).timeseries["share_at_full"].to_numpy()
                       for s in seeds])
    gap = np.abs(curves.mean(axis=0) - bass_recursion(p, q, weeks))
    tolerance = 4 * curves.std(axis=0, ddof=1) / np.sqrt(replicates) + 1 / n
    widest = int(np.argmax(gap))
    return Result(float(gap[widest]), 0.0, float(tolerance[widest]),
                  bool(np.all(gap <= tolerance)),
                  f"largest gap, at week {widest}; the interval is [0, tolerance there]")


def _violation_recovery(dimension: str, replicates: int):
    """Weeks for a violation at week 20 to be half made good, in a running co-creative
    model with a history: the gap in agencies' trust in their ISP against the same seed
    without the violation (common random numbers) opens within the week; this is how long
    it takes to close to half its widest."""
    params = dict(n_agencies=8, n_isps=2, n_families=0, weeks=150, strategy_mix=1.0,
                  established_evidence=10.0)
    event = [{"kind": "violation", "week": 20, "dimension": dimension, "severity": 4.0}]
    weeks = []
    for seed in range(replicates):
        calm = run_once(params, seed).timeseries["trust_agency_isp_mean"].to_numpy()
        hit = run_once({**params, "timeline": event}, seed).timeseries[
            "trust_agency_isp_mean"].to_numpy()
        gap = (calm - hit)[20:]
        widest = int(np.argmax(gap))
        closed = np.flatnonzero(gap[widest:] <= 0.5 * gap[widest])
        weeks.append(float(closed[0] + widest) if len(closed) else float(len(gap)))
    return np.array(weeks)


def _asymmetry(replicates, pool):
    regain = _violation_recovery("integrity", replicates)
    est, lo, hi = _interval(regain)
    return Result(est, lo, hi, lo > 1.0, "weeks until the trust a violation took away in "
                  "one week is half regained; met if longer than that week")


def _repair_by_type(replicates, pool):
    d = _violation_recovery("integrity", replicates) - _violation_recovery("ability",
                                                                            replicates)
    est, lo, hi = _interval(d, np.mean)
    return Result(est, lo, hi, lo > 0, "integrity minus ability, weeks to regain half")


def _crisis_speedup(explanation: str, history: float, replicates: int, pool) -> np.ndarray:
    """Weeks to full implementation without a crisis minus with a crisis acting through
    ``explanation`` alone (the other two weighted 0), for a simple adaptation."""
    base = dict(weeks=104, strategy_mix=1.0, established_evidence=history, **ADAPTATION)
    others = {f"crisis_{e}": 0.0 for e in ("necessity", "relationships", "resources")
              if e != explanation}
    calm = _summaries({**base, "timeline": []}, replicates, pool)
    hit = _summaries({**base, "timeline": CRISIS, **others}, replicates, pool)
    return calm["median_weeks_to_full"] - hit["median_weeks_to_full"]


def _trust_dependence(explanation: str, replicates: int, pool) -> tuple[float, ...]:
    """How much more ``explanation`` speeds up a county with a history of trust."""
    d = (_crisis_speedup(explanation, 20.0, replicates, pool)
         - _crisis_speedup(explanation, 0.0, replicates, pool))
    return _interval(d, np.nanmean)


def _relationships_need_trust(replicates, pool):
    est, lo, hi = _trust_dependence("relationships", replicates, pool)
    return Result(est, lo, hi, lo > 0, "speed-up (weeks) with established_evidence 20 "
                  "minus with 0")


def _necessity_indifferent(replicates, pool):
    est, lo, hi = _trust_dependence("necessity", replicates, pool)
    return Result(est, lo, hi, abs(est) < 3.0, "necessity's speed-up (weeks), history 20 "
                  "minus 0; met if within 3 weeks")


def _network(replicates, pool):
    base = dict(weeks=260, strategy_mix=0.0)
    return _difference("time_to_50_startup", {**base, "partnership_network": "ring",
                                              "partnership_degree": 2},
                       {**base, "partnership_network": "complete"}, +1)(replicates, pool)


NORMAL = dict(weeks=260, strategy_mix=0.0)
SIC = "Saldana et al. 2023 (1,287 sites); Wong, Schaper & Saldana 2022"

PATTERNS: tuple[Pattern, ...] = (
    Pattern("Bass limit", "Bass 1969; Niu 2002",
            "mean adoption curve within 4 SE + 1/N of the weekly Bass recursion", _bass),
    Pattern("Sites reaching start-up", SIC,
            "a third to two thirds of sites that set out reach start-up (normal "
            "conditions, top-down, new programme)",
            _within("share_reached_startup", NORMAL, 1 / 3, 2 / 3)),
    Pattern("Starters reaching competence", SIC,
            "a bit over half of the sites that start reach competence (0.5 to 0.65)",
            _within("share_competent_of_started", NORMAL, 0.5, 0.65)),
    Pattern("Starters delivering two years on", SIC,
            "a third to a half of the sites that start still deliver two years later",
            _within("share_sustained_of_started", NORMAL, 1 / 3, 1 / 2)),
    Pattern("Years to full implementation", "Fixsen, Naoom, Blase, Friedman & Wallace 2005",
            "sites that reach full implementation take two to four years (104-208 weeks)",
            _within("median_weeks_to_full", NORMAL, 104, 208)),
    Pattern("Pivot in weeks", "Metz 2020 (NIRN blog on COVID-19)",
            "adapting existing work in a crisis, with trust and co-creative support: "
            "decision to routine use under 12 weeks",
            _within("median_weeks_to_full", dict(weeks=104, strategy_mix=1.0,
                                                 established_evidence=20.0,
                                                 timeline=CRISIS, **ADAPTATION), 0, 12)),
    Pattern("Mandates speed start-up", "Lau & Brookman-Frazee 2016; Aarons 2004",
            "with a mandate's authority, top-down reaches start-up no later than co-creative "
            "(co-creative minus top-down weeks to start-up > 0)",
            _difference("median_weeks_to_startup", dict(NORMAL, strategy_mix=1.0, **MANDATED),
                        dict(NORMAL, **MANDATED), +1)),
    Pattern("Co-creation where trust is missing", "Metz 2020; interview study of 17 ISPs",
            "without a mandate and with wary staff, co-creative support gets more sites to "
            "start-up (difference in share > 0)",
            _difference("share_reached_startup", dict(NORMAL, strategy_mix=1.0, **DISTRUSTFUL),
                        dict(NORMAL, **DISTRUSTFUL), +1)),
    Pattern("Top-down trust holds with legitimacy",
            "Brehm 1966 (reactance only where illegitimate)",
            "agencies' trust in top-down ISPs is higher with a mandate's authority than in a "
            "distrustful county",
            _difference("trust_agency_isp_final", dict(NORMAL, **MANDATED),
                        dict(NORMAL, **DISTRUSTFUL), +1)),
    Pattern("Relationships need prior trust", "Metz 2020 (relationships as the mechanism)",
            "the relationships explanation's crisis speed-up is larger with a history of "
            "trust", _relationships_need_trust),
    Pattern("Necessity is indifferent to trust", "necessity explanation (Metz 2020's question)",
            "the necessity explanation's speed-up barely depends on prior trust",
            _necessity_indifferent),
    Pattern("Network structure matters", "Valente 1996; Watts & Strogatz 1998",
            "a sparse ring reaches half the agencies at start-up later than a complete "
            "network (difference > 0)", _network),
    Pattern("Trust lost fast, rebuilt slowly", "Slovic 1993",
            "after a violation trust takes longer to regain half its loss than to lose it",
            _asymmetry),
    Pattern("Integrity violations repair worse", "Kim, Ferrin, Cooper & Dirks 2004",
            "an integrity violation takes longer to recover from than an ability violation",
            _repair_by_type),
)


def run_all(replicates: int = 40, workers: int = 2) -> list[tuple[Pattern, Result]]:
    from sim.workerpool import local_pool

    with local_pool(workers) as pool:
        return [(p, p.check(replicates, pool)) for p in PATTERNS]


def report(results: list[tuple[Pattern, Result]], replicates: int) -> str:
    lines = ["# Validation: which observed patterns the model reproduces", "",
             "Written by `make validation` (`python -m sim.patterns`), "
             f"{replicates} seeded replicates per condition; estimates are medians or means "
             "of per-run outcomes with percentile-bootstrap 95% intervals. A missed pattern "
             "is reported as missed; defaults are not tuned to these checks.", "",
             "| pattern | source | expected | model [95% interval] | met |",
             "|---|---|---|---|---|"]
    for p, r in results:
        lines.append(f"| {p.name} | {p.source} | {p.expected} | {r.estimate:.3g} "
                     f"[{r.low:.3g}, {r.high:.3g}] ({r.detail}) | "
                     f"{'met' if r.met else '**missed**'} |")
    met = sum(r.met for _, r in results)
    lines += ["", f"{met} of {len(results)} patterns met.", ""]
    return "\n".join(lines)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("docs/validation.md"))
    args = parser.parse_args()
    results = run_all(args.replicates, args.workers)
    text = report(results, args.replicates)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
