"""Model docking (Axtell, Axelrod, Epstein & Cohen 1996): the agents, vectorized and
compiled engines apply the same rules, so over many seeds their outcome distributions
must agree. They draw their randomness differently (one micro-interaction at a time,
binomial counts for all at once, or unit by unit inside compiled loops), so runs agree
in distribution, not number by number."""

import numpy as np
from scipy import stats

from sim.runs import run_once

# Small enough for the agents engine, rich enough to exercise every mechanism: both
# strategies, a crisis, a turnover wave, a partner joining, a leadership change, a funding
# cut, support withdrawn, a strategy switch, a violation and its repair, brokering,
# emergency partnerships, case flow and family engagement.
CONFIG = dict(
    n_agencies=6, n_isps=2, n_families=60, weeks=60, strategy_mix=0.5,
    partnership_density=0.2, word_of_mouth=0.3, start_stage="installation",
    innovation_novelty=0.3, resources_partnerships=0.2, family_case_weeks=20.0,
    timeline=[
        {"kind": "crisis", "onset": 10, "duration": 25, "intensity": 0.8, "ramp": 2},
        {"kind": "turnover_wave", "week": 20, "share": 0.3},
        {"kind": "partner_joins", "week": 25},
        {"kind": "leadership_change", "week": 30, "share": 0.3},
        {"kind": "funding_cut", "week": 35, "severity": 0.2},
        {"kind": "support_withdrawn", "week": 45, "share": 0.5},
        {"kind": "strategy_switch", "week": 50, "strategy_mix": 1.0},
        {"kind": "violation", "week": 52, "dimension": "ability", "severity": 3.0},
    ],
)
OUTCOMES = ("trust_agency_isp_final", "trust_isp_agency_final", "trust_agency_agency_final",
            "trust_family_agency_final", "final_share_at_full", "final_reach",
            "mean_fidelity", "total_isp_hours", "share_reached_startup")
SEEDS = 24


def _outcomes(engine: str, first_seed: int) -> dict[str, np.ndarray]:
    runs = [run_once({**CONFIG, "engine": engine}, seed, every=0).summary
            for seed in range(first_seed, first_seed + SEEDS)]
    return {k: np.array([r[k] for r in runs]) for k in OUTCOMES}


ENGINE_SEEDS = {"agents": 1000, "vectorized": 2000, "compiled": 3000}
PAIRS = (("agents", "vectorized"), ("agents", "compiled"), ("vectorized", "compiled"))


def test_engines_dock():
    runs = {engine: _outcomes(engine, first) for engine, first in ENGINE_SEEDS.items()}
    for left, right in PAIRS:
        for key in OUTCOMES:
            a, v = runs[left][key], runs[right][key]
            # Means agree within 4 standard errors of their difference, the SE estimated
            # from the replicates' own spread (about 1 false alarm in 16,000 per outcome).
            se = np.sqrt(a.var(ddof=1) / len(a) + v.var(ddof=1) / len(v))
            assert abs(a.mean() - v.mean()) <= 4 * se + 1e-9, (left, right, key)
            # and whole distributions agree: Kolmogorov-Smirnov at a level
            # Bonferroni-corrected over outcomes and pairs, so a failure means a real
            # difference, not a fluke.
            p = stats.ks_2samp(a, v).pvalue
            assert p > 0.001 / (len(OUTCOMES) * len(PAIRS)), (left, right, key)
