"""Diagnostics with every sensitivity analysis: implausible or weak indices are flagged
(a warning column, a diagnostics table, a printed line), and LHS and random designs get
an index (PAWN) too."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import sim.sweep as sweep
from sim.cli import main
from sim.sweep.diagnostics import check, pawn, pawn_median, slices

ISHIGAMI = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[-np.pi, np.pi]] * 3}


def _sobol(n: int, seed: int = 1) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    from SALib.analyze import sobol
    from SALib.sample import sobol as sample
    from SALib.test_functions import Ishigami

    y = Ishigami.evaluate(sample.sample(ISHIGAMI, n, calc_second_order=False, seed=seed))
    si = sobol.analyze(ISHIGAMI, y, calc_second_order=False, seed=seed, keep_resamples=True)
    table = pd.DataFrame({"parameter": ISHIGAMI["names"],
                          **{k: si[k] for k in ("S1", "S1_conf", "ST", "ST_conf")}})
    return table, {k: si[k] for k in ("S1_conf_all", "ST_conf_all")}


def test_sobol_sums_and_their_intervals_match_the_ishigami_function():
    """Ishigami's indices are known: S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244),
    so the sums are 0.756 and 1.244. SALib's estimates at N = 1024 scatter around them by
    their bootstrap spread; the tolerance is three bootstrap half-widths (about 1.5 sd),
    which the seeded estimate meets with room, and nothing is flagged."""
    table, resamples = _sobol(1024)
    verdict = check("sobol", table, replicates=2, censored=np.nan, resamples=resamples)
    for key, exact in (("S1", 0.3139 + 0.4424), ("ST", 0.5576 + 0.4424 + 0.2437)):
        half = verdict.row[f"{key}_sum_conf"]
        assert 0 < half < 0.5
        assert verdict.row[f"{key}_sum"] == pytest.approx(exact, abs=3 * half)
    assert verdict.warnings == [] and verdict.row["warning"] == ""


def test_a_tiny_sobol_sample_is_flagged():
    """At N = 4 the bootstrap intervals of Ishigami's indices are wider than the indices."""
    table, resamples = _sobol(4)
    verdict = check("sobol", table, replicates=1, censored=np.nan, resamples=resamples)
    said = " | ".join(verdict.warnings)
    assert "wider than the index" in said and "1 replicate per point" in said


def _table(**cols) -> pd.DataFrame:
    return pd.DataFrame({"parameter": ["p", "q", "r"], **cols})


PLAUSIBLE_SOBOL = dict(S1=[0.5, 0.3, 0.0], S1_conf=[0.05, 0.05, 0.02],
                       ST=[0.6, 0.35, 0.01], ST_conf=[0.05, 0.05, 0.02])


@pytest.mark.parametrize("method, changes, kw, said", [
    ("sobol", dict(S1=[0.9, 0.6, 0.1]), {}, "first-order indices sum to 1.60"),
    ("sobol", dict(S1=[-0.3, -0.2, 0.0]), {}, "first-order indices sum to -0.50"),
    ("sobol", dict(ST=[0.2, 0.35, 0.01]), {}, "ST below S1 beyond both intervals for p"),
    ("sobol", dict(ST_conf=[0.5, 0.05, 0.02]), {}, "interval of ST wider than the index for p"),
    ("sobol", {}, dict(replicates=1), "1 replicate per point"),
    ("sobol", {}, dict(censored=0.54), "54% of runs never reached this time"),
    ("morris", dict(mu_star=[2.0, 1.0, 0.0], mu_star_conf=[0.5, 0.6, 0.1]), {},
     "interval of mu_star wider than the index for q"),
    ("pawn", dict(pawn=[0.6, 0.3, 0.2], pawn_conf=[0.1, 0.2, 0.15]), {},
     "interval of pawn wider than the index for q, r"),
], ids=["S1-sum-high", "S1-sum-negative", "ST-below-S1", "wide-ST", "one-replicate",
        "censored", "wide-mu-star", "wide-pawn"])
def test_implausible_indices_are_flagged(method, changes, kw, said):
    table = _table(**({**PLAUSIBLE_SOBOL, **changes} if method == "sobol" else changes))
    args = {"replicates": 2, "censored": float("nan"), **kw}
    verdict = check(method, table, **args)
    assert any(said in w for w in verdict.warnings), verdict.warnings
    assert said in verdict.row["warning"]


def test_plausible_indices_are_not_flagged():
    verdict = check("sobol", _table(**PLAUSIBLE_SOBOL), replicates=2, censored=0.1)
    assert verdict.warnings == [] and verdict.by_parameter == {}
    assert verdict.row["S1_sum"] == pytest.approx(0.8)


def test_a_censoring_share_at_the_limit_is_not_flagged():
    verdict = check("sobol", _table(**PLAUSIBLE_SOBOL), replicates=2, censored=0.2)
    assert verdict.warnings == []


