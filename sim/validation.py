"""Known limits the model must reproduce, so a user can trust the engine (ODD 1, 7).

- ``bass_limit_params``: the keyword parameters that reduce TrustModel to Bass (1969)
  diffusion: trust held at one, fit, capacity and readiness full, no mandate, identical
  agencies all tied to each other, one adopt/not-adopt stage.
- ``bass_curve`` (continuous F(t)) and ``bass_recursion`` (the weekly discrete recursion
  the agent model follows when the hazard is evaluated at the start of each week).
- ``stationary_evidence``: the expected evidence on a tie fed outcomes with a fixed
  success probability, which the trust update implies.
"""

from __future__ import annotations

import numpy as np


def bass_limit_params(p: float, q: float, n_agencies: int, weeks: int = 104) -> dict:
    """TrustModel parameters whose mean adoption curve is the Bass curve for ``p``, ``q``.

    Peer influence in the model is the trust-weighted count of an agency's delivering
    partners over ``peer_reference``; with every agency tied to every other and
    ``peer_reference = n - 1`` that is the share of the *other* n - 1 agencies that
    adopted. Bass's q multiplies the share of the whole population, so q is scaled by
    (n - 1) / n to make the hazards identical.
    """
    return dict(
        weeks=weeks, stage_model="single", n_agencies=n_agencies, n_isps=1, n_families=0,
        isp_hours=0.0, innovation_rate=p, peer_influence=q * (n_agencies - 1) / n_agencies,
        peer_reference=max(n_agencies - 1, 1), partnership_network="complete",
        mandate_weight=0.0, fallback_rate=0.0, partner_contact_rate=0.0, abandon_rate=0.0,
        partnership_density=1.0,
        agency_readiness=1.0, agency_capacity=1.0, agency_fit=1.0, agency_knowledge=1.0,
        agency_leadership=1.0, agency_propensity=1.0, agency_benevolence=1.0,
        agency_integrity=1.0, isp_reputation=1.0, agency_heterogeneity=0.0,
        champion_share=0.0, turnover_per_year=0.0, crisis_capacity_strain=0.0,
        learning_decay=1.0, timeline=[],
    )


def bass_curve(p: float, q: float, t) -> np.ndarray:
    """Bass (1969): F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1 - e) / (1 + (q / p) * e)


def bass_recursion(p: float, q: float, weeks: int) -> np.ndarray:
    """F(t+1) = F(t) + (1 - e^{-(p + q F(t))}) (1 - F(t)), F(0) = 0: the weekly form of
    Bass (1969); Niu (2002) on its convergence as the population grows."""
    f = np.zeros(weeks + 1)
    for t in range(weeks):
        f[t + 1] = f[t] + (1 - np.exp(-(p + q * f[t]))) * (1 - f[t])
    return f


def stationary_evidence(p_good: float, weeks: int, forgetting: float, asymmetry: float,
                        per_week: float = 1.0) -> tuple[float, float]:
    """Expected (r, s) after ``weeks`` of ``per_week`` interactions that go well with
    probability ``p_good``, forgetting applied before each week's evidence:
    r_t = lambda r_{t-1} + n p, s_t = lambda s_{t-1} + n (1 - p) * asymmetry."""
    if forgetting == 1.0:
        factor = float(weeks)
    else:
        factor = (1 - forgetting**weeks) / (1 - forgetting)
    return per_week * p_good * factor, per_week * (1 - p_good) * asymmetry * factor
