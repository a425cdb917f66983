"""Bad calibration files fail before any run with one line naming the file and field."""

import pytest

from sim.calibration import prepare
from sim.calibration.spec import load_calibration
from sim.errors import ExperimentError


def _error(path) -> str:
    with pytest.raises(ExperimentError) as info:
        prepare(load_calibration(path))
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("changes, field, words", [
    ({"priors": {"innovaton_rate": {"low": 0.1, "high": 1}}}, "priors.innovaton_rate",
     "did you mean 'innovation_rate'"),
    ({"priors": {"abandon_rate": {"low": 0.1, "high": 2}}}, "priors.abandon_rate",
     "outside the allowed numbers >= 0 and <= 1"),
    ({"priors": {"abandon_rate": {"distribution": "normal", "mean": 0.1}}},
     "priors.abandon_rate", "needs mean and sd"),
    ({"targets": {"share_of_nothing": {"value": 1, "sd": 1}}}, "targets.share_of_nothing",
     "unknown summary statistic"),
    ({"targets": {"share_reached_startup": {"value": 0.5, "sd": 0}}},
     "targets.share_reached_startup.sd", "greater than 0"),
    ({"arm": "sideways"}, "arm", "unknown arm 'sideways'"),
    ({"population": 1}, "population", "greater than or equal to 2"),
    ({"stopp": {}}, "stopp", "unknown field"),
    ({"targets": {"csv": "missing.csv"}}, "targets.csv", "not found"),
    ({"stop": {"min_epsilon": "nois"}}, "stop.min_epsilon", "'noise'"),
    ({"stop": {"min_epsilon": -1.0}}, "stop.min_epsilon", "number >= 0 or 'noise'"),
    ({"noise": {"replicates": 1}}, "noise", "at least 2 runs"),
])
def test_bad_fields_name_the_field(calibration, changes, field, words):
    path = calibration(**changes)
    message = _error(path)
    assert message.startswith(f"{path}: {field}: ")
    assert words in message


def test_a_bad_site_table_names_its_row(calibration, workdir):
    (workdir / "sites.csv").write_text("site,stage,week\na,exploration,0\na,startup,12\n")
    message = _error(calibration(targets={"csv": "sites.csv"}))
    assert "sites.csv row 3: unknown stage 'startup'" in message
    (workdir / "sites.csv").write_text("site,stage,week\na,exploration,soon\n")
    assert "row 2: week 'soon' is not a week number" in _error(
        calibration(targets={"csv": "sites.csv"}))


def test_the_shipped_calibration_file_is_valid():
    from pathlib import Path

    path = Path(__file__).parents[2] / "experiments" / "calibrate_stage_attrition.yaml"
    setup = prepare(load_calibration(path))
    assert set(setup.observed) == {"share_reached_startup", "share_competent_of_started",
                                   "share_sustained_of_started", "median_weeks_to_full"}
    assert setup.base["weeks"] == 260
