"""The noise-aware distance, its floor, the stopping rule, log axes and the predictive
check (small populations and few runs; the recovery check is the slow lane's)."""

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from sim.calibration import calibrate, prepare
from sim.calibration.noise import (
    NOISE_SALT,
    distance_scale,
    measure_noise,
    noise_floor,
    prior_centre,
)
from sim.calibration.outputs import pairs_figure
from sim.calibration.simulate import particle_seeds, run_statistics
from sim.calibration.spec import Prior, load_calibration
from sim.censor import censor


def test_the_noise_is_the_spread_of_single_runs_on_their_own_seeds(calibration):
    setup = prepare(load_calibration(calibration(
        targets={"median_weeks_to_startup": {"value": 20.0, "sd": 3.0},
                 "share_reached_startup": {"value": 0.5, "sd": 0.1}})))
    theta = {"innovation_rate": 0.5}
    with ThreadPoolExecutor(2) as pool:
        sigma = measure_noise(setup.simulator, theta, 4, pool)
    # the same four runs by hand: the particle's values, the noise salt, censored
    values, params = setup.simulator.params(theta)
    runs = [run_statistics(params, s, False)
            for s in particle_seeds(setup.spec.seed, values, 4, NOISE_SALT)]
    for k in setup.observed:
        x = [censor(k, r[k], 60) for r in runs]
        assert sigma[k] == pytest.approx(np.std(x, ddof=1))
    assert sigma["median_weeks_to_startup"] > 0  # the model does vary from run to run


def test_the_scale_adds_the_noise_of_a_replicate_mean_to_the_observed_sd():
    observed = {"a": (1.0, 3.0), "b": (1.0, 3.0), "c": (1.0, 3.0)}
    sigma = {"a": 0.0, "b": 4.0, "c": 40.0}
    one, four = distance_scale(observed, sigma, 1), distance_scale(observed, sigma, 4)
    assert one["a"] == four["a"] == 3.0       # no model noise: the observed sd alone
    assert one["b"] == pytest.approx(5.0)     # 3-4-5: added in variance
    assert four["b"] == pytest.approx(np.sqrt(9 + 16 / 4))  # a 4-run mean is quieter
    assert one["c"] > one["b"] > one["a"]     # the noisier the statistic, the less weight


@pytest.mark.parametrize("k", [1, 2, 4, 6])
def test_the_floor_is_the_median_distance_of_a_particle_at_the_truth(k):
    # a particle at the truth: each scaled difference is about standard normal
    rng = np.random.default_rng(7)
    lengths = np.linalg.norm(rng.standard_normal((20_000, k)), axis=1)
    share_below = np.mean(lengths <= noise_floor(k))
    # binomial sd of a share of 20,000 draws is 0.0035; 4 sd
    assert abs(share_below - 0.5) < 4 * np.sqrt(0.25 / 20_000)


def test_the_prior_centre_of_a_log_uniform_prior_is_its_geometric_mean():
    priors = {"a": Prior(distribution="log-uniform", low=0.01, high=1.0),
              "b": Prior(distribution="uniform", low=0.0, high=0.2),
              "c": Prior(distribution="normal", mean=0.5, sd=1.0, low=0.0, high=0.3)}
    centre = prior_centre(priors, {})
    assert centre["a"] == pytest.approx(0.1)
    assert centre["b"] == pytest.approx(0.1)
    assert centre["c"] == 0.3  # the mean, truncated to the prior's range


def test_the_manifest_and_output_say_why_it_stopped(calibration, workdir):
    out = workdir / "out"
    report = calibrate(calibration(noise={"replicates": 3}, population=4, predictive=3,
                                   stop={"generations": 1}), out=out)
    manifest = json.loads((out / "calibration.json").read_text())
    assert manifest["noise"]["replicates"] == 3
    assert set(manifest["noise"]["sd_one_run"]) == {"median_weeks_to_startup"}
    assert manifest["distance"]["noise_floor"] == pytest.approx(noise_floor(1))
    assert manifest["stopped"] == report.stopped
    assert "stopped after 1 generation(s)" in report.stopped
    assert "noise floor" in report.stopped and f"{noise_floor(1):.3g}" in report.stopped
    eps = pd.read_csv(out / "generations.csv")["epsilon"].iloc[-1]
    if eps > noise_floor(1):
        assert "the generation cap" in report.stopped
        assert any("not converged" in n for n in report.notes)
    assert any("3 posterior draws" in n for n in report.notes)
    pred = pd.read_csv(out / "predictive.csv")
    assert (pred["draws"] == 3).all() and {"observed_in_band", "predictive_p"} <= set(pred)


def test_a_min_epsilon_met_at_once_stops_there_and_one_below_the_floor_is_named(
        calibration, workdir):
    report = calibrate(calibration(noise={"replicates": 0}, population=4, predictive=0,
                                   stop={"generations": 3, "min_epsilon": 1e6}),
                       out=workdir / "a")
    assert report.generations == 1
    assert "reached stop.min_epsilon (1e+06;" in report.stopped
    setup = prepare(load_calibration(calibration(stop={"min_epsilon": 0.1})))
    setup.sigma = {}
    assert setup.min_epsilon == 0.1 < setup.floor


def test_a_log_uniform_prior_is_drawn_on_log_axes():
    priors = {"rate": Prior(distribution="log-uniform", low=0.01, high=10.0),
              "share": Prior(distribution="uniform", low=0.0, high=1.0)}
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"rate": 10 ** rng.uniform(-2, 1, 50), "share": rng.random(50)})
    fig = pairs_figure(frame, np.ones(50), priors)
    axes = fig.axes
    k = 2
    assert axes[0].get_xscale() == "log"                                   # rate's marginal
    assert axes[k + 1].get_xscale() == "linear"                            # share's marginal
    assert axes[k].get_xscale() == "log" and axes[k].get_yscale() == "linear"  # share~rate
    assert "log axis" in axes[k].get_xlabel()


def test_the_predictive_check_defaults_to_at_least_100_draws(calibration):
    import yaml

    path = calibration()
    data = yaml.safe_load(path.read_text())
    del data["predictive"]
    path.write_text(yaml.safe_dump(data))
    assert load_calibration(path).predictive >= 100
