"""The model's state as arrays: agencies, ISPs, families and directed trust ties.

Both engines read and write this one store, so agents, data collection and outcomes see
the same numbers whichever engine ran; Mesa agents are thin views onto a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.catalogue import DIMENSIONS
from sim.rules import overall_trust

ABANDONED = -1
TIE_KINDS = ("agency_isp", "isp_agency", "agency_agency", "family_agency")


@dataclass
class TieSet:
    """Directed trust ties of one kind: truster -> trustee, with evidence per dimension.

    ``r`` and ``s`` hold positive and negative evidence (n, 3) over ability, benevolence,
    integrity; ``prior`` (n, 3) is the truster's prior mean for the trustee.
    """

    kind: str
    truster: np.ndarray
    trustee: np.ndarray
    r: np.ndarray
    s: np.ndarray
    prior: np.ndarray

    @classmethod
    def empty(cls, kind: str) -> TieSet:
        z = np.zeros((0, len(DIMENSIONS)))
        return cls(kind, np.zeros(0, int), np.zeros(0, int), z, z.copy(), z.copy())

    @classmethod
    def build(cls, kind, truster, trustee, prior, r0=0.0) -> TieSet:
        n = len(truster)
        prior = np.broadcast_to(np.asarray(prior, float).reshape(-1, 1) if np.ndim(prior)
                                else prior, (n, len(DIMENSIONS))).copy()
        r = np.full((n, len(DIMENSIONS)), float(r0))
        return cls(kind, np.asarray(truster, int), np.asarray(trustee, int), r,
                   np.zeros_like(r), prior)

    def __len__(self) -> int:
        return len(self.truster)

    def append(self, truster: int, trustee: int, prior, r=0.0, s=0.0) -> int:
        self.truster = np.append(self.truster, truster)
        self.trustee = np.append(self.trustee, trustee)
        row = np.zeros((1, len(DIMENSIONS)))
        self.r = np.vstack([self.r, row + r])
        self.s = np.vstack([self.s, row + s])
        self.prior = np.vstack([self.prior, row + prior])
        return len(self.truster) - 1

    def trust(self, weight: float, idx=slice(None)) -> np.ndarray:
        return overall_trust(self.r[idx], self.s[idx], self.prior[idx], weight)


@dataclass
class State:
    """Everything that changes during a run."""

    # agencies
    name: list[str]
    sector: list[str]
    readiness: np.ndarray
    capacity: np.ndarray
    fit: np.ndarray
    knowledge: np.ndarray
    fidelity: np.ndarray
    leadership: np.ndarray
    champion: np.ndarray
    propensity: np.ndarray
    benevolence: np.ndarray
    integrity: np.ndarray
    staff: np.ndarray
    voice: np.ndarray
    isp_of: np.ndarray
    stage: np.ndarray
    pressure: np.ndarray
    depth: np.ndarray
    advances: np.ndarray
    weeks_at_full: np.ndarray
    ever_full: np.ndarray
    # ISPs
    isp_trustworthiness: np.ndarray  # (n_isps, 3)
    isp_active: np.ndarray
    isp_mix: np.ndarray
    isp_hours: np.ndarray
    # families
    family_group: np.ndarray
    family_agency: np.ndarray
    engaged: np.ndarray
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
