"""The rules of the model, written once and used by every engine.

Every function works on scalars and on numpy arrays alike: the agents engine calls them
for one tie or one agency at a time, the vectorized engine for all at once, and the
compiled engine's loops call the same functions compiled (``register_jitable``). Equations
and their sources are in docs/ODD.md, section 7 (Submodels).
"""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable as jitable

#: What every rule takes and returns: a number for one agent or tie, or an array for many.
Num = float | np.ndarray

_add = np.add.reduce
# A mean over the last axis of length 3 as a matrix-vector product: much faster in numpy
# than a reduction along a short, strided axis.
_THIRDS = np.full(3, 1.0 / 3.0)


@jitable
def clip01(x: Num) -> Num:
    """x limited to [0, 1] (ufuncs directly: np.clip's wrapper dominates on small arrays)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


# --- trust as evidence (beta reputation, Josang & Ismail 2002) ---------------------------


@jitable
def expected_trust(r: Num, s: Num, prior: Num, weight: Num) -> Num:
    """E = (r + w*m) / (r + s + w): the truster's expectation given evidence and prior."""
    return (r + weight * prior) / (r + s + weight)


def overall_trust(r: Num, s: Num, prior: Num, weight: Num) -> Num:
    """Trust on a tie: the mean over ability, benevolence and integrity (last axis)."""
    return expected_trust(r, s, prior, weight) @ _THIRDS  # mean over the 3 dimensions


@jitable
def forget(r: Num, s: Num, factor: Num) -> tuple[Num, ...]:
    """Evidence fades without contact ('Relationships' TA brief: constant attention):
    multiply r and s by lambda <= 1."""
    return r * factor, s * factor


def evidence_increment(n_good: Num, n_bad: Num, tests: Num, evidence: Num, asymmetry: Num,
                       negative_weight: Num) -> tuple[Num, ...]:
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


def repair(s: Num, s_open: Num, repair_share: Num, addressed: Num) -> tuple[Num, ...]:
    """A frank conversation repairs the negative evidence of violations not yet addressed.

    Only ``s_open`` (what violations created since the last conversation) can be
    repaired, a share per dimension: ability violations repair better than integrity ones
    (Kim, Ferrin, Cooper & Dirks 2004). ``addressed`` (0/1) says a good frank conversation
    took place; what it does not repair stays as ordinary, fading negative evidence.
    Returns (s, s_open).
    """
    addressed = np.asarray(addressed, dtype=float)[..., None]
    repaired = s_open * np.asarray(repair_share) * addressed
    return s - repaired, s_open * (1.0 - addressed)


def wipe(r: Num, s: Num, share: Num) -> tuple[Num, ...]:
    """Person-bound evidence leaves with departing staff ('Relationships' TA brief)."""
    keep = 1.0 - np.asarray(share, dtype=float)[..., None]
    return r * keep, s * keep


# --- transitive trust (subjective-logic discounting, Josang) ----------------------------


@jitable
def opinion(r: Num, s: Num, weight: Num) -> tuple[Num, ...]:
    """Belief, disbelief, uncertainty from evidence: b = r/(r+s+W), d = s/(r+s+W)."""
    total = r + s + weight
    return r / total, s / total, weight / total


@jitable
def discounted_evidence(r_ab: Num, s_ab: Num, r_bc: Num, s_bc: Num,
                        weight: Num) -> tuple[Num, ...]:
    """Evidence A borrows about C through broker B: b' = b_AB * b_BC, d' = b_AB * d_BC.

    Returned as the evidence (r', s') that has that opinion, so the new tie starts with
    it and later experiences add to it.
    """
    b_ab, _, _ = opinion(r_ab, s_ab, weight)
    b_bc, d_bc, _ = opinion(r_bc, s_bc, weight)
    b, d = b_ab * b_bc, b_ab * d_bc
    u = np.maximum(1.0 - b - d, 1e-9)
    return weight * b / u, weight * d / u


@jitable
def partner_prior_mean(propensity: Num, benevolence: Num, integrity: Num,
                       propensity_weight: Num) -> Num:
    """An agency's prior about a partner: its own propensity to trust and the partner's
    reputation (the mean of its benevolence and integrity)."""
    reputation = 0.5 * (benevolence + integrity)
    return propensity_weight * propensity + (1 - propensity_weight) * reputation


# --- micro-interactions --------------------------------------------------------------------


@jitable
def legitimacy(trust: Num, authority: Num) -> Num:
    """How legitimate an instruction feels: earned by trust in the ISP or lent by the
    formal authority of a mandate, whichever is there: 1 - (1 - trust)(1 - authority)."""
    return 1.0 - (1.0 - trust) * (1.0 - authority)


