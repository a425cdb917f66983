"""Calibration files: scenario and arm, priors by dotted path, targets, ABC-SMC settings.

Validated with pydantic (unknown keys rejected) and against the model's own parameter
table (sim.sweep.paths), so a typo or an out-of-range prior fails at once with one line
naming the file and the field, before any run starts. See docs/calibration.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import ExperimentError, show_value
from sim.scenario.schema import NAME_PATTERN, PATTERN_WORDS, Name
from sim.sweep.paths import Target, lookup, valid_targets
from sim.yamlfile import read_mapping


class _Strict(BaseModel):
    # strict: '8' is not a number; no inf or nan: a non-finite bound, target or threshold
    # would only fail mid-run (as experiment and scenario files)
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Prior(_Strict):
    """uniform / log-uniform on ``low``..``high``; normal (``mean``, ``sd``) truncated to
    ``low``..``high`` or, when not given, to the parameter's own range."""

    distribution: Literal["uniform", "log-uniform", "normal"] = "uniform"
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _check(self) -> Prior:
        if self.distribution == "normal":
            if self.mean is None or self.sd is None:
                raise ValueError("a normal prior needs mean and sd")
        elif self.low is None or self.high is None:
            raise ValueError(f"a {self.distribution} prior needs low and high")
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.distribution == "log-uniform" and self.low <= 0:
            raise ValueError("a log-uniform prior needs low > 0")
        return self


class Observed(_Strict):
    """One observed summary statistic with its uncertainty (a standard deviation) and
    where the number comes from."""

    value: float
    sd: Annotated[float, Field(gt=0)]
    source: str = ""


class SiteTable(_Strict):
    """Per-site stage dates (CSV: site, stage, week; a blank week = never reached)."""

    csv: str
    statistics: list[str] | None = None


class Stop(_Strict):
    """ABC-SMC stops at whichever comes first. ``min_epsilon: noise`` (the default) is the
    noise floor: the distance a particle at the true values reaches half the time
    (sim.calibration.noise), so the rule can be met; a number is taken as given."""

    generations: Annotated[int, Field(ge=1, le=1000)] = 8
    min_epsilon: Annotated[float, Field(ge=0)] | Literal["noise"] = "noise"
    max_simulations: Annotated[int, Field(ge=1)] | None = None


class Noise(_Strict):
    """The model's run-to-run noise, measured before the first generation: ``replicates``
    runs at the prior's centre (0: not measured; the distance then uses the targets'
    sd alone and ``min_epsilon: noise`` is the floor of the observed sd alone)."""

    replicates: Annotated[int, Field(ge=0, le=10_000)] = 10

    @model_validator(mode="after")
    def _check(self) -> Noise:
        if self.replicates == 1:
            raise ValueError("replicates: expected 0 (not measured) or at least 2 runs "
                             "(a standard deviation needs two), got 1")
        return self


class CalibrationSpec(_Strict):
    """The calibration file (docs/calibration.md)."""

    name: Name  # also the results folder's name: one path component, no '/' or '..'
    description: str = ""
    scenario: str
    arm: str | None = None
    weeks: Annotated[int, Field(ge=1, le=5200)] | None = None
    priors: dict[str, Prior]
    targets: dict[str, Observed] | SiteTable
    replicates: Annotated[int, Field(ge=1, le=1000)] = 1
    population: Annotated[int, Field(ge=2, le=100_000)] = 100
    stop: Stop = Stop()
    noise: Noise = Noise()
    #: posterior draws for the predictive check; a 95% band needs about 100 (0: none)
    predictive: Annotated[int, Field(ge=0, le=10_000)] = 100
    seed: Annotated[int, Field(ge=0)] = 0

    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _check(self) -> CalibrationSpec:
        if not self.priors:
            raise ValueError("priors: expected at least one parameter to calibrate")
        if isinstance(self.targets, dict) and not self.targets:
            raise ValueError("targets: expected at least one observed statistic")
        return self

    def path(self, relative: str) -> Path:
        """A file named in the calibration file, relative to it."""
        base = self.source.parent if self.source else Path.cwd()
        return (base / relative).resolve()


def load_calibration(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration file (paths and ranges are checked by ``check``)."""
    path = Path(path)
    data = read_mapping(path, ExperimentError, "calibration")  # no alias bombs, UTF-8
    try:
        spec = CalibrationSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(x) for x in err["loc"] if not str(x).startswith(("dict[", "SiteTable"))]
        message = _message(err)
        if loc[:2] == ["stop", "min_epsilon"]:  # a union: say both of its forms
            loc = loc[:2]
            message = (f"expected a finite number >= 0 or 'noise', got "
                       f"{show_value(err['input'])}")
        raise ExperimentError(message, source=str(path),
                              field=".".join(loc) or None) from None
    spec.source = path
    return spec


def _message(err: dict[str, Any]) -> str:
    """What a pydantic error says, in the words of the other file readers."""
    if err["type"] == "extra_forbidden":
        return "unknown field"
    if err["type"] == "finite_number":
        return f"expected a finite number, got {show_value(err['input'])}"
    if err["type"] == "string_pattern_mismatch" and err["loc"] == ("name",):
        return (f"expected {PATTERN_WORDS[NAME_PATTERN]} (it names the results folder), "
                f"got {show_value(err['input'])}")
    if err["type"] == "string_too_long" and err["loc"] == ("name",):
        return f"expected a name of at most 100 characters, got {len(err['input'])}"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] != "value_error" and "input" in err:
        return f"expected {msg.removeprefix('Input should be ')}, got {show_value(err['input'])}"
    return msg


def check_priors(spec: CalibrationSpec, base: dict[str, Any]) -> dict[str, Target]:
    """Each prior's path exists and its support lies within the parameter's range."""
    source = str(spec.source or "calibration")
    targets = valid_targets(base)
    out = {}
    for path, prior in spec.priors.items():
        field = f"priors.{path}"
        target = lookup(path, targets, source, field)
        if target.kind == "choice":
            raise ExperimentError(f"cannot calibrate a choice ({target.describe()})",
                                  source=source, field=field)
        for value in (prior.low, prior.high):
            if value is not None and not target.allows(value):
                raise ExperimentError(f"prior bound {value:g} is outside the allowed "
                                      f"{target.describe()}", source=source, field=field)
        out[path] = target
    return out
