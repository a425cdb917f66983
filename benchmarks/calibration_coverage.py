"""Coverage of calibration's 95% credible intervals (the larger check behind the small
recovery test in tests/calibration/test_calibration_recovery.py).

For each of ``--truths`` innovation rates drawn from the prior, the base county is run
``--observed`` times at that rate, the replicate mean of two statistics becomes the
targets, ``trustsim calibrate``'s machinery fits it, and we count how often the 95%
interval holds the truth. Well-calibrated ABC should cover it about 95% of the time.

    .venv/bin/python benchmarks/calibration_coverage.py --truths 10 --workers 2
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import yaml

from sim.calibration import calibrate, load_calibration, prepare
from sim.calibration.simulate import particle_seeds, run_statistics
from sim.censor import censor

ROOT = Path(__file__).resolve().parents[1]
STATS = ("share_reached_startup", "median_weeks_to_startup")
LOW, HIGH = 0.05, 2.0


def calibration(folder: Path, targets: dict, args) -> Path:
    data = {"name": "coverage", "scenario": str(ROOT / "scenarios" / "base.yaml"),
            "arm": "top_down", "weeks": args.weeks,
            "priors": {"innovation_rate": {"distribution": "log-uniform", "low": LOW,
                                           "high": HIGH}},
            "targets": targets, "replicates": 2, "population": args.population,
            "stop": {"generations": args.generations}, "predictive": 0, "seed": 1}
    path = folder / f"cal_{len(list(folder.glob('cal_*')))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def observed(folder: Path, truth: float, args) -> dict:
    setup = prepare(load_calibration(calibration(folder, {s: {"value": 0, "sd": 1}
                                                           for s in STATS}, args)))
    _, params = setup.simulator.params({"innovation_rate": truth})
    seeds = particle_seeds(999, {"innovation_rate": truth}, args.observed)
    rows = [run_statistics(params, s, False) for s in seeds]
    out = {}
    for k in STATS:
        x = np.array([censor(k, r[k], args.weeks) for r in rows])
        out[k] = {"value": float(x.mean()), "sd": float(max(x.std(ddof=1) / np.sqrt(2), 1e-3))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--truths", type=int, default=10)
    ap.add_argument("--observed", type=int, default=12)
    ap.add_argument("--population", type=int, default=40)
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(2023)
    truths = np.exp(rng.uniform(np.log(LOW), np.log(HIGH), args.truths))
    hits = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, truth in enumerate(truths):
            path = calibration(folder, observed(folder, truth, args), args)
            report = calibrate(path, workers=args.workers, out=folder / f"out_{i}")
            row = report.summary.iloc[0]
            hit = row.low_95 <= truth <= row.high_95
            hits += hit
            print(f"truth {truth:.3f}: median {row['median']:.3f}, 95% "
                  f"[{row.low_95:.3f}, {row.high_95:.3f}] {'covered' if hit else 'MISSED'}",
                  flush=True)
    print(f"coverage: {hits} of {len(truths)} ({hits / len(truths):.0%}) 95% intervals "
          "hold the truth")


if __name__ == "__main__":
    main()
