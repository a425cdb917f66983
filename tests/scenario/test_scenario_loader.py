"""Reading scenario files: shipped ones validate, extends merges, bad input is one clear
line naming the file, the field path and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
DAY_ONE = ("normal_top_down_vs_co_creative", "covid_pivot", "after_crisis_support_withdrawn",
           "high_turnover", "low_trust_families_co_design")


def test_the_five_day_one_scenarios_are_shipped():
    names = {p.stem for p in SHIPPED}
    assert set(DAY_ONE) <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scenario_validates_and_says_what_it_asks(path):
    sc = load_scenario(path)
    assert sc.arms and sc.description
    text = path.read_text()
    assert text.startswith("#"), "each scenario opens with a comment block"
    assert "What to look at" in text or path.name == "base.yaml"


def test_covid_pivot_is_the_crisis_by_strategy():
    sc = load_scenario(ROOT / "scenarios" / "covid_pivot.yaml")
    assert sc.arms == ["top_down", "co_creative"]
    crisis = sc.arm_params("co_creative")["timeline"][0]
    assert crisis["kind"] == "crisis" and crisis["duration"] == 52 and crisis["intensity"] >= 0.8
    assert sc.arm_params("co_creative")["strategy_mix"] == 1.0
    assert sc.arm_params("top_down")["strategy_mix"] == 0.0


def test_extends_merges_mappings_replaces_lists_and_arms(write, minimal):
    base = minimal(parameters={"asymmetry": 2.0, "forgetting": 0.9},
                   timeline=[{"kind": "crisis", "onset": 2, "duration": 5}])
    write("base.yaml", base)
    child = write("child.yaml", {
        "extends": "base.yaml", "name": "child",
        "parameters": {"asymmetry": 4.0},
        "timeline": [{"kind": "funding_cut", "week": 3}],
        "arms": {"only": {"isp_hours": 10}}})
    sc = load_scenario(child)
    params = sc.arm_params("only")
    assert params["asymmetry"] == 4.0 and params["forgetting"] == 0.9
    assert [e["kind"] for e in params["timeline"]] == ["funding_cut"]
    assert sc.arms == ["only"]
    assert params["n_agencies"] == 4 and params["weeks"] == 30


def test_arm_overrides_apply_last_and_structured_ones_merge(write, minimal):
    path = write("s.yaml", minimal(
        parameters={"isp_hours": 20},
        strategies={"co_creative": {"co_design": 0.5}},
        arms={"a": {"isp_hours": 5, "strategies": {"co_creative": {"brokering": 0.0}}},
              "b": {}}))
    sc = load_scenario(path)
    assert sc.arm_params("a")["isp_hours"] == 5
    assert sc.arm_params("a")["strategies"] == {"co_creative": {"co_design": 0.5,
                                                                "brokering": 0.0}}
    assert sc.arm_params("b")["isp_hours"] == 20


def test_hash_is_stable_and_follows_content(write, minimal):
    a = load_scenario(write("a.yaml", minimal()))
    b = load_scenario(write("b.yaml", minimal()))
    c = load_scenario(write("c.yaml", minimal(seed=8)))
    assert a.hash() == b.hash() != c.hash()
    assert a.with_overrides(seed=8).hash() == c.hash()


def _error(path: Path, **overrides) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_yaml_syntax_error_names_line_and_column(write):
    path = write("bad.yaml", "name: x\narms:\n  a: {strategy_mix: 1\n")
    msg = _error(path)
    assert msg.startswith(str(path)) or "bad.yaml" in msg
    assert "line 4" in msg and "YAML syntax error" in msg


def test_unknown_key_suggests_the_closest_valid_one(write, minimal):
    msg = _error(write("s.yaml", minimal(parameters={"asymetry": 3})))
    assert "s.yaml: parameters.asymetry: unknown key (did you mean 'asymmetry'?)" in msg


def test_unknown_key_in_an_arm_and_in_an_event(write, minimal):
    msg = _error(write("s.yaml", minimal(arms={"a": {"strategy_mx": 1}})))
    assert "arms.a.strategy_mx" in msg and "did you mean 'strategy_mix'" in msg
    msg = _error(write("t.yaml", minimal(timeline=[{"kind": "crisis", "onset": 1,
                                                     "duration": 4, "intensty": 1}])))
    assert "timeline.0.intensty" in msg and "did you mean 'intensity'" in msg


def test_key_in_the_wrong_section_says_where_it_belongs(write, minimal):
    msg = _error(write("s.yaml", minimal(parameters={"n_agencies": 5})))
    assert "parameters.n_agencies" in msg and "under 'population:'" in msg


def test_wrong_type_names_the_expected_range(write, minimal):
    msg = _error(write("s.yaml", minimal(parameters={"asymmetry": "high"})))
    assert "parameters.asymmetry: expected a number in [1, 5], got 'high'" in msg


def test_value_out_of_range(write, minimal):
    msg = _error(write("s.yaml", minimal(population={"n_agencies": 0})))
    assert "population.n_agencies: expected a whole number in [1, 100000], got 0" in msg


def test_event_after_the_end_of_the_run(write, minimal):
    path = write("s.yaml", minimal(timeline=[{"kind": "support_withdrawn", "week": 40}]))
    msg = _error(path)
    assert "s.yaml: timeline.0.week" in msg and "weeks = 30" in msg


def test_event_after_a_shortened_run_names_the_command_line(write, minimal):
    path = write("s.yaml", minimal(timeline=[{"kind": "support_withdrawn", "week": 20}]))
    assert load_scenario(path).weeks == 30
    assert "set in command line" in _error(path, weeks=10)


def test_missing_extends_target(write, minimal):
    msg = _error(write("s.yaml", minimal(extends="nowhere.yaml")))
    assert "s.yaml: extends: file 'nowhere.yaml' not found" in msg


def test_extends_cycle(write, minimal):
    write("a.yaml", minimal(extends="b.yaml"))
    b = write("b.yaml", minimal(extends="a.yaml"))
    msg = _error(b)
    assert "extends: cycle:" in msg and "a.yaml -> " in msg and "b.yaml" in msg


def test_zero_arms(write, minimal):
    msg = _error(write("s.yaml", minimal(arms={})))
    assert "s.yaml: arms: expected at least one arm" in msg


def test_missing_arms(write, minimal):
    data = minimal()
    del data["arms"]
    assert "arms: required field is missing" in _error(write("s.yaml", data))


def test_unknown_event_kind(write, minimal):
    msg = _error(write("s.yaml", minimal(timeline=[{"kind": "crissis", "onset": 1,
                                                     "duration": 3}])))
    assert "timeline.0.kind: unknown event kind 'crissis' (did you mean 'crisis'?)" in msg


def test_duplicate_key_is_an_error(write):
    msg = _error(write("s.yaml", "name: a\nname: b\narms: {a: {}}\n"))
    assert "key 'name' appears twice" in msg and "line 2" in msg


def test_error_in_a_base_file_names_the_base_file(write, minimal):
    write("base.yaml", minimal(parameters={"forgetting": 7}))
    msg = _error(write("child.yaml", {"extends": "base.yaml", "name": "child"}))
    assert "base.yaml: parameters.forgetting: expected a number in [0.5, 1], got 7" in msg
    assert "child.yaml" not in msg


def test_model_level_errors_are_placed_at_their_field(write, minimal):
    path = write("s.yaml", minimal(strategies={"co_creative": {"co_dezign": 0.2}}))
    msg = _error(path)
    assert "s.yaml: strategies.co_creative.co_dezign" in msg and "unknown interaction" in msg
    path = write("t.yaml", minimal(arms={"a": {"strategies": {"top_down": {"nope": 1.0}}}}))
    assert "arms.a.strategies.top_down.nope" in _error(path)


def test_empty_file_and_missing_file(write, tmp_path):
    assert "expected a mapping of scenario fields, got an empty file" in _error(
        write("e.yaml", ""))
    assert "file not found" in _error(tmp_path / "missing.yaml")


def test_family_group_problem_found_by_the_model_is_placed_in_population(write, minimal):
    groups = [{"name": "low_trust", "share": 0.5, "prior_trust": 0.2},
              {"name": "low_trust", "share": 0.5, "prior_trust": 0.4}]
    msg = _error(write("s.yaml", minimal(population={"family_groups": groups})))
    assert "s.yaml: population.family_groups.1.name: expected a unique identifier" in msg


def test_every_shipped_scenario_carries_a_short_workshop_note():
    """The About panel's plain-language note for trainers: a question, what to click,
    what to notice (issue 25), within the schema's cap."""
    from sim.scenario.schema import WORKSHOP_MAX

    shipped = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
    assert len(shipped) == 10
    for path in shipped:
        note = load_scenario(path).workshop
        assert note and len(note) <= WORKSHOP_MAX, path.name
        assert "?" in note and "click" in note.lower(), path.name
        assert not any(word in note for word in ("make demo", ".png", ".yaml", "_")), path.name
