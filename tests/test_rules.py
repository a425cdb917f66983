"""The trust update and the other rule functions (sim.rules)."""

import numpy as np
import pytest

from sim import rules
from sim.validation import stationary_evidence

TESTS = np.array([1 / 3, 1 / 3, 1 / 3])


def _feed(p_good, weeks, forgetting, asymmetry, n_ties, seed):
    """Feed ``n_ties`` independent ties one outcome a week with a fixed success chance,
    through the model's own rule functions."""
    rng = np.random.default_rng(seed)
    r = np.zeros((n_ties, 3))
    s = np.zeros((n_ties, 3))
    for _ in range(weeks):
        r, s = rules.forget(r, s, forgetting)
        good = rng.random(n_ties) < p_good
        dr, ds = rules.evidence_increment(good, ~good, TESTS, 1.0, asymmetry, 1.0)
        r, s = r + dr, s + ds
    return r.sum(axis=1), s.sum(axis=1)


def test_single_tie_converges_to_the_expectation_the_update_implies():
    """(a) Without forgetting, E -> p / (p + asymmetry (1 - p)) by the law of large numbers."""
    p, asym, weeks, prior, w = 0.8, 3.0, 4000, 0.5, 2.0
    r, s = _feed(p, weeks, 1.0, asym, n_ties=200, seed=1)
    trust = rules.expected_trust(r, s, prior, w)
    limit = p / (p + asym * (1 - p))
    # The spread of trust across 200 replicate ties gives the tolerance: their mean should
    # sit within 4 standard errors of the limit (plus the O(1/weeks) pull of the prior).
    se = trust.std(ddof=1) / np.sqrt(len(trust))
    assert abs(trust.mean() - limit) < 4 * se + 2 * w / weeks
    assert trust.std() < 0.02  # it converges: individual ties are close to the limit too


def test_forgetting_gives_the_stationary_evidence():
    """(a) With forgetting, mean evidence matches r* = p / (1 - lambda), s* = a(1-p)/(1-lambda)."""
    p, lam, asym, weeks = 0.7, 0.95, 3.0, 300
    r, s = _feed(p, weeks, lam, asym, n_ties=2000, seed=2)
    r_star, s_star = stationary_evidence(p, weeks, lam, asym)
    # Tolerance: 4 standard errors of the mean over the 2000 replicate ties.
    for got, want in ((r, r_star), (s, s_star)):
        assert abs(got.mean() - want) < 4 * got.std(ddof=1) / np.sqrt(len(got))


def test_asymmetry_equal_good_and_bad_leaves_trust_below_prior():
    """(c) The same number of good and bad experiences: trust ends below its prior."""
    prior, w = 0.5, 2.0
    for n in (1, 5, 20):
        dr, ds = rules.evidence_increment(n, n, TESTS, 1.0, 3.0, 1.0)
        assert rules.overall_trust(dr, ds, prior, w) < prior
    # and with no asymmetry it stays exactly at the prior: the ratio is what does it
    dr, ds = rules.evidence_increment(10, 10, TESTS, 1.0, 1.0, 1.0)
    assert rules.overall_trust(dr, ds, prior, w) == pytest.approx(prior)


def test_one_bad_experience_undoes_more_than_one_good():
    dr, ds = rules.evidence_increment(1, 0, TESTS, 1.0, 3.0, 1.0)
    up = rules.overall_trust(dr, ds, 0.5, 2.0) - 0.5
    dr, ds = rules.evidence_increment(0, 1, TESTS, 1.0, 3.0, 1.0)
    down = 0.5 - rules.overall_trust(dr, ds, 0.5, 2.0)
    assert down > 2 * up


def test_repair_restores_ability_more_than_integrity_and_only_open_violations():
    s, s_open = np.array([4.0, 4.0, 4.0]), np.array([2.0, 2.0, 2.0])
    repaired, still_open = rules.repair(s, s_open, [0.5, 0.3, 0.15], 1.0)
    assert repaired[0] < repaired[1] < repaired[2]
    assert np.allclose(repaired, [3.0, 3.4, 3.7])  # only the open 2.0 per dimension repairs
    assert np.allclose(still_open, 0.0)  # addressed: a second conversation repairs nothing
    again, _ = rules.repair(repaired, still_open, [0.5, 0.3, 0.15], 1.0)
    assert np.allclose(again, repaired)
    untouched, open_ = rules.repair(s, s_open, [0.5, 0.3, 0.15], 0.0)  # no conversation
    assert np.allclose(untouched, s) and np.allclose(open_, s_open)


def test_discounting_borrows_belief_through_the_broker():
    w = 2.0
    r, s = rules.discounted_evidence(20.0, 0.0, 20.0, 0.0, w)
    b, _, _ = rules.opinion(r, s, w)
    b_ab, _, _ = rules.opinion(20.0, 0.0, w)
    assert b == pytest.approx(b_ab * b_ab)
    # distrust in the broker passes on nothing but uncertainty
    r, s = rules.discounted_evidence(0.0, 20.0, 20.0, 0.0, w)
    assert r < 0.01 and s < 0.01


def test_saturating_gain_is_the_same_at_once_or_one_by_one():
    x = 0.2
    once = rules.saturating_gain(x, 0.1, 3, 0.8)
    stepwise = x
    for _ in range(3):
        stepwise = rules.saturating_gain(stepwise, 0.1, 1, 0.8)
    assert once == pytest.approx(stepwise)


def test_hazard_matches_bass_form():
    assert rules.hazard(rules.advance_rate(0.01, 1.0, 0.3, 0.5, 0.0, 0.0)) == pytest.approx(
        1 - np.exp(-(0.01 + 0.3 * 0.5)))
