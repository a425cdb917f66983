"""The rules of the model, written once and used by both engines.

Every function works on scalars and on numpy arrays alike: the agents engine calls them
for one tie or one agency at a time, the vectorized engine for all at once. Equations
and their sources are in docs/ODD.md, section 7 (Submodels).
"""

from __future__ import annotations

import numpy as np

_add = np.add.reduce
# A mean over the last axis of length 3 as a matrix-vector product: much faster in numpy
# than a reduction along a short, strided axis.
_THIRDS = np.full(3, 1.0 / 3.0)


def clip01(x):
    """x limited to [0, 1] (ufuncs directly: np.clip's wrapper dominates on small arrays)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


# --- trust as evidence (beta reputation, Josang & Ismail 2002) ---------------------------


def expected_trust(r, s, prior, weight):
    """E = (r + w*m) / (r + s + w): the truster's expectation given evidence and prior."""
    return (r + weight * prior) / (r + s + weight)


def overall_trust(r, s, prior, weight):
    """Trust on a tie: the mean over ability, benevolence and integrity (last axis)."""
    return expected_trust(r, s, prior, weight) @ _THIRDS  # mean over the 3 dimensions


def forget(r, s, factor):
    """Evidence fades without contact (003): multiply r and s by lambda <= 1."""
    return r * factor, s * factor


def evidence_increment(n_good, n_bad, tests, evidence, asymmetry, negative_weight):
    """Positive and negative evidence added by interactions, per trust dimension.

    A bad experience weighs ``asymmetry`` times a good one (Slovic 1993), times the type's
    own ``negative_weight`` (a broken promise); ``tests`` spreads it over the dimensions.
    With one type, ``tests`` is (3,) and counts (...,) give (..., 3); with a catalogue,
    ``tests`` is (K, 3) and counts (..., K) give the total over types, (..., 3).
    """
    good = np.asarray(n_good, dtype=float) * evidence
    bad = np.asarray(n_bad, dtype=float) * (np.asarray(evidence) * asymmetry * negative_weight)
    if np.ndim(tests) == 2:
        return good @ tests, bad @ tests
    return good[..., None] * tests, bad[..., None] * tests


def repair(s, repair_share):
    """A frank conversation removes a share of negative evidence per dimension.

    ``repair_share`` is (ability, benevolence, integrity): ability violations repair better
    than integrity ones (Kim, Ferrin, Cooper & Dirks 2004).
    """
    return s * (1.0 - np.asarray(repair_share))


def wipe(r, s, share):
    """Person-bound evidence leaves with departing staff (003)."""
    keep = 1.0 - np.asarray(share, dtype=float)[..., None]
    return r * keep, s * keep


# --- transitive trust (subjective-logic discounting, Josang) ----------------------------


def opinion(r, s, weight):
    """Belief, disbelief, uncertainty from evidence: b = r/(r+s+W), d = s/(r+s+W)."""
    total = r + s + weight
    return r / total, s / total, weight / total


def discounted_evidence(r_ab, s_ab, r_bc, s_bc, weight):
    """Evidence A borrows about C through broker B: b' = b_AB * b_BC, d' = b_AB * d_BC.

    Returned as the evidence (r', s') that has that opinion, so the new tie starts with
    it and later experiences add to it.
    """
    b_ab, _, _ = opinion(r_ab, s_ab, weight)
    b_bc, d_bc, _ = opinion(r_bc, s_bc, weight)
    b, d = b_ab * b_bc, b_ab * d_bc
    u = np.maximum(1.0 - b - d, 1e-9)
    return weight * b / u, weight * d / u


# --- micro-interactions --------------------------------------------------------------------


