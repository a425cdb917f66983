"""``World``: what every weekly phase reads and writes, in one object.

The phases of the week (``sim.phases``, in the order ``sim.schedule`` declares) take a
World instead of reaching back into ``TrustModel``: state arrays, parameters, the
interaction catalogue, the stage table, this week's crisis intensity, the random
generator and the caption log. The model owns one World; the engines run the schedule
on it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np

from sim.catalogue import DRIVERS, Catalogue, Stage, stages
from sim.state import ABANDONED, State


@dataclass
class StageTable:
    """The implementation stages (sim/data/stages.yaml) as arrays indexed by stage."""

    names: list[str]
    full: int  # index of full implementation
    last: int
    delivers_from: int
    rate: np.ndarray
    peer: np.ndarray
    mandate: np.ndarray
    abandon: np.ndarray
    fallback: np.ndarray
    complexity: np.ndarray
    novelty: np.ndarray
    exponents: dict[str, np.ndarray]  # driver -> exponent per stage (drivers in use only)

    @classmethod
    def from_stages(cls, stages: list[Stage]) -> StageTable:
        def col(attr):
            return np.array([getattr(s, attr) for s in stages], dtype=float)

        names = [s.name for s in stages]
        return cls(
            names=names, full=names.index("full_implementation"), last=len(stages) - 1,
            delivers_from=next(i for i, s in enumerate(stages) if s.delivers),
            rate=col("rate"), peer=col("peer"), mandate=col("mandate"),
            abandon=col("abandon"), fallback=col("fallback"), complexity=col("complexity"),
            novelty=col("novelty"),
            exponents={d: np.array([s.drivers.get(d, 0.0) for s in stages]) for d in DRIVERS
                       if any(s.drivers.get(d, 0.0) for s in stages)},
        )

    @cached_property
    def matrix(self) -> np.ndarray:
        """(stage, 7): rate, peer, mandate, fallback, complexity, novelty, abandon, for the
        compiled engine's loops."""
        return np.column_stack((self.rate, self.peer, self.mandate, self.fallback,
                                self.complexity, self.novelty, self.abandon))

    @cached_property
    def driver_matrix(self) -> np.ndarray:
        """(stage, driver): exponents over all of DRIVERS, zero where unused."""
        zero = np.zeros(len(self.names))
        return np.column_stack([self.exponents.get(d, zero) for d in DRIVERS])

    def label(self, s: int) -> str:
        return "abandoned" if s == ABANDONED else self.names[s].replace("_", " ")


@lru_cache(maxsize=16)
def stage_table(stage_model: str) -> StageTable:
    """The table of a stage model (sim/data/stages.yaml), built once and shared by the
    runs that use it: no run writes to it."""
    return StageTable.from_stages(stages(stage_model))


#: Words rows a compiled loop logged, each into exactly one caption (``World.note``).
Wording = Callable[[np.ndarray], None]


class CaptionLog:
    """The captions (week, text), oldest first, the newest ``maxlen`` only; rows a
    compiled loop logged wait here unworded until the log is read, as batch runs never
    read it. Entries and their order are those of wording every row at once."""

    def __init__(self, maxlen: int):
        self._entries: deque[tuple[int, str]] = deque(maxlen=maxlen)
        self._pending: list[tuple[Wording, np.ndarray]] = []
        self._n_pending = 0

    def append(self, entry: tuple[int, str]) -> None:
        """A worded caption, after every row logged before it."""
        self.word()
        self._entries.append(entry)

    def defer(self, word: Wording, rows: np.ndarray) -> None:
        """Rows to word later with ``word``, which appends exactly one caption per row."""
        if len(rows):
            self._pending.append((word, rows))
            self._n_pending += len(rows)
            if self._n_pending > 2 * self._entries.maxlen:
                self._drop_unread()

    def read(self) -> deque[tuple[int, str]]:
        """The log, every pending row worded."""
        self.word()
        return self._entries

    def word(self) -> None:
        """Word every pending row, in the order they were logged."""
        pending, self._pending, self._n_pending = self._pending, [], 0
        for word, rows in pending:
            word(rows)

    def _drop_unread(self) -> None:
        """Rows that ``maxlen`` later ones would push out of the log are never worded."""
        extra = self._n_pending - self._entries.maxlen
        while extra > 0:
            word, rows = self._pending[0]
            cut = min(extra, len(rows))
            if cut == len(rows):
                self._pending.pop(0)
            else:
                self._pending[0] = (word, rows[cut:])
            extra -= cut
            self._n_pending -= cut


@dataclass
class World:
    """State, parameters, catalogue, stages, crisis, random numbers and captions."""

    state: State
    p: SimpleNamespace
    catalogue: Catalogue
    stages: StageTable
    rng: np.random.Generator
    note: Callable[[str], None]
    defer: Callable[[Wording, np.ndarray], None]  # captions worded when the log is read
    week: int = 0
    crisis: float = 0.0
    micro_interactions: int = 0
    derived: dict = field(default_factory=dict)  # per-run constants an engine derives once

    # Each explanation of the crisis pivot is its weight times this week's intensity, so
    # a scenario can switch one off (weight 0) or weigh them against each other.
    @property
    def necessity(self) -> float:
        return self.p.crisis_necessity * self.crisis

    @property
    def relationships(self) -> float:
        return self.p.crisis_relationships * self.crisis

    @property
    def resources(self) -> float:
        return self.p.crisis_resources * self.crisis


class Simulation(Protocol):
    """What records, outcomes, events and agent reporters read of a model.

    ``TrustModel`` is one; naming the attributes here lets those modules take a model
    without importing the module that imports them (no import cycle).
    """

    world: World
    p: SimpleNamespace
    state: State
    catalogue: Catalogue
    rng: np.random.Generator
    week: int
    crisis_intensity: float
    group_names: list[str]
    stage_names: list[str]
    full_stage: int
    sectors: Any
    datacollector: Any
    agency_agents: list
    isp_agents: list
    agents_by_type: Any
    time: float

    def measured(self) -> dict[str, float]: ...

    def summary(self) -> dict[str, float]: ...

    def note(self, text: str) -> None: ...

    def add_agency(self, sector: str) -> Any: ...
