"""The model's state and parameters as named bundles that compiled kernels read by name.

A bundle is a namedtuple of the arrays the state already holds (no copy): a kernel that
writes ``ag.knowledge[a]`` writes the model's state. The fields are derived from the
state and the parameter table, never retyped: a new per-agency field of ``State`` or a
new parameter is in the bundle for a kernel to read.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import fields
from types import SimpleNamespace

import numpy as np

from sim.catalogue import Catalogue
from sim.parameters import PARAMETERS
from sim.state import AGENCY_FIELDS, FAMILY_FIELDS, ISP_FIELDS, State, TieSet
from sim.world import StageTable

#: Every per-agency array of the state (sim.state.AGENCY_FIELDS).
Agencies = namedtuple("Agencies", AGENCY_FIELDS)

#: Every per-ISP array of the state (sim.state.ISP_FIELDS).
Isps = namedtuple("Isps", ISP_FIELDS)

#: Every per-family array of the state (sim.state.FAMILY_FIELDS) and each group's prior
#: trust (group_prior, one row per group).
Families = namedtuple("Families", (*FAMILY_FIELDS, "group_prior"))

#: One kind of directed tie (TieSet's fields): truster, trustee, r, s, s_open, prior.
Ties = namedtuple("Ties", TieSet._FIELDS)

#: Every number of the parameter table (sim.parameters), read by kernels as ``P.<name>``
#: (tests/engines/test_parameter_guard.py checks that every parameter the phases respond
#: to moves the compiled engine).
Params = namedtuple("Params", tuple(name for name, spec in PARAMETERS.items()
                                    if spec.kind in ("float", "int")))


def agencies(st: State) -> Agencies:
    return Agencies(*(getattr(st, name) for name in AGENCY_FIELDS))


def isps(st: State) -> Isps:
    return Isps(*(getattr(st, name) for name in ISP_FIELDS))


def families(st: State) -> Families:
    return Families(*(getattr(st, name) for name in FAMILY_FIELDS), st.group_prior)


def ties(t: TieSet) -> Ties:
    """The ties now (views of the first ``len(t)`` rows)."""
    return Ties(*(getattr(t, name) for name in TieSet._FIELDS))


def params(p: SimpleNamespace) -> Params:
    return Params(*(float(getattr(p, name)) for name in Params._fields))


#: The stage model (sim/data/stages.yaml) by stage: each stage's rate, peer and mandate
#: weights, fallback, innovation complexity and novelty weights, abandonment, and the
#: exponent of each driver (catalogue.DRIVERS); which stage is full implementation, the
#: last, and the first that delivers the practice.
Stages = namedtuple("Stages", ("rate", "peer", "mandate", "fallback", "complexity", "novelty",
                               "abandon", "exponents", "full", "last", "delivers_from"))


def stages(tab: StageTable) -> Stages:
    return Stages(tab.rate, tab.peer, tab.mandate, tab.fallback, tab.complexity, tab.novelty,
                  tab.abandon, tab.driver_matrix, tab.full, tab.last, tab.delivers_from)


#: The interaction catalogue's arrays (one row per interaction type: sim/data/
#: interactions.yaml, strategies.yaml), every array field of sim.catalogue.Catalogue.
CatalogueArrays = namedtuple("CatalogueArrays", tuple(
    f.name for f in fields(Catalogue) if f.type in ("np.ndarray", np.ndarray)))


def catalogue(cat: Catalogue) -> CatalogueArrays:
    return CatalogueArrays(*(getattr(cat, name) for name in CatalogueArrays._fields))
