"""A ready EMA Workbench ``Model`` of a scenario arm (the ``trustsim[discovery]`` extra).

Uncertainties and levers are dotted parameter paths as in experiment files
(sim.sweep.paths), checked against the model's own ranges; EMA Workbench wants Python
identifiers, so inside it a path's dots become double underscores
(``timeline.0.intensity`` is ``timeline__0__intensity``). Outcomes are per-run summary
outcomes by name. Each experiment runs ``replicates`` seeded runs (numpy SeedSequence keyed
by the seed and the experiment's values, so results do not depend on the evaluator) and
returns their median by the one rule of ``sim.censor`` (a time never reached counts as the
horizon; a NaN in another outcome is left out)::

    from ema_workbench import perform_experiments
    from sim.ema import scenario_model

    model = scenario_model("scenarios/covid_pivot.yaml", arm="co_creative",
                           uncertainties={"turnover_per_year": (0.1, 0.6)},
                           levers={"strategy_mix": (0.0, 1.0)},
                           outcomes=["time_to_50_full", "final_reach"], replicates=4)
    experiments, outcomes = perform_experiments(model, scenarios=50, policies=4)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.censor import estimate
from sim.errors import ExperimentError
from sim.optional import require
from sim.sweep.paths import Target, apply, lookup, valid_targets

Range = tuple[float, float] | list[Any]


def ema_name(path: str) -> str:
    """The identifier EMA Workbench knows a dotted path by."""
    return path.replace(".", "__")


@dataclass
class ScenarioFunction:
    """The callable EMA Workbench runs: keyword arguments by dotted path in, replicate-median
    outcomes out. Top level and picklable, for EMA's multiprocessing evaluator."""

    base: dict[str, Any]
    paths: dict[str, Target]
    outcomes: list[str]
    replicates: int
    seed: int

    def __call__(self, **values: Any) -> dict[str, float]:
        from sim.calibration.simulate import particle_seeds
        from sim.runs import run_columns

        chosen = {path: self.paths[path].convert(values[ema_name(path)])
                  for path in self.paths if ema_name(path) in values}
        params = apply(self.base, chosen)
        horizon = params.get("weeks", 260)
        runs = [run_columns(params, s, every=0)[1]
                for s in particle_seeds(self.seed, chosen, self.replicates)]
        return {o: estimate(np.array([r.get(o, np.nan) for r in runs], float), o,
                            horizon).value for o in self.outcomes}


def scenario_model(scenario: str | Path, arm: str | None = None,
                   uncertainties: dict[str, Range] | None = None,
                   levers: dict[str, Range] | None = None,
                   outcomes: list[str] | None = None, replicates: int = 1, seed: int = 0,
                   weeks: int | None = None, name: str = "trustsim") -> Any:
    """An ``ema_workbench.Model`` of ``scenario``'s ``arm``; a range is ``(low, high)``, a
    list is categorical levels. ExperimentError (one line) on a bad path, range or outcome."""
    ema = require("ema_workbench", "discovery")
    from sim.outcomes import SUMMARY_OUTCOMES
    from sim.scenario import load_scenario

    sc = load_scenario(scenario)
    arm = arm if arm is not None else sc.arms[0]
    if arm not in sc.arms:
        raise ExperimentError(f"unknown arm '{arm}'; it has: " + ", ".join(sc.arms),
                              source=str(scenario), field="arm")
    base = sc.arm_params(arm)
    if weeks is not None:
        base["weeks"] = weeks
    valid = valid_targets(base)
    outcomes = outcomes or ["time_to_50_full", "final_share_at_full", "final_reach"]
    for o in outcomes:
        if o not in SUMMARY_OUTCOMES:
            raise ExperimentError(f"unknown outcome '{o}'", source=str(scenario),
                                  field="outcomes")
    paths: dict[str, Target] = {}
    declared = {kind: [_parameter(ema, valid, path, rng, str(scenario), kind, paths)
                       for path, rng in (given or {}).items()]
                for kind, given in (("uncertainties", uncertainties), ("levers", levers))}
    model = ema.Model(name, function=ScenarioFunction(base, paths, list(outcomes),
                                                      replicates, seed))
    model.uncertainties = declared["uncertainties"]
    model.levers = declared["levers"]
    model.outcomes = [ema.ScalarOutcome(o) for o in outcomes]
    return model


def _parameter(ema, valid: dict[str, Target], path: str, rng: Range, source: str,
               kind: str, paths: dict[str, Target]) -> Any:
    field = f"{kind}.{path}"
    target = paths[path] = lookup(path, valid, source, field)
    values = list(rng)
    for v in values:
        if not target.allows(v):
            raise ExperimentError(f"{v!r} is not allowed: expected {target.describe()}",
                                  source=source, field=field)
    name = ema_name(path)
    if isinstance(rng, list) or target.kind == "choice":
        return ema.CategoricalParameter(name, values)
    low, high = values
    if target.kind == "int":
        return ema.IntegerParameter(name, int(low), int(high))
    return ema.RealParameter(name, float(low), float(high))
