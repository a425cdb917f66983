"""Sensitivity analysis of real sweeps: SALib indices with intervals, tables, figures."""

from __future__ import annotations

import numpy as np
import pytest

import sim.sweep as sweep


@pytest.mark.parametrize("design, extra", [("sobol", {"samples": 8}),
                                           ("morris", {"samples": 6, "levels": 4})])
def test_indices_rank_a_strong_parameter_above_an_inert_one(experiment, workdir, design,
                                                            extra):
    """strategy_mix moves agencies' final trust in ISPs from about 0.4 to 0.55 on the tiny
    scenario (Morris mu* about 0.13, in trust units, hence its bound of 0.05);
    trust_threshold only changes which ties count as trusting, not the dynamics.
    With common random numbers every point runs on the same seed, so the inert parameter's
    indices are exactly zero (no run-to-run noise), while the strong one's are large even
    with so few samples (SALib's Sobol estimates scatter by about +-0.8 at N = 8, hence the
    loose lower bound)."""
    path = experiment(design=design, replicates=1, record="end", common_random_numbers=True,
                      parameters={"strategy_mix": {"low": 0, "high": 1},
                                  "trust_threshold": {"low": 0.3, "high": 0.8}},
                      outcomes=["trust_agency_isp_final", "time_to_50_full"], **extra)
    sweep.run(path, workers=2, out=workdir / "out", progress=False)
    result = sweep.analyze(workdir / "out", outcomes=["trust_agency_isp_final"])
    table = result.tables[f"{design}_indices"].set_index(["outcome", "parameter"])
    row = table.loc["trust_agency_isp_final"]
    if design == "sobol":
        assert row.loc["strategy_mix", "ST"] > 0.5
        assert row.loc["trust_threshold", ["S1", "ST"]].abs().max() < 1e-9
        assert (table[["S1_conf", "ST_conf"]] >= 0).all().all()
    else:
        assert row.loc["strategy_mix", "mu_star"] > 0.05
        assert row.loc["trust_threshold", "mu_star"] < 1e-9
        assert np.isfinite(table["mu_star_conf"]).all()
    names = {p.name for p in result.figures}
    assert {f"{design}_trust_agency_isp_final.png",
            f"{design}_trust_agency_isp_final.svg"} <= names
    assert "adoption" in " ".join(result.notes)  # record: end keeps no weekly curves


def test_morris_on_a_censored_time_says_so_and_draws_mu_sigma(experiment, workdir):
    """On the 30-week tiny scenario most runs never get half the agencies to start-up:
    the indices are computed on censored medians (never-reached runs
    counted at 30 weeks), and the table, a note and the figure titles say how many."""
    path = experiment(design="morris", samples=4, levels=4, replicates=1, record="end",
                      parameters={"strategy_mix": {"low": 0, "high": 1},
                                  "turnover_per_year": {"low": 0, "high": 1}},
                      outcomes=["time_to_50_startup", "trust_agency_isp_final"])
    sweep.run(path, workers=2, out=workdir / "out", progress=False)
    res = sweep.load(workdir / "out")
    share = res.summaries["time_to_50_startup"].isna().mean()
    assert 0 < share < 1
    result = sweep.analyze(workdir / "out", outcomes=["time_to_50_startup",
                                                      "trust_agency_isp_final"])
    said = (f"runs that never reached a time count at the horizon (30 weeks) in medians, "
            f"intervals, heatmaps and indices: time_to_50_startup {share:.0%}")
    assert said in result.notes
    table = result.tables["morris_indices"]
    assert (table.loc[table["outcome"] == "time_to_50_startup", "censored"] == share).all()
    assert table.loc[table["outcome"] == "trust_agency_isp_final", "censored"].isna().all()
    summary = result.tables["point_summary"]
    assert set(summary["outcome"]) == {"time_to_50_startup", "trust_agency_isp_final"}
    names = {p.name for p in result.figures}
    assert {"morris_time_to_50_startup.png", "morris_mu_sigma_time_to_50_startup.png",
            "morris_mu_sigma_trust_agency_isp_final.svg"} <= names


def test_bars_whiskers_stop_at_zero():
    import pandas as pd

    from sim.sweep.analysis import clipped_whiskers, top_parameters

    err = clipped_whiskers(pd.Series([0.5, 0.1, -0.02]), pd.Series([0.2, 0.3, 0.1]))
    assert np.allclose(err, [[0.2, 0.1, 0.0], [0.2, 0.3, 0.1]])
    table = pd.DataFrame({"outcome": "y", "parameter": list("abc"), "ST": [0.1, 0.7, 0.3]})
    assert list(top_parameters(table, "sobol", 2)["parameter"]) == ["b", "c"]
