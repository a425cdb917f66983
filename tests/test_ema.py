"""sim.ema: a ready EMA Workbench Model that perform_experiments runs on a tiny design."""

import math
from pathlib import Path

import numpy as np
import pytest

from sim.errors import ExperimentError

ema = pytest.importorskip("ema_workbench", reason="the trustsim[discovery] extra")

from sim.calibration.simulate import particle_seeds  # noqa: E402
from sim.ema import scenario_model  # noqa: E402
from sim.runs import run_once  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.sweep.paths import apply  # noqa: E402

TINY = Path(__file__).parent / "sweep" / "data" / "tiny.yaml"


def test_perform_experiments_runs_the_scenario_by_dotted_path():
    model = scenario_model(TINY, arm="co_creative",
                           uncertainties={"timeline.0.intensity": (0.2, 1.0),
                                          "staff_per_agency": (5, 30)},
                           levers={"strategy_mix": (0.0, 1.0)},
                           outcomes=["time_to_first_full", "trust_agency_isp_final"],
                           replicates=3, seed=4)
    experiments, outcomes = ema.perform_experiments(model, scenarios=3, policies=2,
                                                    log_progress=False)
    assert len(experiments) == 6
    assert outcomes["trust_agency_isp_final"].shape == (6,)
    row = experiments.iloc[4]
    assert "timeline__0__intensity" in experiments  # EMA names: dots as double underscores
    values = {"timeline.0.intensity": float(row["timeline__0__intensity"]),
              "staff_per_agency": int(row["staff_per_agency"]),
              "strategy_mix": float(row["strategy_mix"])}
    params = apply(load_scenario(TINY).arm_params("co_creative"), values)
    runs = [run_once(params, s, every=0).summary for s in particle_seeds(4, values, 3)]
    first = [30.0 if math.isnan(r["time_to_first_full"]) else r["time_to_first_full"]
             for r in runs]  # never reached = the 30-week horizon
    # the one rule (sim.censor): the median over replicates
    assert outcomes["time_to_first_full"][4] == pytest.approx(np.median(first))
    assert outcomes["trust_agency_isp_final"][4] == pytest.approx(
        np.median([r["trust_agency_isp_final"] for r in runs]))


@pytest.mark.parametrize("kwargs, words", [
    ({"uncertainties": {"turnover_per_yer": (0.1, 0.5)}},
     "uncertainties.turnover_per_yer: unknown parameter path; did you mean "
     "'turnover_per_year'?"),
    ({"levers": {"strategy_mix": (0.0, 2.0)}}, "levers.strategy_mix: 2.0 is not allowed"),
    ({"outcomes": ["speed"]}, "outcomes: unknown outcome 'speed'"),
    ({"arm": "sideways"}, "arm: unknown arm 'sideways'"),
])
def test_bad_declarations_are_one_line(kwargs, words):
    with pytest.raises(ExperimentError, match=words.replace("?", r"\?")):
        scenario_model(TINY, **kwargs)
