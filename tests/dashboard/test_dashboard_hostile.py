"""Hostile settings and files in the dashboard: whatever a trainer types or a file holds,
the page shows one line in words and keeps a world running, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import solara

from sim import app

ROOT = Path(__file__).resolve().parents[2]
COVID = ROOT / "scenarios" / "covid_pivot.yaml"


@pytest.fixture(scope="module")
def covid():
    return app.load_scenario(COVID)


@pytest.mark.parametrize("mode", list(app.COMPARE))
@pytest.mark.parametrize("weeks", ["5", "1", "7"])
def test_weeks_ending_before_a_scripted_event_is_refused_not_raised(covid, mode, weeks):
    """covid_pivot's crisis starts at week 8: a run of fewer weeks used to raise a
    ValueError from the model at Reset (a traceback on the projector)."""
    values = {**app.start_values(covid, "top_down"), "weeks": weeks}
    worlds = app.build_worlds(str(COVID), covid, "top_down", mode, values)
    for world in worlds:
        assert world.p.weeks == 156  # the scenario's own length kept
        (line,) = world.refused
        assert "\n" not in line and line.startswith(f"Refused Weeks = '{weeks}'")
        assert "week 8" in line and "kept 156" in line


def test_a_file_never_valid_is_one_message_on_the_page(tmp_path):
    """A file that never validated, reaching the dashboard (say, broken between the
    menu and the click): one line on the page, not a raise."""
    import ipyvuetify as v

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nweeks: 10\nparameters: {asymmetry: 9}\narms: {a: {}}\n")
    _, line = app.try_load(bad)
    _, rc = solara.render(app.Dashboard(str(bad), "a", "off"), handle_error=False)
    shown = [c for w in rc.find(v.Alert).widgets for c in w.children]
    assert shown == [line]
