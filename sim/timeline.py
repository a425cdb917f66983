"""A scenario's timeline: crisis intensity over time and the other events.

Events are data (a list of mappings in a scenario file, discriminated by ``kind``), so a
run can be saved and replayed; the dashboard's "crisis now" and strategy switch are
recorded here too. Crisis effects themselves live in the model's parameters
(the necessity, relationships and resources explanations and the crisis costs), each
scaled by the intensity computed here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

Week = Annotated[int, Field(ge=0, le=5200)]
Share = Annotated[float, Field(ge=0, le=1)]


class _Event(BaseModel):
    # strict: '8' is not a week; no inf or nan
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    def start(self) -> int:
        return self.week  # type: ignore[attr-defined]


class Crisis(_Event):
    """Intensity ramps up linearly over ``ramp`` weeks from ``onset``, holds, and ramps down
    over ``ramp`` weeks so that it is over at ``onset + duration``."""

    kind: Literal["crisis"] = "crisis"
    onset: Week
    duration: Annotated[int, Field(ge=1, le=5200)]
    intensity: Share = 1.0
    ramp: Annotated[int, Field(ge=0, le=520)] = 2

    def start(self) -> int:
        return self.onset

    def intensity_over(self, weeks) -> np.ndarray:
        """The intensity at each of ``weeks`` (an array: a stretch of compiled weeks asks
        for all of its weeks at once)."""
        t = np.asarray(weeks, dtype=float) - self.onset
        ramp = min(self.ramp, self.duration / 2)
        if ramp <= 0:
            level = np.full(t.shape, float(self.intensity))
        else:
            up = np.minimum(1.0, (t + 1) / ramp)
            down = np.minimum(1.0, (self.duration - t) / ramp)
            level = self.intensity * np.minimum(up, down)
        return np.where((t < 0) | (t >= self.duration), 0.0, level)


class SupportWithdrawn(_Event):
    """A grant ends: this share of ISPs stops supporting."""

    kind: Literal["support_withdrawn"] = "support_withdrawn"
    week: Week
    share: Share = 1.0


class FundingCut(_Event):
    """Agencies lose this share of their capacity."""

    kind: Literal["funding_cut"] = "funding_cut"
    week: Week
    severity: Share = 0.2


class TurnoverWave(_Event):
    """This share of every agency's staff leaves at once, taking person-bound trust."""

    kind: Literal["turnover_wave"] = "turnover_wave"
    week: Week
    share: Share = 0.3


class PartnerJoins(_Event):
    """New agencies join the partnership ('identify who is missing')."""

    kind: Literal["partner_joins"] = "partner_joins"
    week: Week
    count: Annotated[int, Field(ge=1, le=1000)] = 1
    sector: str = "community"


class LeadershipChange(_Event):
    """New leaders at this share of agencies: leadership support is redrawn and the
    leader-bound part of the agency's trust evidence is lost."""

    kind: Literal["leadership_change"] = "leadership_change"
    week: Week
    share: Share = 0.5


class StrategySwitch(_Event):
    """ISPs switch strategy: the co-creative share of their hours becomes this."""

    kind: Literal["strategy_switch"] = "strategy_switch"
    week: Week
    strategy_mix: Share


class Violation(_Event):
    """ISPs let agencies down on one dimension of trust: a competence lapse (ability), a
    slight (benevolence) or a broken commitment (integrity), worth ``severity`` bad
    experiences at this share of agencies (Kim, Ferrin, Cooper & Dirks 2004)."""

    kind: Literal["violation"] = "violation"
    week: Week
    dimension: Literal["ability", "benevolence", "integrity"] = "integrity"
    severity: Annotated[float, Field(gt=0, le=100)] = 3.0
    share: Share = 1.0


Event = Annotated[
    Crisis | SupportWithdrawn | FundingCut | TurnoverWave | PartnerJoins | LeadershipChange
    | StrategySwitch | Violation,
    Field(discriminator="kind"),
]
EVENT_KINDS = ("crisis", "support_withdrawn", "funding_cut", "turnover_wave", "partner_joins",
               "leadership_change", "strategy_switch", "violation")

_EVENTS = TypeAdapter(list[Event])


def parse_timeline(items: list[dict[str, Any]] | None) -> list[_Event]:
    """Validate a timeline; raise ValueError naming the event and field on bad input."""
    try:
        return _EVENTS.validate_python(list(items or []))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise ValueError(f"parameter 'timeline.{where}': {err['msg']}") from None


class Timeline:
    """Events by week, and crisis intensity at any week."""

    def __init__(self, events: list[_Event]):
        self.events = list(events)
        self._levels: np.ndarray | None = None  # crisis_intensity of weeks 0 .. last crisis

    def add(self, event: _Event) -> None:
        self.events.append(event)
        self._levels = None

    def crisis_intensity(self, week: int) -> float:
        """The strongest crisis under way at ``week`` (0 when none). Read from a table of
        every week up to the end of the last crisis, worked out once (by ``crisis_over``):
        a run stepped week by week asks for each week in turn."""
        if self._levels is None:
            end = max((e.onset + e.duration for e in self.events if isinstance(e, Crisis)),
                      default=0)
            self._levels = self.crisis_over(range(end + 1))
        return float(self._levels[week]) if 0 <= week < len(self._levels) else 0.0

    def crisis_over(self, weeks) -> np.ndarray:
        """``crisis_intensity`` of each of ``weeks`` (zeros at once without a crisis)."""
        levels = [e.intensity_over(weeks) for e in self.events if isinstance(e, Crisis)]
        return np.maximum.reduce(levels) if levels else np.zeros(len(weeks))

    def due(self, week: int) -> list[_Event]:
        """Non-crisis events that take effect at ``week``."""
        return [e for e in self._dated() if e.week == week]

    def next_due(self, after: int, default: int) -> int:
        """The first week after ``after`` at which a non-crisis event is due (``default``
        if none is)."""
        return min((e.week for e in self._dated() if e.week > after), default=default)

    def _dated(self) -> list[_Event]:
        return [e for e in self.events if not isinstance(e, Crisis)]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [e.model_dump() for e in self.events]

    def last_week(self) -> int:
        """The last week any event touches (for 'event after the end of the run' checks)."""
        return max((e.start() for e in self.events), default=0)
