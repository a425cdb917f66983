"""Parameter recovery: data simulated from a known parameter, calibrated with ABC-SMC, and
the posterior covers the truth while being narrower than the prior (small and seeded; the
larger coverage check is benchmarks/calibration_coverage.py)."""

import numpy as np
import pytest

from sim.calibration import calibrate, prepare
from sim.calibration.simulate import particle_seeds, run_statistics
from sim.calibration.spec import load_calibration
from sim.censor import censor

TRUTH = 1.0
STATS = ("share_reached_startup", "median_weeks_to_startup")


def observed_from_truth(path, replicates=12):
    """Targets: the mean of ``replicates`` runs at the truth, sd of a 2-replicate mean."""
    setup = prepare(load_calibration(path))
    _, params = setup.simulator.params({"innovation_rate": TRUTH})
    seeds = particle_seeds(123, {"innovation_rate": TRUTH}, replicates)
    rows = [run_statistics(params, s, False) for s in seeds]
    out = {}
    for k in STATS:
        x = np.array([censor(k, r[k], 60) for r in rows], float)
        out[k] = {"value": float(np.nanmean(x)),
                  "sd": float(max(np.nanstd(x, ddof=1) / np.sqrt(2), 1e-3))}
    return out


@pytest.mark.slow
def test_the_posterior_covers_the_parameter_the_data_came_from(calibration, workdir):
    first = calibration()
    targets = observed_from_truth(first)
    path = calibration("recover.yaml", targets=targets, replicates=2, population=12,
                       stop={"generations": 3}, predictive=0)
    report = calibrate(path, out=workdir / "out")
    row = report.summary.set_index("parameter").loc["innovation_rate"]
    assert row.low_95 <= TRUTH <= row.high_95
    # it learned something: the 95% interval is much narrower than the prior's (0.05..5)
    assert np.log(row.high_95 / row.low_95) < 0.6 * np.log(5.0 / 0.05)
