"""Scenario files: read and validate them, run their arms x replicates, save and plot.

    from sim.scenario import load_scenario, run_scenario
    result = run_scenario(load_scenario("scenarios/covid_pivot.yaml"), workers=2)
    result.table(); result.plot()
"""

from sim.scenario.loader import Scenario, load_scenario
from sim.scenario.results import ScenarioResult
from sim.scenario.runner import run_scenario

__all__ = ["Scenario", "ScenarioResult", "load_scenario", "run_scenario"]
