"""What the dashboard says in words (sim/dashboard/story.py): captions that tell the
story of a run, read from the model's log, timeline and weekly record."""

from __future__ import annotations

import re
from pathlib import Path

from sim import app
from sim.dashboard import story

ROOT = Path(__file__).resolve().parents[2]
COVID = ROOT / "scenarios" / "covid_pivot.yaml"


def test_repeated_notes_of_a_week_are_grouped_with_the_network_names():
    lines = story._grouped([
        "A broken promise at Agency 3 cut its trust in ISP 1",
        "A broken promise at Agency 5 cut its trust in ISP 2",
        "Agency 2 moved on to installation", "Agency 7 moved on to installation",
        "Agency 12 (court) joins the partnership"])
    assert lines == [
        "A12 (court) joins the partnership",
        "A2, A7 moved on to installation",
        "2 broken promises this week (A3, A5) cut trust in ISPs"]
    assert story._grouped(["A broken promise at Agency 3 cut its trust in ISP 1"]) == [
        "A broken promise at A3 cut its trust in its ISP"]


def test_the_crisis_starting_and_ending_and_a_switch_are_told():
    model = app.WorkshopModel(str(COVID), "top_down", weeks="80", crisis_weeks=20)
    model.add_event(app.live_switch_event(model, 1.0)[0] | {"week": 12})
    said = {}
    while model.running:
        model.step()
        said[model.week] = story.week_lines(model, model.week)
    assert any(line.startswith("A crisis hits (intensity") for line in said[8])
    assert "The crisis is over: watch whether trust and adoption hold" in said[28]
    assert said[12][0] == ("ISPs switch to co-creative support: trust answers over the "
                           "next weeks, adoption later")
    assert not any("crisis" in line.lower() for w in (20, 40) for line in said[w])


def test_a_trend_in_trust_is_named_with_where_the_hours_went():
    model = app.WorkshopModel(str(COVID), "co_creative", weeks="60")
    lines = []
    while model.running:
        model.step()
        lines += story.week_lines(model, model.week)
    trends = [line for line in lines if " is rising (" in line or " is falling (" in line]
    assert trends, lines[:20]
    isp = [line for line in trends if line.startswith("Agencies' trust in their ISPs")]
    assert isp and all("; most ISP hours went to " in line for line in isp)


def test_captions_never_repeat_one_line_per_broken_promise():
    model = app.WorkshopModel(str(COVID), "top_down", weeks="40")
    model.run()
    lines = [line for w in range(41) for line in story.week_lines(model, w)]
    promises = [line for line in lines if "broken promise" in line]
    assert len(promises) <= 41  # at most one line per week, however many broke


def test_stage_change_captions_appear_when_stages_change():
    model = app.WorkshopModel(str(COVID), "co_creative", weeks="156")
    model.run()
    df = model.datacollector.get_model_vars_dataframe()
    shares = df[[c for c in df if c.startswith("share_") and c != "share_at_full"]]
    assert (shares.diff().abs().sum(axis=1) > 0).sum() >= 3  # stages did change
    lines = [line for w in range(157) for line in story.week_lines(model, w)]
    assert sum(" moved on to " in line for line in lines) >= 3


def _played(arm: str, weeks: int) -> list[list[str]]:
    """The caption strip after every week of a run, as a trainer watching it sees it."""
    model = app.WorkshopModel(str(COVID), arm, weeks=str(weeks))
    seen = []
    while model.running:
        model.step()
        seen.append(story.captions(model, n=3))
    return seen


def test_broken_promises_are_told_once_a_month_not_every_week():
    """Top-down COVID run: a 'broken promise' line came in all 156 weeks (issue 25)."""
    seen = _played("top_down", 60)
    lines = {line for strip in seen for line in strip if "promise" in line}
    assert lines and all(re.match(r"^Weeks \d+-\d+: (\d+ broken promises this month \(|"
                                  r"A broken promise at A\d+)", line)
                         for line in lines), sorted(lines)[:5]
    months = {line.split(":")[0] for line in lines}
    assert len(months) <= 60 // 4 + 1  # one line per month, however many broke


def test_the_caption_history_stays_while_playing():
    """A key line (the crisis hitting in week 8) stays in view for weeks, not one frame."""
    seen = _played("top_down", 30)
    shown = [i + 1 for i, strip in enumerate(seen)
             if any(line.startswith("Week 8: A crisis hits") for line in strip)]
    assert shown[0] == 8 and len(shown) >= 4, shown
    for strip in seen:  # key lines newest first, then the month's routine line
        weeks = [int(re.match(r"^Week (\d+):", line).group(1)) for line in strip
                 if not line.startswith("Weeks ")]
        assert weeks == sorted(weeks, reverse=True), strip
        assert all(line.startswith("Weeks ") for line in strip[len(weeks):]), strip
