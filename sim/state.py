"""The model's state as arrays: agencies, ISPs, families and directed trust ties.

Every engine reads and writes this one store, so agents, data collection and outcomes see
the same numbers whichever engine ran; Mesa agents are thin views onto a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from sim.catalogue import DIMENSIONS
from sim.rules import forget, overall_trust, wipe

ABANDONED = -1
NEVER = -1  # a week that has not happened (start-up not reached, ...)
TIE_KINDS = ("agency_isp", "isp_agency", "agency_agency", "family_agency")
_D = len(DIMENSIONS)


class TieSet:
    """Directed trust ties of one kind: truster -> trustee, with evidence per dimension.

    ``r`` and ``s`` hold positive and negative evidence (n, 3) over ability, benevolence,
    integrity; ``s_open`` is the part of ``s`` that violations created and no frank
    conversation has addressed yet (what repair can act on, Kim et al. 2004); ``prior``
    (n, 3) is the truster's prior mean for the trustee. Rows live in buffers that grow by
    doubling, so adding ties one at a time (brokering, partners joining) is amortised O(1).
    """

    _FIELDS = ("truster", "trustee", "r", "s", "s_open", "prior")

    def __init__(self, kind: str, truster, trustee, r, s, prior, s_open=None):
        self.kind = kind
        self._n = len(truster)
        self._buf = {"truster": np.asarray(truster, int), "trustee": np.asarray(trustee, int),
                     "r": np.asarray(r, float), "s": np.asarray(s, float),
                     "s_open": np.zeros((self._n, _D)) if s_open is None
                     else np.asarray(s_open, float),
                     "prior": np.asarray(prior, float)}
        self._refresh()

    @classmethod
    def empty(cls, kind: str) -> TieSet:
        z = np.zeros((0, _D))
        return cls(kind, np.zeros(0, int), np.zeros(0, int), z, z.copy(), z.copy())

    @classmethod
    def build(cls, kind, truster, trustee, prior, r0=0.0) -> TieSet:
        """New ties: ``prior`` (one per tie, or one for all) on every dimension and ``r0``
        positive evidence on each."""
        n = len(truster)
        rows = np.empty((n, _D))
        rows[...] = np.reshape(prior, (-1, 1)) if np.ndim(prior) else prior
        return cls(kind, truster, trustee, np.full((n, _D), float(r0)), np.zeros((n, _D)),
                   rows)

    def __len__(self) -> int:
        return self._n

    def _refresh(self) -> None:
        """truster, trustee, r, s, s_open and prior: views of the first ``len`` rows of the
        buffers, plain attributes so that reading them (every phase, every week) is
        cheap; they are renewed whenever a tie is added."""
        for name in self._FIELDS:
            self.__dict__[name] = self._buf[name][: self._n]

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in self._FIELDS}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._refresh()

    def __setattr__(self, name: str, value) -> None:
        if name in self._FIELDS and name in self.__dict__:
            self.__dict__[name][...] = value  # assigning a field writes into its rows
        else:
            object.__setattr__(self, name, value)

    def buffers(self) -> tuple[np.ndarray, ...]:
        """The whole buffers in field order, spare rows included: what compiled code
        appends ties to (``sim.engines.loops._append_tie``), handed back with ``adopt``."""
        return tuple(self._buf[name] for name in self._FIELDS)

    def adopt(self, buffers: tuple[np.ndarray, ...], n: int) -> None:
        """Take buffers (in field order) whose first ``n`` rows are the ties now."""
        self._buf = dict(zip(self._FIELDS, buffers, strict=True))
        self._n = n
        self._refresh()

    def append(self, truster: int, trustee: int, prior, r=0.0, s=0.0) -> int:
        """Add one tie; returns its row."""
        if self._n == len(self._buf["truster"]):
            size = max(8, 2 * self._n)
            for name, arr in self._buf.items():
                grown = np.zeros((size, *arr.shape[1:]), dtype=arr.dtype)
                grown[: self._n] = arr[: self._n]
                self._buf[name] = grown
        k = self._n
        self._n += 1
        self._refresh()
        b = self._buf
        b["truster"][k], b["trustee"][k] = truster, trustee
        b["r"][k], b["s"][k], b["s_open"][k], b["prior"][k] = r, s, 0.0, prior
        return k

    def forget(self, factor: float) -> None:
        """Evidence fades: rules.forget on every tie (open violations fade alike)."""
        self.r[:], self.s[:] = forget(self.r, self.s, factor)
        self.s_open[:] *= factor

    def wipe(self, share: np.ndarray, rows: np.ndarray) -> None:
        """``share`` (per row) of the evidence on ``rows`` leaves with staff (rules.wipe)."""
        self.r[rows], self.s[rows] = wipe(self.r[rows], self.s[rows], share)
        self.s_open[rows] *= 1.0 - np.asarray(share)[:, None]

    def trust(self, weight: float, idx=slice(None)) -> np.ndarray:
        return overall_trust(self.r[idx], self.s[idx], self.prior[idx], weight)


def _of(unit: str):
    """An array with one row per ``unit`` (agency, isp, family): in ``AGENCY_FIELDS``,
    ``ISP_FIELDS`` or ``FAMILY_FIELDS``."""
    return field(metadata={"of": unit})


@dataclass
class State:
    """Everything that changes during a run."""

    # agencies
    name: list[str]
    sector: list[str]
    readiness: np.ndarray = _of("agency")
    capacity: np.ndarray = _of("agency")
    fit: np.ndarray = _of("agency")
    knowledge: np.ndarray = _of("agency")
    fidelity: np.ndarray = _of("agency")
    leadership: np.ndarray = _of("agency")
    champion: np.ndarray = _of("agency")
    propensity: np.ndarray = _of("agency")
    benevolence: np.ndarray = _of("agency")
    integrity: np.ndarray = _of("agency")
    staff: np.ndarray = _of("agency")
    voice: np.ndarray = _of("agency")
    isp_of: np.ndarray = _of("agency")
    stage: np.ndarray = _of("agency")
    pressure: np.ndarray = _of("agency")
    depth: np.ndarray = _of("agency")
    advances: np.ndarray = _of("agency")
    weeks_at_full: np.ndarray = _of("agency")
    ever_full: np.ndarray = _of("agency")
    #: first week at full implementation (NEVER if not yet)
    first_full_week: np.ndarray = _of("agency")
    #: first week delivering the practice (SIC start-up)
    startup_week: np.ndarray = _of("agency")
    #: delivering 104 weeks after start-up: 1, 0, or NEVER (unknown)
    delivering_2y: np.ndarray = _of("agency")
    # ISPs
    isp_trustworthiness: np.ndarray = _of("isp")  # (n_isps, 3)
    isp_active: np.ndarray = _of("isp")
    isp_mix: np.ndarray = _of("isp")
    isp_hours: np.ndarray = _of("isp")
    # families
    family_group: np.ndarray = _of("family")
    family_agency: np.ndarray = _of("family")
    engaged: np.ndarray = _of("family")
    eligible: np.ndarray = _of("family")  # the practice is indicated for this family's case
    group_prior: np.ndarray  # per group
    # ties
    ties: dict[str, TieSet] = field(default_factory=dict)
    partners: dict[tuple[int, int], int] = field(default_factory=dict)
    # this week's bookkeeping
    week_hours: np.ndarray | None = None

    @property
    def n_agencies(self) -> int:
        return len(self.readiness)

    @property
    def n_isps(self) -> int:
        return len(self.isp_active)

    @property
    def n_families(self) -> int:
        return len(self.family_group)

    def add_partnership(self, a: int, b: int, prior, r=0.0, s=0.0) -> int:
        """A directed agency -> agency tie (a trusts b); returns its row."""
        k = self.ties["agency_agency"].append(a, b, prior, r, s)
        self.partners[(a, b)] = k
        return k

    def add_agency(self, values: dict) -> int:
        """Append one agency (a partner joins); ``values`` gives every per-agency field."""
        for key, value in values.items():
            current = getattr(self, key)
            if isinstance(current, list):
                current.extend(value if isinstance(value, list) else [value])
            else:
                setattr(self, key, np.append(current, value))
        return self.n_agencies - 1


#: The per-agency arrays of State, in declaration order: what an agency row holds (what
#: ``add_agency`` fills and what the phases' kernels read, ``sim.phases.bundles``).
AGENCY_FIELDS = tuple(f.name for f in fields(State) if f.metadata.get("of") == "agency")
ISP_FIELDS = tuple(f.name for f in fields(State) if f.metadata.get("of") == "isp")
FAMILY_FIELDS = tuple(f.name for f in fields(State) if f.metadata.get("of") == "family")
