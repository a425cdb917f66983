"""Initialisation (ODD section 5): agencies, ISPs, families and their first trust ties."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from sim.network import undirected_pairs
from sim.parameters import STAGES
from sim.rules import clip01, partner_prior_mean
from sim.state import NEVER, State, TieSet


def _around(rng, mean: float, sd: float, n: int) -> np.ndarray:
    """Draws around ``mean`` clipped to [0, 1] (sd 0 gives exactly the mean)."""
    if sd <= 0:
        return np.full(n, float(mean))
    return clip01(rng.normal(mean, sd, n))


def agency_values(p: SimpleNamespace, rng, n: int, sectors: list[str], first: int = 0,
                  stage: int | None = None) -> dict:
    """Per-agency fields for ``n`` new agencies (also used when a partner joins)."""
    sd = p.agency_heterogeneity
    # An adaptation of a service the agency already delivers starts close to full
    # know-how and fit: novelty scales the gap (CFIR 2.0 innovation domain).
    knowledge = 1.0 - (1.0 - _around(rng, p.agency_knowledge, sd, n)) * p.innovation_novelty
    fit = 1.0 - (1.0 - _around(rng, p.agency_fit, sd, n)) * p.innovation_novelty
    start = STAGES.index(p.start_stage) if stage is None else stage
    return dict(
        name=[f"Agency {first + i + 1}" for i in range(n)],
        sector=[sectors[(first + i) % len(sectors)] for i in range(n)],
        readiness=_around(rng, p.agency_readiness, sd, n),
        capacity=_around(rng, p.agency_capacity, sd, n),
        fit=fit, knowledge=knowledge, fidelity=knowledge * fit,
        leadership=_around(rng, p.agency_leadership, sd, n),
        champion=(rng.random(n) < p.champion_share).astype(float),
        propensity=_around(rng, p.agency_propensity, sd, n),
        benevolence=_around(rng, p.agency_benevolence, sd / 2, n),
        integrity=_around(rng, p.agency_integrity, sd / 2, n),
        staff=np.full(n, p.staff_per_agency, dtype=int),
        voice=np.zeros(n), stage=np.full(n, start, dtype=int), pressure=np.zeros(n),
        depth=np.ones(n), advances=np.zeros(n, dtype=int), weeks_at_full=np.zeros(n, dtype=int),
        ever_full=np.zeros(n, dtype=bool), first_full_week=np.full(n, NEVER),
        startup_week=np.full(n, 0 if start >= STAGES.index("initial_implementation") else NEVER),
        delivering_2y=np.full(n, NEVER),
    )


def family_values(p: SimpleNamespace, groups: list[dict], rng, n_agencies: int):
    """Families split over groups by share (largest remainder), each served by an agency."""
    shares = np.array([g["share"] for g in groups], dtype=float)
    shares = shares / shares.sum()
    counts = np.floor(shares * p.n_families).astype(int)
    counts[np.argsort(-(shares * p.n_families - counts))[: p.n_families - counts.sum()]] += 1
    group = np.repeat(np.arange(len(groups)), counts)
    agency = rng.integers(0, n_agencies, len(group))
    return group, agency


def build_state(p: SimpleNamespace, groups: list[dict], sectors: list[str], rng) -> State:
    n_a, n_i = p.n_agencies, p.n_isps
    values = agency_values(p, rng, n_a, sectors)
    isp_of = np.arange(n_a) % n_i if n_i else np.full(n_a, -1)
    tw = np.stack([_around(rng, getattr(p, f"isp_{d}"), p.agency_heterogeneity / 2, n_i)
                   for d in ("ability", "benevolence", "integrity")], axis=1)
    group, family_agency = family_values(p, groups, rng, n_a)
    group_prior = np.array([g["prior_trust"] for g in groups], dtype=float)
    st = State(**values, isp_of=isp_of, isp_trustworthiness=tw.reshape(n_i, 3),
               isp_active=np.ones(n_i, dtype=bool), isp_mix=np.full(n_i, p.strategy_mix),
               isp_hours=np.full(n_i, float(p.isp_hours)),
               family_group=group, family_agency=family_agency,
               engaged=np.zeros(len(group), dtype=bool),
               eligible=rng.random(len(group)) < p.family_eligibility, group_prior=group_prior)
    _build_ties(st, p, rng)
    return st


def support_prior(p, st: State, a):
    """An agency's prior about its ISP: its propensity and the ISPs' reputation."""
    return p.propensity_weight * st.propensity[a] + (1 - p.propensity_weight) * p.isp_reputation


def partner_prior(p, st: State, a, b):
    """An agency's prior about a partner: its propensity and the partner's reputation."""
    return partner_prior_mean(st.propensity[a], st.benevolence[b], st.integrity[b],
                              p.propensity_weight)


def isp_prior(p, st: State, a):
    """An ISP's prior about an agency: professional propensity and the agency's reputation."""
    return partner_prior(p, st, a, a)


def _build_ties(st: State, p, rng) -> None:
    n_a = st.n_agencies
    agencies = np.arange(n_a)
    st.ties["agency_isp"] = TieSet.build("agency_isp", agencies, st.isp_of,
                                         support_prior(p, st, agencies), p.established_evidence)
    st.ties["isp_agency"] = TieSet.build("isp_agency", st.isp_of, agencies,
                                         isp_prior(p, st, agencies), p.established_evidence)
    pairs = undirected_pairs(p.partnership_network, n_a, rng, density=p.partnership_density,
                             degree=p.partnership_degree, rewiring=p.partnership_rewiring,
                             edges=p.partnership_edges)
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    st.ties["agency_agency"] = TieSet.build("agency_agency", src, dst,
                                            partner_prior(p, st, src, dst),
                                            p.established_evidence)
    st.partners = dict(zip(zip(src.tolist(), dst.tolist(), strict=True), range(len(src)),
                           strict=True))
    families = np.arange(st.n_families)
    st.ties["family_agency"] = TieSet.build("family_agency", families, st.family_agency,
                                            st.group_prior[st.family_group])
