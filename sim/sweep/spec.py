"""Experiment files: which scenario, which parameters to vary, which design, what to keep.

An experiment file is YAML validated here as strictly as a scenario file (the same
reader, ``sim.yamlfile``; pydantic with unknown keys rejected, strict and finite numbers)
so that a typo fails at once with one line naming the file and field, before any run
starts or any file is written.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.condition import parse_condition
from sim.errors import ExperimentError, show_value
from sim.scenario.schema import Name
from sim.yamlfile import display_path, read_mapping

DESIGNS = ("grid", "random", "lhs", "sobol", "morris", "table")


class _Strict(BaseModel):
    # strict: '8' is not a number; no inf or nan
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class ParameterRange(_Strict):
    """What one parameter may take: a range ``low``..``high`` or explicit ``levels``.

    ``steps`` spreads a range over evenly spaced grid levels; sampled designs draw from
    the range (``distribution``: uniform or log-uniform) or pick among the levels.
    """

    low: float | None = None
    high: float | None = None
    levels: list[Any] | None = None
    steps: Annotated[int, Field(ge=2, le=10_000)] | None = None
    distribution: Literal["uniform", "log-uniform"] = "uniform"

    @model_validator(mode="after")
    def _check(self) -> ParameterRange:
        if self.levels is not None:
            if self.low is not None or self.high is not None or self.steps is not None:
                raise ValueError("give either levels or low/high, not both")
            if not self.levels:
                raise ValueError("levels must not be empty")
            return self
        if self.low is None or self.high is None:
            raise ValueError("expected low and high, or levels")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite numbers")
        if self.low > self.high:
            raise ValueError(f"low ({self.low:g}) is greater than high ({self.high:g})")
        if self.low == self.high:
            raise ValueError(f"low and high are both {self.low:g}; give a range or levels")
        if self.distribution == "log-uniform" and self.low <= 0:
            raise ValueError("a log-uniform range needs low > 0")
        return self

    def grid_levels(self) -> list[Any]:
        """The values a full-factorial grid visits."""
        if self.levels is not None:
            return list(self.levels)
        if self.steps is None:
            raise ValueError("a grid needs levels or steps for every parameter")
        import numpy as np

        if self.distribution == "log-uniform":
            vals = np.geomspace(self.low, self.high, self.steps)
        else:
            vals = np.linspace(self.low, self.high, self.steps)
        return [float(v) for v in vals]


class Every(_Strict):
    every: Annotated[int, Field(ge=1, le=5200)]


class Discover(_Strict):
    """Defaults for ``trustsim discover`` on this experiment's results (docs/discovery.md)."""

    outcome: str
    where: str  # checked by ``check`` (its length first, unparsed)
    mass_min: Annotated[float, Field(gt=0, lt=1)] = 0.05

    def check(self, columns: list[str] | None) -> None:
        """``where`` in the condition language (sim.condition: it can never run code)."""
        try:
            parse_condition(self.where, columns, self.outcome)
        except ExperimentError as exc:
            raise _FieldError("discover.where", str(exc)) from None