def success_probability(trustworthiness: Num, tests: Num, quality: Num, legitimacy_: Num,
                        legitimacy_needed: Num, strain: Num, strain_sensitivity: Num,
                        shared_purpose: Num) -> Num:
    """Chance that a micro-interaction is experienced as positive.

    p = quality * (trustworthiness sampled by the type's tests)
        * (1 - legitimacy_needed * (1 - legitimacy)) * (1 - strain_sensitivity * strain);
    an instruction read as illegitimate provokes reactance (Brehm 1966); crisis shared
    purpose then closes part of the gap to 1 on the benevolence-testing share ("everyone
    is in this together", Metz 2020). Shapes broadcast: trustworthiness (..., 3),
    tests (..., 3).
    """
    tw = _add(trustworthiness * tests, axis=-1)
    return experienced_well(tw, tests[..., 1], quality, legitimacy_, legitimacy_needed, strain,
                            strain_sensitivity, shared_purpose)


@jitable
def experienced_well(trustworthiness: Num, benevolence_share: Num, quality: Num,
                     legitimacy_: Num, legitimacy_needed: Num, strain: Num,
                     strain_sensitivity: Num, shared_purpose: Num) -> Num:
    """success_probability once the type's tests have sampled the trustworthiness
    (``trustworthiness`` is that weighted sum, ``benevolence_share`` the type's test weight
    on benevolence)."""
    reading = 1.0 - legitimacy_needed * (1.0 - legitimacy_)
    p = quality * trustworthiness * reading * (1.0 - strain_sensitivity * strain)
    p = p + (1.0 - p) * shared_purpose * benevolence_share
    return clip01(p)


def saturating_gain(x: Num, gains: Num, n_good: Num, receptivity: Num) -> Num:
    """x after good interactions, each closing ``gain * receptivity`` of the gap to 1.

    With one type, ``gains`` is (E,) and ``n_good`` (...,); with a catalogue, ``gains`` is
    (K, E) and ``n_good`` (..., K), and x (..., E) is moved by every type at once. Written
    as 1 - (1 - x) prod_k (1 - g_k)^n_k so that n interactions at once (vectorized) equal
    n interactions one after the other (agents).
    """
    gains, recept = np.asarray(gains, dtype=float), np.asarray(receptivity, dtype=float)
    n = np.asarray(n_good, dtype=float)
    if gains.ndim == 2:  # a catalogue: (K, E) gains, (..., K) counts
        keep = log_gap_kept(gains * recept[..., None, None])
        total = np.einsum("...k,...ke->...e", n, keep)
    else:  # one type: its gain on one quantity (scalar) or on several (E,)
        keep = log_gap_kept(gains * recept[..., None] if gains.ndim else gains * recept)
        total = n[..., None] * keep if gains.ndim else n * keep
    return gap_closed(x, total)


@jitable
def log_gap_kept(gain: Num) -> Num:
    """log of the share of the gap to 1 that one interaction of effective ``gain`` leaves."""
    return np.log1p(-np.minimum(gain, MAX_GAIN))


@jitable
def gap_kept(gain: Num) -> Num:
    """The share of the gap to 1 that one interaction of effective ``gain`` leaves."""
    return 1.0 - np.minimum(gain, MAX_GAIN)


@jitable
def gap_closed(x: Num, total_log_kept: Num) -> Num:
    """x after interactions whose log_gap_kept values add up to ``total_log_kept``."""
    return gap_narrowed(x, np.exp(total_log_kept))


@jitable
def gap_narrowed(x: Num, kept: Num) -> Num:
    """x after interactions that leave ``kept`` of its gap to 1 (the product of their
    gap_kept: a loop over a few interactions multiplies instead of adding logarithms)."""
    return 1.0 - (1.0 - x) * kept


#: No single encounter closes the whole gap (keeps log(1 - g) finite).
MAX_GAIN = 0.999


@jitable
def receptivity(trust: Num, exponent: Num) -> Num:
    """Trust gates how much an agency takes from support (Metz 2020: trust shapes how
    leaders vet and interpret information)."""
    return np.power(trust, exponent)


# --- agencies -------------------------------------------------------------------------------


@jitable
def effective_readiness(readiness: Num, champion: Num, champion_weight: Num, crisis: Num,
                        urgency: Num) -> Num:
    """Tension for change: own readiness, a champion, and crisis urgency (necessity)."""
    return clip01(readiness + champion_weight * champion + urgency * crisis)


@jitable
def effective_capacity(capacity: Num, crisis: Num, strain: Num, funding: Num) -> Num:
    """Staff time left after the crisis takes its share, with part of the gap to full
    capacity filled by emergency funding (the resources explanation)."""
    left = capacity * (1.0 - strain * crisis)
    return left + funding * crisis * (1.0 - left)


@jitable
def lowered_barrier(x: Num, share: Num) -> Num:
    """A barrier lowered: x moves ``share`` of the way to 1 (the necessity explanation)."""
    return x + share * (1.0 - x)


@jitable
def agency_ability(capacity: Num, knowledge: Num, knowledge_weight: Num) -> Num:
    """An agency's ability as partners and families see it: staff time, and know-how."""
    return np.sqrt(capacity) * ((1.0 - knowledge_weight) + knowledge_weight * knowledge)


