"""(b) The Bass limit: with trust at one and a single adopt stage, the mean adoption curve
follows Bass (1969) diffusion."""

import numpy as np

from sim.runs import run_once
from sim.validation import bass_curve, bass_limit_params, bass_recursion


def test_mean_adoption_curve_matches_the_bass_recursion():
    p, q, n, replicates, weeks = 0.01, 0.15, 100, 40, 104
    params = bass_limit_params(p, q, n, weeks)
    curves = np.array([run_once(params, seed).timeseries["share_at_full"].to_numpy()
                       for seed in range(replicates)])
    mean = curves.mean(axis=0)
    se = curves.std(axis=0, ddof=1) / np.sqrt(replicates)
    # We compare with the weekly recursion F(t+1) = F + (1 - e^{-(p+qF)})(1 - F), which the
    # model follows exactly in expectation for a large population (hazard evaluated at the
    # start of each week). Tolerance: 4 standard errors of the replicate mean at each week,
    # plus 1/n for the finite-population bias of a nonlinear mean (Niu 2002).
    expected = bass_recursion(p, q, weeks)
    assert np.all(np.abs(mean - expected) <= 4 * se + 1.0 / n)
    # The continuous curve differs by a few percent at these p + q (weekly steps).
    assert np.abs(expected - bass_curve(p, q, np.arange(weeks + 1))).max() < 0.1


def test_bass_limit_holds_trust_at_one():
    run = run_once(bass_limit_params(0.02, 0.2, 20, 30), seed=3)
    assert run.timeseries["trust_agency_agency_mean"].eq(1.0).all()
    assert run.timeseries["trust_agency_isp_mean"].eq(1.0).all()
