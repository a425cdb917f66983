"""The dashboard's helpers (sim/app.py) without a browser: knobs, refusals, live events,
saving a run that replays exactly. The page itself is driven in test_app_browser.py."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim import app
from sim.animate import replicate_seed
from sim.errors import TrustsimError
from sim.model import TrustModel
from sim.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[1]
COVID = ROOT / "scenarios" / "covid_pivot.yaml"


@pytest.fixture(scope="module")
def covid():
    return load_scenario(COVID)


def small(arm: str = "top_down", **knobs) -> app.WorkshopModel:
    """The county of covid_pivot.yaml, cut to 20 weeks so tests stay quick."""
    return app.WorkshopModel(str(COVID), arm, weeks="20", **knobs)


def test_knobs_start_at_the_arm_values(covid):
    knobs = app.arm_knobs(covid.arm_params("co_creative"))
    assert knobs["strategy_mix"] == 1.0
    assert (knobs["crisis_peak"], knobs["crisis_weeks"]) == (0.9, 52)
    assert knobs["low_trust_prior"] == 0.3  # the low_trust_community group of base.yaml


@pytest.mark.parametrize(("name", "value"), [
    ("isp_hours", 41), ("isp_hours", 4.9), ("turnover_per_year", "lots"),
    ("crisis_weeks", 3), ("crisis_weeks", 10.5), ("low_trust_prior", float("nan")),
])
def test_out_of_range_knob_is_refused_with_its_range(name, value):
    with pytest.raises(ValueError, match=r"expected .* in \["):
        app.check_knob(name, value, start=app.KNOB[name].low)


def test_knob_range_widens_to_include_the_scenarios_own_value():
    assert app.check_knob("turnover_per_year", 0.8, start=0.8) == 0.8
    with pytest.raises(ValueError, match=r"\[0.1, 0.8\]"):
        app.check_knob("turnover_per_year", 0.85, start=0.8)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("weeks", "99999", r"Weeks = '99999': expected a whole number in \[1, 5200\]"),
    ("weeks", "ten", r"Weeks = 'ten'"),
    ("seed", "-1", r"Seed = '-1': expected a whole number >= 0"),
])
def test_bad_typed_field_is_refused(name, value, expected):
    with pytest.raises(ValueError, match=expected):
        app.check_field(name, value)


def test_refused_values_are_reported_and_the_scenario_values_kept(covid):
    model = app.WorkshopModel(str(COVID), "co_creative", weeks="99999", isp_hours=100,
                              strategy_mix=0.25)
    assert len(model.refused) == 2
    assert model.refused[0].startswith("Refused Weeks = '99999'")
    assert "kept 156" in model.refused[0]
    assert "ISP hours per week = 100" in model.refused[1]
    assert model.p.weeks == 156 and model.p.isp_hours == covid.arm_params("co_creative").get(
        "isp_hours", 20.0)
    assert model.p.strategy_mix == 0.25  # an in-range value is applied


def test_knobs_reach_the_model(covid):
    model = small(crisis_peak=0.5, crisis_weeks=8, low_trust_prior=0.8, turnover_per_year=0.5)
    crisis = next(e for e in model.events if e["kind"] == "crisis")
    assert (crisis["intensity"], crisis["duration"]) == (0.5, 8)
    assert model.p.turnover_per_year == 0.5
    groups = {g["name"]: g["prior_trust"] for g in model.params["family_groups"]}
    assert groups["low_trust_community"] == 0.8
    assert app.applied_line(model) == (
        "Started with: top-down support · scripted crisis 0.50 for 8 weeks · turnover "
        "0.50/year · ISP 20 h/week · low-trust prior 0.80 · seed 20200316")
    # the scenario itself is untouched
    assert covid.arm_params("top_down")["timeline"][0]["intensity"] == 0.9


def test_crisis_now_and_strategy_switch_act_from_next_week():
    model = app.WorkshopModel(str(COVID), "top_down", crisis_peak=0.0)  # no scripted crisis
    for _ in range(3):
        model.step()
    assert "normal conditions" in app.status_line(model, 156)
    crisis, said = app.live_crisis_event(model, 0.8, 10)
    assert said == "Crisis now: intensity 0.80 from week 4 to week 14"
    model.add_event(crisis)
    model.add_event(app.live_switch_event(model, 1.0)[0])
    assert "CRISIS from week 4" in app.status_line(model, 156)
    model.step()
    assert model.crisis_intensity == 0.8  # at full strength at once: no ramp
    line = app.status_line(model, 156)
    assert line.startswith("Week 4 of 156") and "CRISIS (intensity 0.80, until week 14)" in line
    assert "co-creative support" in line
    kinds = [(e["kind"], e.get("onset", e.get("week"))) for e in model.events]
    assert ("crisis", 4) in kinds and ("strategy_switch", 4) in kinds


def test_crisis_now_inside_a_crisis_extends_and_intensifies_it_and_says_so():
    model = small(crisis_peak=0.5, crisis_weeks=8)  # covid_pivot: onset week 8
    for _ in range(10):
        model.step()
    assert app.crisis_end(model, 11) == 16
    event, said = app.live_crisis_event(model, 0.9, 6)
    assert said == "Crisis extended by 6 weeks, to week 22, and intensified from 0.50 to 0.90"
    model.add_event(event)
    model.step()
    assert model.crisis_intensity == 0.9 and app.crisis_end(model, model.week) == 22
    _, said = app.live_crisis_event(model, 0.2, 4)  # weaker: the length grows, not the peak
    assert said == "Crisis extended by 4 weeks, to week 26 (intensity stays 0.90)"


def test_live_event_out_of_range_is_refused():
    model = small()
    with pytest.raises(ValueError, match="expected a number in"):
        app.live_crisis_event(model, 1.5, 10)
    with pytest.raises(ValueError, match="ISPs. strategy"):
        app.live_switch_event(model, -0.1)


def test_captions_are_the_latest_lines_newest_first():
    model = small()
    for _ in range(10):
        model.step()
    lines = app.captions(model, n=3)
    assert 0 < len(lines) <= 3
    weeks = [int(line.split(":")[0].removeprefix("Week ")) for line in lines
             if not line.startswith("Weeks ")]  # the month's routine line comes last
    assert weeks == sorted(weeks, reverse=True) and weeks[0] <= 10
    assert lines[-1].startswith("Weeks 8-11: ")


def test_saved_run_replays_exactly(tmp_path):
    """The saved scenario file, run as `trustsim run` would run replicate 0, gives the
    very same weekly numbers as the live run with its events added mid-run."""
    model = small("co_creative", crisis_peak=0.0)
    for week in range(20):
        if week == 5:
            model.add_event(app.live_crisis_event(model, 0.9, 8)[0])
        if week == 9:
            model.add_event(app.live_switch_event(model, 0.2)[0])
        model.step()
    paths = app.save_run(model, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["adoption.png", "dashboard.png", "network.png", "reach.png",
                     "scenario.yaml", "trust.png"]
    assert all(p.stat().st_size > 1000 for p in paths)

    again = app.save_run(model, tmp_path)  # a second save in the same second: new folder
    assert again[0].parent != paths[0].parent

    saved_path = next(p for p in paths if p.name == "scenario.yaml")
    saved = load_scenario(saved_path)
    assert saved.arms == ["co_creative"] and saved.replicates == 1 and saved.weeks == 20
    kinds = [e["kind"] for e in yaml.safe_load(saved_path.read_text())["arms"]["co_creative"]
             ["timeline"]]
    assert kinds.count("crisis") == 2 and "strategy_switch" in kinds

    live = model.datacollector.get_model_vars_dataframe()
    replay = TrustModel(rng=replicate_seed(saved.seed), **saved.arm_params("co_creative"))
    replay.run()
    pd.testing.assert_frame_equal(replay.datacollector.get_model_vars_dataframe(), live)
    # and through the scenario runner, as `trustsim run scenario.yaml` runs it
    ran = run_scenario(saved).timeseries
    assert ran["seed"].unique().tolist() == [replicate_seed(saved.seed)]
    pd.testing.assert_frame_equal(ran[live.columns].reset_index(drop=True), live,
                                  check_dtype=False)


def test_bad_scenario_gives_the_command_lines_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nweeks: 10\nparameters: {asymmetry: 9}\narms: {a: {}}\n")
    scenario, error = app.try_load(bad)
    assert scenario is None
    assert "parameters.asymmetry" in error and "\n" not in error
    ok, none = app.try_load(COVID)
    assert ok is not None and none is None


def test_reset_after_the_file_broke_keeps_the_last_valid_version(tmp_path):
    (tmp_path / "base.yaml").write_text((COVID.parent / "base.yaml").read_text("utf-8"), "utf-8")
    copy = tmp_path / "workshop.yaml"
    copy.write_text(COVID.read_text(encoding="utf-8"), encoding="utf-8")
    first = app.WorkshopModel(str(copy), "co_creative", weeks="20")
    assert first.scenario_error is None
    copy.write_text(COVID.read_text(encoding="utf-8").replace("weeks: 156", "weeks: -3"),
                    encoding="utf-8")
    _, line = app.try_load(copy)
    again = app.WorkshopModel(str(copy), "co_creative", weeks="20")  # as Reset does
    assert again.scenario_error == f"{line} (still showing the last valid version)"
    assert "\n" not in again.scenario_error and "weeks" in line
    again.run()  # the last valid version still runs
    assert again.week == 20


def test_a_file_never_valid_raises_the_one_line_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nweeks: 10\nparameters: {asymmetry: 9}\narms: {a: {}}\n")
    with pytest.raises(TrustsimError, match="parameters.asymmetry"):
        app.WorkshopModel(str(bad))


# --- what the page exposes (issue 10, item 6) ----------------------------------------------


def test_chooser_refuses_a_file_outside_the_served_folders(tmp_path, monkeypatch):
    monkeypatch.delenv(app.DIRS_ENV, raising=False)
    scenario, error = app.open_scenario("/etc/shadow")
    assert scenario is None
    assert error == ("/etc/shadow: not in a scenario folder this dashboard serves; expected "
                     f"a .yaml file in {app.REPO_SCENARIOS}")
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: mine\nweeks: 10\narms: {a: {}}\n")
    assert app.open_scenario(mine)[0] is None  # valid, but its folder was not named
    monkeypatch.setenv(app.DIRS_ENV, str(tmp_path))  # named on the command line
    ok, error = app.open_scenario(mine)
    assert error is None and ok.name == "mine"
    assert mine in app.shipped_scenarios()


def test_captions_and_status_are_text_never_html():
    import solara

    model = small()
    model.note('<img src=x onerror="alert(1)">')
    box, rc = solara.render(app.Captions(model), handle_error=False)
    html = [w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets]
    assert not any("<img" in h for h in html)
    assert '<img src=x onerror="alert(1)">' in str(box)  # shown, as text
    box, rc = solara.render(app.Status(model, 0, 0), handle_error=False)
    assert rc.find(solara.widgets.HTML).widgets == []


def test_the_page_leaves_the_token_to_the_network_guard(monkeypatch):
    """A visitor the guard let in by the token's cookie opens the bare address: the page
    shows the dashboard (the guard, sim.dashboard.access.Guard, refused everyone else)."""
    import ipyvuetify
    import solara

    monkeypatch.setenv(app.TOKEN_ENV, "abc")
    monkeypatch.setenv(app.SCENARIO_ENV, str(COVID))
    monkeypatch.setattr(app, "Dashboard", lambda *args: solara.Text("the dashboard"))
    _, rc = solara.render(app.Page(), handle_error=False)
    rc.find(children=["the dashboard"]).assert_single()
    assert rc.find(ipyvuetify.Alert).widgets == []  # no "needs the address with its token"


# --- reliable controls, compare mode, the scenario's own notes (issue 13) -------------------


def test_pending_changes_are_listed_until_reset(covid):
    model = small()
    values = {**app.start_values(covid, "top_down"), "weeks": "20"}
    assert app.pending_changes(model, values) == []
    values.update(isp_hours=30.0, seed="7")
    assert app.pending_changes(model, values) == ["ISP hours per week: 20 → 30.0",
                                                  "Seed: 20200316 → 7"]
    (again,) = app.build_worlds(str(COVID), covid, "top_down", "off", values)  # Reset
    assert app.pending_changes(again, values) == []
    assert again.p.isp_hours == 30.0 and again.base_seed == 7


@pytest.mark.parametrize("mode", ["arms", "history"])
def test_compare_mode_runs_two_worlds_in_lockstep(covid, mode):
    values = {**app.start_values(covid, "top_down"), "weeks": "30"}
    a, b = app.build_worlds(str(COVID), covid, "top_down", mode, values)
    assert a.base_seed == b.base_seed and a.label != b.label
    if mode == "arms":
        assert (a.arm, b.arm, a.p.strategy_mix, b.p.strategy_mix) == (
            "top_down", "co_creative", 0.0, 1.0)  # each arm keeps its own strategy
    else:
        assert (a.p.established_evidence, b.p.established_evidence) == (0.0, 20.0)
    for world in (a, b):  # a crisis called now hits both worlds in the same week
        world.add_event(app.live_crisis_event(world, 0.9, 10)[0])
    while app.step_worlds([a, b]):
        assert a.week == b.week
    da, db = (w.datacollector.get_model_vars_dataframe() for w in (a, b))
    pd.testing.assert_series_equal(da["crisis_intensity"], db["crisis_intensity"])
    assert a.week == b.week == 30
    assert (da["trust_agency_isp_mean"] != db["trust_agency_isp_mean"]).any()


def test_scenario_notes_titles_and_arm_labels(covid):
    from sim.dashboard.story import arm_label, title_of

    assert title_of("A COVID-style crisis (week 8, one year, high intensity): the rapid "
                    "pivot.") == "A COVID-style crisis (week 8, one year, high intensity)"
    assert title_of("The shared county under normal conditions. Extended by others.") == (
        "The shared county under normal conditions")
    assert title_of("word " * 30).endswith(" …") and len(title_of("word " * 30)) <= 72
    assert arm_label("top_down") == "Top-down support"
    assert arm_label("co_creative") == "Co-creative support"
    titles = app.scenario_titles(app.shipped_scenarios())
    assert titles[title_of(covid.description)] == COVID


def test_a_scenario_without_a_crisis_does_not_claim_one():
    base = app.WorkshopModel(str(ROOT / "scenarios" / "base.yaml"), weeks="5")
    assert "no scripted crisis" in app.applied_line(base)
    assert app.first_crisis(base.events) is None


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_the_about_panel_shows_the_workshop_note_not_the_raw_comment(path):
    """Trainers read the scenario's ``workshop:`` note; the file's comment for researchers
    ("make demo", parameter names, figure files) stays out (issue 25)."""
    import solara

    model = app.WorkshopModel(str(path), weeks=None)
    box, _ = solara.render(app.AboutScenario(str(path), model), handle_error=False)
    shown = " ".join(str(box).split())
    assert model.scenario_spec.workshop[:80] in shown
    spec = model.scenario_spec
    meant = " ".join(f"{spec.description} {spec.workshop}".split())
    comment = [line[1:].strip()[:40] for line in path.read_text("utf-8").splitlines()
               if line.startswith("#") and len(line) > 12]
    assert comment and not any(c in shown and c not in meant for c in comment), path.name


def test_a_saved_slide_and_folder_name_the_strategy_in_force(tmp_path):
    """After a switch, the slide's title said 'Top-down support' still (issue 25)."""
    model = small()
    model.step()
    model.add_event(app.live_switch_event(model, 1.0)[0])
    for _ in range(3):
        model.step()
    assert app.slide_title(model) == (f"{model.scenario_spec.name}: Top-down support, "
                                      "co-creative support since week 2")
    folder = app.save_run(model, tmp_path)[0].parent
    assert folder.name.startswith(f"{model.scenario_spec.name}-top_down-to-co-creative-week4-")
    before = small()
    assert app.slide_title(before) == f"{before.scenario_spec.name}: Top-down support"


def test_changing_compare_mode_mid_run_says_it_restarted():
    assert app.restart_note("Two arms side by side", 14) == (
        "Compare: Two arms side by side, restarted at week 0 (was at week 14) with the same "
        "settings")
    assert app.restart_note("One system", 0) == "Compare: One system"
