"""Hostile scenario files: each is refused with one line naming the file and the field,
without a traceback and without expanding, printing or running what it asks for."""

from __future__ import annotations

import math

import pytest

from sim.errors import ScenarioError, show_value
from sim.scenario import load_scenario


def _bomb(levels: int, value_key: str = "description") -> str:
    """A 'billion laughs' document: each level repeats the one below nine times."""
    lines = ["name: bomb", 'l0: &l0 ["xxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxxx"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    lines.append(f"{value_key}: *l{levels}")
    lines.append("arms: {a: {}}")
    return "\n".join(lines) + "\n"


def _message(path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert "\n" not in text and len(text) < 400, text
    return text


def test_an_alias_bomb_is_refused_before_it_is_expanded(write):
    msg = _message(write("bomb.yaml", _bomb(6)))
    assert "bomb.yaml: " in msg and "aliases" in msg and "expand" in msg


def test_a_huge_alias_bomb_is_refused_too(write):
    # 3 * 9**12 (about 8e11) strings if expanded; refused from the document's shape alone
    assert "expand" in _message(write("bomb.yaml", _bomb(12)))


def test_a_recursive_alias_is_refused(write):
    msg = _message(write("loop.yaml", "name: &a [*a]\narms: {a: {}}\n"))
    assert "loop.yaml" in msg and "refers to itself" in msg


def test_deep_nesting_is_refused(write):
    deep = "[" * 5000 + "]" * 5000
    msg = _message(write("deep.yaml", f"name: x\ndescription: {deep}\narms: {{a: {{}}}}\n"))
    assert "deep.yaml" in msg and "nested" in msg


def test_a_file_too_large_to_be_a_scenario_is_refused(write):
    msg = _message(write("big.yaml", "name: x\n" + "#" * 2_000_000 + "\narms: {a: {}}\n"))
    assert "big.yaml" in msg and "MiB" in msg


def test_a_binary_file_is_refused(write, tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    msg = _message(path)
    assert "bin.yaml" in msg and "UTF-8" in msg


def test_a_directory_in_extends_is_named_as_a_directory(write, minimal, tmp_path):
    (tmp_path / "folder").mkdir()
    msg = _message(write("s.yaml", minimal(extends="folder")))
    assert "s.yaml: extends:" in msg and "is a folder" in msg and "not found" not in msg


class _Loud:
    def __repr__(self) -> str:
        raise AssertionError("repr of the whole value was taken")


def test_show_value_never_takes_the_repr_of_an_unbounded_value():
    value = ["a"] * 1000 + [_Loud()]
    text = show_value(value)
    assert len(text) <= 60 and text.startswith("['a'")
    nested: list = ["x"]
    for _ in range(40):
        nested = [nested] * 9  # 9**40 strings if expanded; shared, so built at once
    assert len(show_value(nested)) <= 60


@pytest.mark.parametrize("text", ["1e308", "1.0e308", "2E5", "-3e-2", "+1.5e+3"])
def test_yaml_1_2_exponents_are_numbers(write, minimal, text):
    path = write("s.yaml", minimal(arms={"a": {}}) | {"seed": "SEED"})
    path.write_text(path.read_text().replace("SEED", "0")
                    + f"parameters: {{asymmetry: {text}}}\n")
    value = float(text)
    if 1 <= value <= 5:
        assert load_scenario(path).arm_params("a")["asymmetry"] == value
    else:
        msg = _message(path)
        assert "parameters.asymmetry: expected a number in [1, 5], got " in msg
        assert f"'{text}'" not in msg and "valid number" not in msg


NON_FINITE = [".inf", "-.inf", ".nan", "1e308", "1e999"]


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("where", [
    "strategies: {co_creative: {co_learning: VALUE}}",
    "interactions: {directive: {pressure: VALUE}}",
    "interactions: {directive: {hours: VALUE}}",
    "interactions: {directive: {tests: {ability: VALUE}}}",
    "parameters: {asymmetry: VALUE}",
    "population: {partnership_density: VALUE}",
    "population: {family_groups: [{name: g, share: VALUE, prior_trust: 0.5}]}",
    "timeline: [{kind: crisis, onset: 1, duration: 4, intensity: VALUE}]",
    "arms: {a: {isp_hours: VALUE}}",
])
def test_non_finite_and_huge_numbers_are_refused(write, minimal, where, value):
    data = minimal()
    data.pop(where.split(":")[0], None)
    path = write("s.yaml", data)
    path.write_text(path.read_text() + where.replace("VALUE", value) + "\n")
    msg = _message(path)
    assert "s.yaml: " in msg and "expected" in msg, msg


def test_a_strategy_share_has_an_upper_bound(write, minimal):
    path = write("s.yaml", minimal(strategies={"co_creative": {"co_learning": 1e9}}))
    assert "strategies.co_creative.co_learning: expected" in _message(path)


@pytest.mark.parametrize("where", [
    "timeline: [{kind: crisis, onset: '8', duration: 4}]",
    "timeline: [{kind: funding_cut, week: 3, severity: '0.5'}]",
    "interactions: {directive: {hours: '8'}}",
    "interactions: {directive: {reciprocal: 'yes'}}",
    "parameters: {asymmetry: '2'}",
])
def test_numeric_strings_are_refused_everywhere(write, minimal, where):
    path = write("s.yaml", minimal())
    path.write_text(path.read_text() + where + "\n")
    assert "expected" in _message(path)


def test_an_event_at_the_last_week_is_accepted_by_file_and_api_alike(write, minimal):
    from sim.model import check_params

    event = {"kind": "crisis", "onset": 30, "duration": 4}
    sc = load_scenario(write("s.yaml", minimal(timeline=[event])))
    check_params(sc.arm_params("top_down"))
    late = write("t.yaml", minimal(timeline=[dict(event, onset=31)]))
    assert "timeline.0.onset" in _message(late)
    with pytest.raises(ValueError):
        check_params(dict(sc.arm_params("top_down"), timeline=[dict(event, onset=31)]))


def test_a_family_group_name_the_model_refuses_is_refused_by_the_schema(write, minimal):
    groups = [{"name": "low-trust", "share": 1.0, "prior_trust": 0.2}]
    msg = _message(write("s.yaml", minimal(population={"family_groups": groups})))
    assert "s.yaml: population.family_groups.0.name: expected" in msg
    assert "letters, digits and underscores" in msg


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e308])
def test_the_api_refuses_non_finite_numbers_too(value):
    from sim.model import check_params

    for params in ({"asymmetry": value}, {"n_families": value},
                   {"strategies": {"co_creative": {"co_learning": value}}},
                   {"interactions": {"directive": {"pressure": value}}},
                   {"timeline": [{"kind": "crisis", "onset": 1, "duration": 3,
                                  "intensity": value}]}):
        with pytest.raises(ValueError):
            check_params(params)