def success_probability(trustworthiness, tests, quality, trust, needs_trust, strain,
                        strain_sensitivity, shared_purpose):
    """Chance that a micro-interaction is experienced as positive.

    p = quality * (trustworthiness sampled by the type's tests) * trust^needs_trust
        * (1 - strain_sensitivity * strain); crisis shared purpose then closes part of the
    gap to 1 on the benevolence-testing share (000: "everyone is in this together").
    Shapes broadcast: trustworthiness (..., 3), tests (..., 3).
    """
    tw = _add(trustworthiness * tests, axis=-1)
    p = quality * tw * np.power(trust, needs_trust) * (1.0 - strain_sensitivity * strain)
    benevolence_share = tests[..., 1]
    p = p + (1.0 - p) * shared_purpose * benevolence_share
    return clip01(p)


def saturating_gain(x, gain, n_good, receptivity):
    """x after n good interactions, each closing ``gain * receptivity`` of the gap to 1.

    Written as 1 - (1 - x)(1 - g)^n so that n interactions at once (vectorized) equal n
    interactions one after the other (agents).
    """
    g = clip01(gain * receptivity)
    return 1.0 - (1.0 - x) * np.power(1.0 - g, n_good)


def receptivity(trust, exponent):
    """Trust gates how much an agency takes from support (001: trust shapes how leaders
    vet and interpret information)."""
    return np.power(trust, exponent)


# --- agencies -------------------------------------------------------------------------------


def effective_readiness(readiness, champion, crisis, urgency):
    """Tension for change: own readiness, a champion (003), and crisis urgency (000)."""
    return clip01(readiness + 0.15 * champion + urgency * crisis)


def effective_capacity(capacity, crisis, strain):
    """Staff time left after the crisis takes its share."""
    return capacity * (1.0 - strain * crisis)


def weekly_turnover(rate_per_year, crisis, crisis_turnover):
    """Weekly chance one staff member leaves, from the yearly rate, raised by a crisis."""
    weekly = 1.0 - np.power(1.0 - np.minimum(rate_per_year, 0.999999), 1.0 / 52.0)
    return clip01(weekly * (1.0 + crisis_turnover * crisis))


def stage_drive(drivers, exponents):
    """Product of drivers ** exponents; each driver in [0, 1] so the best case is 1."""
    drive = 1.0
    for name, exponent in exponents.items():
        drive = drive * np.power(clip01(drivers[name]), exponent)
    return drive


def hazard(rate):
    """Weekly probability from a weekly rate: 1 - exp(-rate)."""
    return 1.0 - np.exp(-rate)


def advance_rate(innovation, drive, peer_weight, peer_share, mandate_weight, pressure):
    """Rate of moving on: innovation * drive + q * peers + mandate; in the Bass limit
    (drive = 1, no mandate) this is p + q * F (Bass 1969)."""
    return innovation * drive + peer_weight * peer_share + mandate_weight * pressure


def fallback_rate(base, sustain, depth, pressure, shallow_multiplier):
    """Falling back: likelier without fit, fidelity and trust (``sustain``), and for
    mandated (shallow) adoption once pressure has gone."""
    shallow = shallow_multiplier * (1.0 - depth) * (1.0 - np.minimum(pressure, 1.0))
    return base * (1.0 - sustain) * (1.0 + shallow)


def abandon_rate(base, readiness, trust):
    """Leaving an effort in exploration or installation: likelier without readiness or
    trust."""
    return base * (1.0 - readiness * trust)


# Share of a family's encounters spoiled per unit of missing prior trust (ODD 7.6).
POWER_GAP = 0.3

# --- families -------------------------------------------------------------------------------


def family_experience_probability(service_quality, prior_trust, voice, voice_effect):
    """Chance a family's contact with its agency goes well.

    Families whose group has reason for low prior trust meet power differentials that
    spoil more encounters; voice from co-design removes part of that (004).
    """
    power_gap = POWER_GAP * (1.0 - prior_trust) * (1.0 - voice_effect * voice)
    return clip01(service_quality * (1.0 - power_gap))


def engagement_probability(rate, trust, voice):
    """Families engage with a delivered practice through agencies they trust."""
    return clip01(rate * trust * trust * (1.0 + voice))


def disengagement_probability(rate, trust):
    return clip01(rate * 2.0 * (1.0 - trust))