class ExperimentSpec(_Strict):
    """The experiment file (see docs/sweeps.md)."""

    name: Name  # also the results folder's name: no '/' or '..'
    description: str = ""
    scenario: str
    arm: str | None = None
    #: two arms run on the same seed per run; outcomes are their paired difference
    arms: Annotated[list[str], Field(min_length=2, max_length=2)] | None = None
    parameters: dict[str, ParameterRange] = {}
    design: Literal["grid", "random", "lhs", "sobol", "morris", "table"] = "grid"
    table: str | None = None  # design: table, a CSV or Parquet file of points
    discover: Discover | None = None
    samples: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    second_order: bool = False
    levels: Annotated[int, Field(ge=2, le=100)] = 4
    replicates: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    common_random_numbers: bool = False
    outcomes: list[str] | None = None
    weekly: list[str] | None = None
    #: agent-level reporters by agent type (sim.reporters), on the recorded weeks
    agents: dict[str, list[str]] | None = None
    record: Literal["all", "end"] | Every = "all"
    weeks: Annotated[int, Field(ge=1, le=5200)] | None = None

    #: Where the file was read from (not part of the file).
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _check(self) -> ExperimentSpec:
        if self.discover is not None:  # a table design's columns are known when it is read
            columns = None if self.design == "table" else [*self.parameters,
                                                           self.discover.outcome]
            self.discover.check(columns)
        if self.arms is not None and (self.arm is not None or len(set(self.arms)) < 2):
            raise _FieldError("arms", "expected two different arms (and no arm: field)")
        if self.agents is not None:
            self._check_agents()
        if self.design == "table" or self.table is not None:
            if self.design != "table" or self.table is None or self.parameters:
                raise _FieldError("table", "design: table takes its points from table: "
                                  "(a CSV or Parquet file), without parameters:")
            return self
        if not self.parameters:
            raise ValueError("parameters: expected at least one parameter to vary")
        if self.design == "grid":
            for path, rng in self.parameters.items():
                if rng.levels is None and rng.steps is None:
                    raise _FieldError(f"parameters.{path}",
                                      "a grid needs levels or steps for every parameter")
            return self
        if self.samples is None:
            raise _FieldError("samples", f"the {self.design} design needs a sample size")
        if self.design == "sobol" and self.samples & (self.samples - 1):
            raise _FieldError("samples", f"the sobol design needs a power of two "
                              f"(e.g. {_near_pow2(self.samples)}), got {self.samples}")
        if self.design == "morris" and self.levels % 2:
            raise _FieldError("levels", f"the morris design needs an even number of "
                              f"levels, got {self.levels}")
        return self

    def _check_agents(self) -> None:
        from sim.reporters import unknown

        if self.arms is not None:
            raise _FieldError("agents", "agent-level reporters are recorded per run, and "
                              "a paired sweep stores differences of arms: leave out arms: "
                              "or agents:")
        for kind, names in self.agents.items():
            problem = unknown(kind, names)
            if problem:
                raise _FieldError("agents" if "agent type" in problem else f"agents.{kind}",
                                  problem)

    @property
    def every(self) -> int:
        """The ``every`` argument of ``sim.runs.run_once``: 1 all weeks, 0 the last only."""
        if self.record == "all":
            return 1
        if self.record == "end":
            return 0
        return self.record.every

    def scenario_path(self) -> Path:
        """The scenario file, relative to the experiment file."""
        base = self.source.parent if self.source else Path.cwd()
        return (base / self.scenario).resolve()

    def n_points(self) -> int:
        """How many design points the design makes."""
        d = len(self.parameters)
        if self.design == "table":
            raise ValueError("the number of points of a table design is its row count")
        if self.design == "grid":
            return math.prod(len(r.grid_levels()) for r in self.parameters.values())
        if self.design == "sobol":
            return self.samples * ((2 * d + 2) if self.second_order else (d + 2))
        if self.design == "morris":
            return self.samples * (d + 1)
        return self.samples


class _FieldError(ValueError):
    """A validation error that knows the field path it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _near_pow2(n: int) -> int:
    return 1 << max(0, round(math.log2(n)))


def _error(exc: ValidationError, source: str, prefix: str | None = None) -> ExperimentError:
    err = exc.errors()[0]
    ctx = err.get("ctx", {}).get("error")
    if isinstance(ctx, _FieldError):
        return ExperimentError(ctx.message, source=source, field=ctx.field)
    where = ".".join(str(x) for x in (prefix, *err["loc"]) if x is not None) or None
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    elif err["type"] == "string_pattern_mismatch" and err["loc"] == ("name",):
        msg = ("expected a name of letters, digits, '_', '.' and '-' starting with a letter "
               f"or digit (it names the results folder), got {show_value(err['input'])}")
    elif err["type"] != "value_error" and "input" in err:
        msg = f"expected {msg.removeprefix('Input should be ')}, got {show_value(err['input'])}"
    return ExperimentError(msg, source=source, field=where)


def parse_experiment(data: Any, source: Path | str | None = None) -> ExperimentSpec:
    """Validate a mapping as an experiment; errors name the file and the field."""
    name = display_path(source) if source else "experiment"
    if not isinstance(data, dict):
        raise ExperimentError("expected a mapping of fields", source=name)
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, name) from None
    spec.source = Path(source) if source else None
    return spec


def parse_discover(data: Any, columns: list[str], source: str) -> Discover:
    """A ``discover:`` block read back from a results folder's manifest, checked again as
    in an experiment file (a folder may have been edited: never trusted)."""
    try:
        block = Discover.model_validate(data)
        block.check(columns)
    except ValidationError as exc:
        raise _error(exc, source, "experiment.discover") from None
    except _FieldError as exc:
        raise ExperimentError(exc.message, source=source,
                              field=f"experiment.{exc.field}") from None
    return block


def load_experiment(path: Path | str) -> ExperimentSpec:
    """Read and validate an experiment file."""
    return parse_experiment(read_mapping(Path(path), ExperimentError, "experiment"), path)
