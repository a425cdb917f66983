"""From an experiment file to a checked plan: base parameters, design points, seeds.

Everything that can be wrong with the input is found here, before a worker starts or a
file is written.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim import capacity
from sim.errors import ExperimentError
from sim.runs import run_seed
from sim.sweep.design import Design, make_design
from sim.sweep.paths import Target, apply, check_parameters
from sim.sweep.spec import ExperimentSpec, load_experiment
from sim.yamlfile import display_path


@dataclass
class Plan:
    """A validated sweep: ``design`` points x ``replicates`` runs on top of ``base``."""

    spec: ExperimentSpec
    scenario: Any
    arm: str
    base: dict[str, Any]
    seed: int
    targets: dict[str, Target]
    design: Design
    #: the second arm's parameters in a paired sweep (``arms:``); runs then return the
    #: paired difference of the two arms on one seed
    pair: tuple[str, dict[str, Any]] | None = None
    _last: tuple[int, dict[str, Any]] = field(default=(-1, {}), repr=False)

    @property
    def replicates(self) -> int:
        return self.spec.replicates

    @property
    def n_runs(self) -> int:
        return len(self.design) * self.replicates

    def run(self, run_id: int) -> tuple[int, int, int, dict[str, Any]]:
        """(point, replicate, seed, params) of one run id."""
        point, replicate = divmod(run_id, self.replicates)
        return point, replicate, self.run_seed(point, replicate), self.params(point)

    def run_seed(self, point: int, replicate: int) -> int:
        """Per run by default; with common random numbers, replicate r of every point
        shares a seed, so differences between points are not run-to-run noise."""
        key_point = 0 if self.spec.common_random_numbers else point
        return run_seed(self.seed, key_point, replicate)

    def params(self, point: int) -> dict[str, Any] | list[tuple[str, dict[str, Any]]]:
        """The TrustModel parameters of one design point, both arms' in a paired sweep
        (replicates of a point run one after another, so the last point's are kept)."""
        if self._last[0] != point:
            values = self.design.point(point)
            params = apply(self.base, values)
            if self.pair is not None:
                params = [(self.arm.split(" - ")[1], params),
                          (self.pair[0], apply(self.pair[1], values))]
            self._last = (point, params)
        return self._last[1]

    def fingerprint(self) -> str:
        """Identifies what would be run: same fingerprint, same runs, same numbers."""
        data = {"spec": self.spec.model_dump(mode="json"), "arm": self.arm,
                "base": self.base, "seed": self.seed}
        if self.pair is not None:
            data["pair"] = self.pair
        if self.spec.design == "table":  # the points come from a file that may change
            data["points"] = self.design.values.to_json()
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def default_out(self) -> Path:
        return Path("results") / "sweeps" / self.spec.name


def make_plan(experiment: str | Path | ExperimentSpec, max_runs: int | None = None) -> Plan:
    """Read and check an experiment (a file or a parsed spec) and build its design.

    A sweep of more than ``max_runs`` runs (default: ``sim.capacity.max_runs``, a million)
    is refused before its design is built, as is one whose largest run would not fit in
    this machine's memory (``sim.capacity``).
    """
    from sim.scenario import load_scenario

    spec = experiment if isinstance(experiment, ExperimentSpec) else load_experiment(experiment)
    source = display_path(spec.source) if spec.source else "experiment"
    path = spec.scenario_path()
    if not path.exists():  # a folder or FIFO: load_scenario says which
        raise ExperimentError(f"scenario file {spec.scenario} not found (looked at {path})",
                              source=source, field="scenario")
    scenario = load_scenario(path)
    arms = spec.arms or [spec.arm if spec.arm is not None else scenario.arms[0]]
    bases = []
    for arm in arms:
        if arm not in scenario.arms:
            raise ExperimentError(f"unknown arm '{arm}'; {spec.scenario} has: "
                                  + ", ".join(scenario.arms), source=source,
                                  field="arms" if spec.arms else "arm")
        bases.append(scenario.arm_params(arm))
        if spec.weeks is not None:
            bases[-1]["weeks"] = spec.weeks
            _check_base(bases[-1], source)
    seed = spec.seed if spec.seed is not None else int(scenario.seed)
    spec = spec.model_copy(update={"seed": seed})
    base = bases[0]
    _check_outcomes(spec, base, source)
    with capacity.max_runs(max_runs) if max_runs is not None else contextlib.nullcontext():
        if spec.design == "table":  # the table is read, its row count is the design's size
            from sim.sweep.table import table_design

            targets, design = table_design(spec, base)
            capacity.check_sweep(len(design), spec.replicates, ExperimentError, source)
        else:  # checked before the design is built: a typo must not allocate it
            targets = check_parameters(spec, base)
            capacity.check_sweep(spec.n_points(), spec.replicates, ExperimentError, source)
            capacity.check_run(capacity.estimate(largest_run(spec, base)), 1, ExperimentError,
                               source, "parameters")
            design = make_design(spec, targets)
    label = arms[0] if len(arms) == 1 else f"{arms[1]} - {arms[0]}"
    return Plan(spec, scenario, label, base, seed, targets, design,
                (arms[1], bases[1]) if len(bases) > 1 else None)


def largest_run(spec: ExperimentSpec, base: dict[str, Any]) -> dict[str, Any]:
    """``base`` with every varied parameter at its largest value (what costs most)."""
    values = {}
    for path, rng in spec.parameters.items():
        options = rng.levels if rng.levels is not None else [rng.low, rng.high]
        numbers = [v for v in options if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers:
            values[path] = max(numbers)
    return apply(base, values)


def _check_base(base: dict[str, Any], source: str) -> None:
    """The scenario was checked with its own weeks; a shorter run may cut its timeline."""
    from sim.config import check_params

    try:
        check_params(base)
    except ValueError as exc:
        raise ExperimentError(f"with this many weeks the scenario is invalid: {exc}",
                              source=source, field="weeks") from None


def _check_outcomes(spec: ExperimentSpec, base: dict[str, Any], source: str) -> None:
    from sim.outcomes import SUMMARY_OUTCOMES, WEEKLY_OUTCOMES
    from sim.parameters import DEFAULT_FAMILY_GROUPS

    groups = [g.get("name") for g in base.get("family_groups") or DEFAULT_FAMILY_GROUPS]
    reach = {f"reach_{g}" for g in groups}
    for key, known in (("outcomes", set(SUMMARY_OUTCOMES) | reach),
                         ("weekly", set(WEEKLY_OUTCOMES) | reach)):
        for name in getattr(spec, key) or []:
            if name not in known and not name.startswith("hours_"):
                hint = difflib.get_close_matches(name, sorted(known), n=1)
                extra = f"did you mean '{hint[0]}'? " if hint else ""
                raise ExperimentError(f"unknown outcome '{name}'; {extra}known: "
                                      + ", ".join(sorted(known)) + ", hours_<interaction>",
                                      source=source, field=key)
