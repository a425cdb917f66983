"""Site statistics from SIC-style stage dates, computed one way for observed and simulated
sites, and the CSV target form end to end."""

import math

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.calibration import calibrate
from sim.calibration.targets import (
    Stages,
    reached_from_dates,
    reached_from_model,
    site_statistics,
)
from sim.censor import censor
from sim.model import TrustModel

STAGES = Stages(("exploration", "installation", "initial_implementation",
                 "full_implementation", "sustainment"), startup=2, full=3)

SITES = """site,stage,week
a,exploration,0
a,initial_implementation,10
a,full_implementation,50
b,exploration,0
b,initial_implementation,30
b,full_implementation,
c,exploration,0
c,installation,5
d,sustainment,90
"""


def test_statistics_of_observed_sites(tmp_path):
    dates = pd.read_csv(pd.io.common.StringIO(SITES))
    stats = site_statistics(reached_from_dates(dates, STAGES), STAGES, horizon=104)
    # d reached sustainment, so it passed start-up and competence by week 90 at the latest
    assert stats["share_reached_startup"] == 3 / 4
    assert stats["share_competent_of_started"] == pytest.approx(2 / 3)
    assert stats["share_sustainment_of_started"] == pytest.approx(1 / 3)
    assert stats["median_weeks_to_startup"] == 30
    assert stats["median_weeks_to_full"] == 70


def test_simulated_sites_agree_with_the_models_own_summary():
    model = TrustModel(rng=3, weeks=120, n_families=60, innovation_complexity=0.3).run()
    stats = site_statistics(reached_from_model(model), Stages.of(model), model.week)
    summary = model.summary()
    assert stats["share_reached_startup"] == summary["share_reached_startup"]
    assert stats["median_weeks_to_startup"] == censor(
        "median_weeks_to_startup", summary["median_weeks_to_startup"], model.week)
    assert stats["share_competent_of_started"] == pytest.approx(
        censor("share_competent_of_started", summary["share_competent_of_started"], 120))


def test_censoring_times_at_the_horizon_and_empty_shares_at_zero():
    assert censor("median_weeks_to_full", math.nan, 104) == 104
    assert censor("time_to_50_startup", None, 52) == 52
    assert censor("share_competent_of_started", math.nan, 104) == 0


def test_a_site_table_calibrates_end_to_end(calibration, workdir):
    (workdir / "sites.csv").write_text(SITES)
    out = workdir / "out"
    report = calibrate(calibration(targets={"csv": "sites.csv", "statistics": [
        "share_reached_startup", "median_weeks_to_startup"]}, population=4), out=out)
    assert report.generations == 1
    pred = pd.read_csv(out / "predictive.csv")
    assert list(pred["statistic"]) == ["share_reached_startup", "median_weeks_to_startup"]
    assert pred.loc[0, "observed"] == 0.75
    for name in ("posterior.parquet", "posterior_summary.csv", "posterior.png",
                 "predictive.png", "generations.csv"):
        assert (out / name).exists()
    # the posterior's columns are in the codebook and described in the file itself
    book = pd.read_csv(out / "codebook.csv", keep_default_na=False)
    schema = pq.read_schema(out / "posterior.parquet")
    assert list(book["column"]) == schema.names and (book["file"] == "posterior.parquet").all()
    assert "not in the codebook" not in " ".join(book["meaning"])
    assert all(f.metadata[b"meaning"].decode() == m
               for f, m in zip(schema, book["meaning"], strict=True))