@pytest.mark.parametrize("n", [23, 48, 200])
def test_pawn_is_salibs(n):
    """The vectorised PAWN median is SALib's own (SALib.analyze.pawn, same slices)."""
    from SALib.analyze import pawn as salib_pawn

    rng = np.random.default_rng(n)
    x = rng.random((n, 3))
    y = np.sin(6 * x[:, 0]) + x[:, 1] ** 2 + 0.1 * rng.standard_normal(n)
    prob = {"num_vars": 3, "names": list("abc"), "bounds": [[0, 1]] * 3}
    expected = salib_pawn.analyze(prob, x, y, S=slices(n), seed=1)["median"]
    got = [pawn_median(x[:, j], y, slices(n)) for j in range(3)]
    assert got == pytest.approx(list(expected), abs=1e-12)


def test_pawn_tells_a_strong_input_from_the_noise_floor():
    """y depends on the first input only. With 200 points the dummy's PAWN (the noise
    floor) is about 0.2 and the strong input's about 0.9; their bootstrap intervals
    (spread of 100 seeded resamples) must not overlap, and the inert input's interval
    must reach the dummy's."""
    rng = np.random.default_rng(3)
    x = rng.random((200, 2))
    y = x[:, 0] + 0.05 * rng.standard_normal(200)
    table = pawn(x, y, ["strong", "inert"], seed=4).set_index("parameter")
    floor, floor_half = table["pawn_dummy"].iloc[0], table["pawn_dummy_conf"].iloc[0]
    strong, inert = table.loc["strong"], table.loc["inert"]
    assert strong["pawn"] - strong["pawn_conf"] > floor + floor_half
    assert inert["pawn"] - inert["pawn_conf"] < floor + floor_half
    again = pawn(x, y, ["strong", "inert"], seed=4).set_index("parameter")
    pd.testing.assert_frame_equal(table, again)  # seeded: the same table every time


# -- on real sweeps ------------------------------------------------------------------------
TWO = {"strategy_mix": {"low": 0, "high": 1}, "trust_threshold": {"low": 0.3, "high": 0.8}}


def test_sobol_with_one_replicate_warns_in_the_tables(experiment, workdir):
    path = experiment(design="sobol", samples=8, replicates=1, record="end", parameters=TWO,
                      outcomes=["trust_agency_isp_final"])
    sweep.run(path, workers=1, out=workdir / "out", progress=False)
    result = sweep.analyze(workdir / "out")
    assert any("1 replicate per point" in w for w in result.warnings)
    indices = pd.read_csv(result.out / "sobol_indices.csv", keep_default_na=False)
    assert indices["warning"].str.contains("1 replicate per point").all()
    diag = pd.read_csv(result.out / "sobol_diagnostics.csv")
    assert list(diag["outcome"]) == ["trust_agency_isp_final"]
    assert {"S1_sum", "S1_sum_conf", "ST_sum", "ST_sum_conf", "warning"} <= set(diag)


def test_an_lhs_design_gets_a_pawn_table(experiment, workdir):
    """strategy_mix moves final trust in ISPs from about 0.4 to 0.55 on the tiny scenario;
    trust_threshold does not move it. With 40 points x 2 replicates the strong input's
    PAWN interval lies above the dummy's (the noise floor); the bounds are the bootstrap
    spread of the seeded resamples, not fixed numbers."""
    path = experiment(design="lhs", samples=40, replicates=2, record="end", parameters=TWO,
                      outcomes=["trust_agency_isp_final"])
    sweep.run(path, workers=2, out=workdir / "out", progress=False)
    result = sweep.analyze(workdir / "out")
    table = result.tables["pawn_indices"].set_index("parameter")
    strong = table.loc["strategy_mix"]
    assert strong["pawn"] - strong["pawn_conf"] > \
        strong["pawn_dummy"] + strong["pawn_dummy_conf"]
    diag = pd.read_csv(result.out / "pawn_diagnostics.csv")
    assert diag.loc[0, "pawn_dummy"] == pytest.approx(strong["pawn_dummy"])
    assert {"pawn_trust_agency_isp_final.png"} <= {p.name for p in result.figures}


def test_analyze_prints_one_warning_line_per_finding(experiment, workdir, monkeypatch,
                                                      capsys):
    path = experiment(design="sobol", samples=4, replicates=1, record="end", parameters=TWO,
                      outcomes=["trust_agency_isp_final"])
    sweep.run(path, workers=1, out=workdir / "out", progress=False)
    monkeypatch.setattr(sys, "argv", ["trustsim", "analyze", str(workdir / "out")])
    with pytest.raises(SystemExit) as exc:
        main()
        raise SystemExit(0)
    err = capsys.readouterr().err
    assert exc.value.code == 0, err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("trustsim: warning: sobol indices of ")
                         for line in lines), err
    assert any("1 replicate per point" in line for line in lines)
