"""Every shipped scenario, every arm and every compare mode in a real browser: it opens,
plays, resets and saves, and nothing on the page is a traceback (issue 25: four of the
ten shipped scenarios crashed the page). One page for the module: the scenarios are
switched within it, as a trainer does, so the whole battery costs one page load."""

from __future__ import annotations

import re
import time

import pytest
from test_app_browser import (  # noqa: F401  (fixtures used by name)
    browser,
    button,
    chromium,
    expect,
    folders,
    open_page,
    server,
    status,
    step,
    wait_for_week,
    wait_status,
)

from sim import app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLES = app.scenario_titles(app.shipped_scenarios())  # menu title -> file
SCENARIOS = {path.name: (title, app.load_scenario(path)) for title, path in TITLES.items()}


@pytest.fixture(scope="module")
def page(browser, server):  # noqa: F811
    tab = open_page(browser, server)
    yield tab
    tab.close()


def choose(page, index: int, current: str, option: str) -> None:
    """Pick ``option`` in the sidebar's ``index``-th menu (0 scenario, 1 arm, 2 compare),
    whose shown value is ``current``."""
    if current == option:
        return
    page.get_by_role("tab", name="Settings").click()
    page.locator(".ts-side .v-select").nth(index).click()
    page.get_by_role("option", name=option, exact=True).click()


def no_traceback(page) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error:" not in body, body[:500]


def exercise(page, scenario, arm: str, mode: str, worlds: int, save: bool = True) -> None:
    """Step, play a little, pause, reset to week 0 and save: the trainer's round. Saving
    draws and writes every figure (the slowest step), so it is done once per scenario and
    compare mode rather than in every arm: what an arm changes is the world, not Save."""
    page.locator("." + app.shown_class(scenario.name, arm, mode)).wait_for()
    weeks = scenario.weeks
    wait_status(page, rf"^Week 0 of {weeks}\b")
    assert page.locator(".ts-world").count() == (0 if worlds == 1 else worlds)
    step(page)
    button(page, "▶ Play").click()
    wait_for_week(page, 3)
    button(page, "❚❚ Pause").click()
    button(page, "▶ Play").wait_for()
    button(page, "Reset").click()
    wait_status(page, rf"^Week 0 of {weeks}\b")
    if save:
        button(page, "Save").click()
        expect(page.locator(".ts-message")).to_have_text(re.compile(r"^Saved to "))
    no_traceback(page)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_arm_and_compare_mode_opens_plays_resets_and_saves(page, name):
    title, scenario = SCENARIOS[name]
    shown = page.locator(".ts-side .v-select").first.inner_text().strip()
    choose(page, 0, shown, title)
    arm_shown = app.arm_label(scenario.arms[0])
    for arm in scenario.arms:
        choose(page, 1, arm_shown, app.arm_label(arm))
        arm_shown = app.arm_label(arm)
        exercise(page, scenario, arm, "off", 1, save=arm == scenario.arms[0])
    mode_shown = app.COMPARE["off"]
    for mode in ("arms", "history"):
        choose(page, 2, mode_shown, app.COMPARE[mode])
        mode_shown = app.COMPARE[mode]
        page.locator(".ts-world").nth(1).wait_for()
        exercise(page, scenario, scenario.arms[-1], mode, 2)
    choose(page, 2, mode_shown, app.COMPARE["off"])
    page.locator(".ts-world").first.wait_for(state="detached")
    deadline = time.monotonic() + 30
    while "Week 0" not in status(page):
        assert time.monotonic() < deadline, status(page)
        time.sleep(0.2)