@jitable
def weekly_turnover(rate_per_year: Num, crisis: Num, crisis_turnover: Num) -> Num:
    """Weekly chance one staff member leaves, from the yearly rate, raised by a crisis."""
    weekly = 1.0 - np.power(1.0 - np.minimum(rate_per_year, MAX_YEARLY_TURNOVER), 1.0 / 52.0)
    return clip01(weekly * (1.0 + crisis_turnover * crisis))


#: A yearly turnover of 1 would mean a weekly chance of 1; keep it just below.
MAX_YEARLY_TURNOVER = 0.999999


# --- implementation stages ------------------------------------------------------------------


def stage_drive(drivers: dict[str, Num], exponents: dict[str, Num]) -> Num:
    """Product of drivers ** exponents; each driver in [0, 1] so the best case is 1."""
    drive = 1.0
    for name, exponent in exponents.items():
        drive = drive * np.power(clip01(drivers[name]), exponent)
    return drive


@jitable
def innovation_difficulty(complexity: Num, novelty: Num, complexity_weight: Num,
                          novelty_weight: Num) -> Num:
    """Factor on a stage's rate from what is being changed (CFIR 2.0 innovation domain):
    1 / ((1 + w_c complexity) (1 + w_n novelty)); 1 for a simple adaptation."""
    return 1.0 / ((1.0 + complexity_weight * complexity) * (1.0 + novelty_weight * novelty))


@jitable
def peer_exposure(trusted_adopters: Num, reference: Num) -> Num:
    """Exposure to trusted partners that deliver: their trust-weighted count over the
    count that makes exposure full, at most 1."""
    return np.minimum(trusted_adopters / reference, 1.0)


@jitable
def risk_taking(trust: Num, crisis: Num, risk: Num) -> Num:
    """The relationships explanation: in a crisis, trust lets agencies take the risks
    change needs (Metz 2020), so hazards grow with trust squared."""
    return 1.0 + risk * crisis * trust * trust


@jitable
def hazard(rate: Num) -> Num:
    """Weekly probability from a weekly rate: 1 - exp(-rate)."""
    return 1.0 - np.exp(-rate)


@jitable
def advance_rate(innovation: Num, drive: Num, peer_weight: Num, exposure: Num,
                 mandate_weight: Num, pressure: Num) -> Num:
    """Rate of moving on: innovation * drive + q * exposure + mandate; in the Bass limit
    (drive = 1, no mandate, exposure the share adopted) this is p + q * F (Bass 1969)."""
    return innovation * drive + peer_weight * exposure + mandate_weight * pressure


@jitable
def sustain_strength(fit: Num, fidelity: Num, trust: Num) -> Num:
    """What holds a delivering agency at its stage: fit, fidelity and trust together."""
    return np.cbrt(fit * fidelity * trust)


@jitable
def fallback_rate(base: Num, sustain: Num, depth: Num, pressure: Num,
                  shallow_multiplier: Num) -> Num:
    """Falling back: likelier without fit, fidelity and trust (``sustain``), and for
    mandated (shallow) adoption once pressure has gone."""
    shallow = shallow_multiplier * (1.0 - depth) * (1.0 - np.minimum(pressure, 1.0))
    return base * (1.0 - sustain) * (1.0 + shallow)


@jitable
def abandon_rate(base: Num, readiness: Num, trust: Num, capacity: Num) -> Num:
    """Abandoning (de-adopting): likelier without readiness, trust or staff time."""
    return base * (1.0 - readiness * trust * capacity)


# --- families -------------------------------------------------------------------------------


@jitable
def family_experience_probability(service_quality: Num, prior_trust: Num, voice: Num,
                                  voice_effect: Num, power_gap: Num) -> Num:
    """Chance a family's contact with its agency goes well.

    Families whose group has reason for low prior trust meet power differentials that
    spoil more encounters; voice from co-design removes part of that (Metz 2024,
    'The Role of Implementation Practice in Advancing Equity').
    """
    gap = power_gap * (1.0 - prior_trust) * (1.0 - voice_effect * voice)
    return clip01(service_quality * (1.0 - gap))


@jitable
def engagement_probability(rate: Num, trust: Num, voice: Num) -> Num:
    """Families engage with a delivered practice through agencies they trust."""
    return clip01(rate * trust * trust * (1.0 + voice))


#: Disengagement at zero trust relative to its rate at trust one half: the rate is the
#: weekly chance of a family that is undecided (trust 0.5) leaving.
DISTRUST_DISENGAGEMENT = 2.0


@jitable
def disengagement_probability(rate: Num, trust: Num, lapse: Num) -> Num:
    """Engagement ends through distrust, or lapses whatever the trust."""
    return clip01(lapse + rate * DISTRUST_DISENGAGEMENT * (1.0 - trust))


@jitable
def case_closure_probability(case_weeks: Num) -> Num:
    """Weekly chance a family's case closes, for a mean case length in weeks."""
    return hazard(1.0 / case_weeks)
