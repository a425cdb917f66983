"""The condition language of ``discover --where``: what it accepts, how it evaluates, and
that anything that could run code is refused before evaluation (the hostile cases are in
tests/discovery/test_discovery_hostile.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.condition import MAX_LENGTH, parse_condition
from sim.errors import ExperimentError

COLUMNS = {"y": np.array([-10.0, -5.0, 0.0, 5.0]), "a": np.array([0.1, 0.5, 0.7, 0.9]),
           "timeline.0.intensity": np.array([1.0, 0.0, 1.0, 0.0])}


def check(text: str, columns=COLUMNS):
    return parse_condition(text, None if columns is None else list(columns), "y", "sweep",
                           "--where")


@pytest.mark.parametrize("text, expected", [
    ("< -8", [True, False, False, False]),
    ("y < -8", [True, False, False, False]),
    ("  >= 0", [False, False, True, True]),
    ("!= 0", [True, True, False, True]),
    ("a > 0.3 and y < 5", [False, True, True, False]),
    ("a < 0.3 or y > 1", [True, False, False, True]),
    ("not (a < 0.3 or y > 1)", [False, True, True, False]),
    ("0.3 < a <= 0.7", [False, True, True, False]),
    ("-y / 2 + a * 10 > 6.8", [False, True, True, False]),
    ("+a - -1 >= 1.7", [False, False, True, True]),
    ("`timeline.0.intensity` > 0.5", [True, False, True, False]),
    ("y / 0 > 1", [False, False, False, True]),  # inf, nan, inf: no warning, no error
])
def test_a_condition_evaluates_per_row(text, expected):
    cond = check(text)
    assert cond.evaluate(COLUMNS).tolist() == expected


def test_a_dotted_column_name_needs_no_backquotes_when_it_parses():
    cond = parse_condition("strategies.co_creative.co_learning > 2",
                           ["strategies.co_creative.co_learning"], "y", "s", "f")
    assert cond.columns == ("strategies.co_creative.co_learning",)
    values = {"strategies.co_creative.co_learning": np.array([1.0, 3.0])}
    assert cond.evaluate(values).tolist() == [False, True]


def test_the_columns_read_are_listed():
    assert check("a > 0.3 and y < 5 and a < 1").columns == ("a", "y")


def test_unknown_columns_pass_only_when_the_columns_are_not_known_yet():
    assert check("b > 1", columns=None).columns == ("b",)
    with pytest.raises(ExperimentError, match=r"unknown name 'b' \(the columns are: a, "):
        check("b > 1")


@pytest.mark.parametrize("text, words", [
    ("y + 1", "it is a number, not a condition"),
    ("(a < 1) + 1 > 0", "uses a condition where a number is expected"),
    ("a and y", "uses a number where a condition is expected"),
    ("a > 0.3 & y < 5", "the operator in"),
    ("a ** 2 > 1", "the operator in"),
    ("a in y", "the comparison in"),
    ("a is y", "the comparison in"),
    ("y < True", "True is not a number"),
    ("y < 1j", "1j is not a number"),
    ("y >", "cannot parse it"),
    ("", "cannot parse it"),
])
def test_what_is_not_a_condition_is_one_line(text, words):
    with pytest.raises(ExperimentError) as info:
        check(text)
    msg = str(info.value)
    assert msg.startswith("sweep: --where: ") and words in msg and "\n" not in msg, msg


def test_a_condition_longer_than_the_cap_is_refused_unparsed():
    with pytest.raises(ExperimentError, match=f"more than the {MAX_LENGTH} allowed"):
        check("y < 1 and " * 60 + "y < 1")
    assert check(" and ".join(["y < 1"] * 40)).columns == ("y",)
