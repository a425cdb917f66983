"""The trainers' dashboard as a trainer uses it: `trustsim app` serving on a free port,
driven by Playwright in a real headless Chromium at projector sizes (1280x720 and
1920x1080). Set TRUSTSIM_SCREENSHOTS=1 to refresh the screenshots in docs/images/."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml

from sim.app import try_load

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # each drives a page for seconds

ROOT = Path(__file__).resolve().parents[1]
COVID = ROOT / "scenarios" / "covid_pivot.yaml"
# Debian's chromium refuses connections without the background-networking flags here.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
STATUS = re.compile(r"Week (\d+) of (\d+)")
TOKEN = "workshop-token-for-tests"
SIZES = [(1280, 720), (1920, 1080)]
BUTTONS = ("▶ Play", "Step", "Reset", "Crisis now", "Switch strategy now", "Save")
DOC_IMAGES = ROOT / "docs" / "images"


def find_chromium() -> str | None:
    """Debian's chromium (CI installs it), one on PATH, or Playwright's own download."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
        return path if Path(path).exists() else None
    except Exception:
        return None


@pytest.fixture(scope="module")
def chromium():
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    path = find_chromium()
    if path is None:
        pytest.skip("no Chromium found (/usr/bin/chromium, chromium on PATH, or "
                    "`playwright install chromium`)")
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """(save dir, a scenario folder named on the command line)."""
    return tmp_path_factory.mktemp("saved"), tmp_path_factory.mktemp("mine")


@pytest.fixture(scope="module")
def server(tmp_path_factory, folders, start_app):
    """`trustsim app scenarios/covid_pivot.yaml --token ...` on a free port; yields the
    page address with its token."""
    save_dir, mine = folders
    log = tmp_path_factory.mktemp("server") / "server.log"
    args = ["--save-dir", save_dir, "--scenario-dir", mine, "--token", TOKEN]
    # the guard answers 403 without the token (tests/dashboard/test_access.py)
    with start_app(args, log, query=f"?token={TOKEN}") as port:
        yield f"http://127.0.0.1:{port}/?token={TOKEN}"


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=30_000)  # a loaded CI machine is slow
    return playwright_expect(locator)


def open_page(browser, url: str, size=(1280, 720)):
    """A fresh tab (its own session) at a projector size, the dashboard loaded."""
    tab = browser.new_page(viewport={"width": size[0], "height": size[1]})
    tab.set_default_timeout(60_000)
    tab.goto(url)
    tab.get_by_text(re.compile(r"^Week 0 of \d+")).wait_for()
    tab.wait_for_function(
        "() => [...document.querySelectorAll('.ts-panels img')].filter("
        "i => i.complete && i.naturalWidth >= 300).length >= 4")
    return tab


@pytest.fixture()
def page(browser, server):
    tab = open_page(browser, server)
    yield tab
    tab.close()


def shot(page, tmp_path, name: str) -> None:
    """A screenshot for the test's record, and for docs/images when asked for."""
    page.screenshot(path=tmp_path / name)
    if os.environ.get("TRUSTSIM_SCREENSHOTS"):
        DOC_IMAGES.mkdir(exist_ok=True)
        page.screenshot(path=DOC_IMAGES / name)


def status(page) -> str:
    """The big status line, whitespace normalised."""
    return " ".join(page.locator(".ts-status").inner_text().split())


def wait_status(page, pattern: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while not re.search(pattern, text := status(page)):
        assert time.monotonic() < deadline, f"status {text!r} never matched {pattern!r}"
        time.sleep(0.2)
    return text


def week(page) -> int:
    return int(STATUS.search(status(page)).group(1))


def settled(page, quiet: float = 1.0, timeout: float = 30) -> int:
    """The week, once it has not changed for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last = week(page)
    while True:
        time.sleep(quiet)
        if (now := week(page)) == last:
            return now
        assert time.monotonic() < deadline, f"still stepping at week {now}"
        last = now


def wait_for_week(page, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while week(page) < at_least:
        assert time.monotonic() < deadline, f"stuck at week {week(page)}"
        time.sleep(0.2)
    return week(page)


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def step(page, times: int = 1) -> None:
    for _ in range(times):
        now = week(page)
        button(page, "Step").click()
        wait_status(page, rf"^Week {now + 1} of ")


def panel_sources(page) -> list[str]:
    return page.eval_on_selector_all(".ts-panels img", "els => els.map(e => e.src)")


CONTRAST = """(el) => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let bg = null;
  for (let e = el; e && !bg; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor;
    if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') bg = c; }
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(bg || 'rgb(255,255,255)'))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""

SMALL_TEXT = """() => [...document.querySelectorAll('.ts-root *')].filter(e =>
  [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) &&
  e.getClientRects().length && parseFloat(getComputedStyle(e).fontSize) < 16
).map(e => e.textContent.trim().slice(0, 40) + ' ' + getComputedStyle(e).fontSize)"""


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_one_screen_at_projector_sizes(browser, server, size, tmp_path):
    """Status, the controls in one row, captions and all four panels inside the viewport
    without scrolling; text 16 px or more; panels not shrunk; AA contrast on buttons."""
    page = open_page(browser, server, size)
    width, height = size
    boxes = {name: button(page, name).bounding_box() for name in BUTTONS}
    boxes["status"] = page.locator(".ts-status").bounding_box()
    boxes["captions"] = page.locator(".ts-captions").bounding_box()
    for i, img in enumerate(page.locator(".ts-panels img").all()):
        boxes[f"panel {i}"] = img.bounding_box()
    for i, slider in enumerate(page.get_by_role("slider").all()):
        boxes[f"slider {i}"] = slider.bounding_box()
    for name, box in boxes.items():
        assert box and box["x"] >= 0 and box["y"] >= 0, name
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (
            name, box)
    rows = {round(boxes[name]["y"]) for name in BUTTONS}
    assert len(rows) == 1, rows  # the controls sit in one row
    assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight")
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    assert page.evaluate(SMALL_TEXT) == []
    scales = page.eval_on_selector_all(".ts-panels img", "els => els.map(e => "
                                       "e.getBoundingClientRect().width / e.naturalWidth)")
    assert min(scales) >= 0.97, scales  # figure text is drawn at 16 px or more
    for name in BUTTONS:
        assert button(page, name).evaluate(CONTRAST) >= 4.5, name
    assert page.title() == "Trust and implementation: workshop dashboard"
    captions_height = boxes["captions"]["height"]
    step(page, 12)  # captions arrive (the crisis starts at week 8): nothing jumps
    assert page.locator(".ts-captions").bounding_box()["height"] == captions_height
    assert page.locator(".ts-panels img").first.bounding_box() == boxes["panel 0"]
    shot(page, tmp_path, f"dashboard-{width}x{height}.png")
    page.close()


def test_trainer_runs_the_covid_pivot_live(page, folders, tmp_path):
    # step twice, then hit the system with a crisis now: the status says so at once
    step(page, 2)
    before = panel_sources(page)
    button(page, "Crisis now").click()
    wait_status(page, r"^Week 2 of 156 · normal conditions .* CRISIS from week 3$")
    page.get_by_text("Crisis now: intensity 0.90 from week 3 to week 55").wait_for()
    step(page)
    # the scripted crisis (weeks 8 to 60) follows on: the status names the real end
    wait_status(page, r"^Week 3 of 156 · CRISIS \(intensity 0\.90, until week 60\)")
    page.wait_for_function(  # every panel redrawn (images arrive after the status line)
        "before => [...document.querySelectorAll('.ts-panels img')].every("
        "(img, i) => img.src !== before[i])", arg=before, timeout=30_000)
    page.get_by_text(re.compile(r"^Week 3: A crisis hits \(intensity 0\.90")).wait_for()

    # play, let it run, pause
    button(page, "▶ Play").click()
    reached = wait_for_week(page, 6)
    button(page, "❚❚ Pause").click()
    button(page, "▶ Play").wait_for()  # paused
    assert reached >= 6
    settled(page)

    # switch the ISPs to co-creative mid-run and save the run
    button(page, "Switch strategy now").click()
    text = wait_status(page, r"switching to co-creative support in week \d+$")
    now, switch_week = int(STATUS.search(text).group(1)), int(text.rsplit(" ", 1)[1])
    assert switch_week == now + 1  # live events start the week after they are called
    button(page, "Save").click()
    page.get_by_text(re.compile(r"^Saved to ")).wait_for()
    (saved,) = list(Path(folders[0]).glob("*/scenario.yaml"))
    assert sorted(p.name for p in saved.parent.iterdir()) == [
        "adoption.png", "dashboard.png", "network.png", "reach.png", "scenario.yaml",
        "trust.png"]
    events = yaml.safe_load(saved.read_text())["arms"]["top_down"]["timeline"]
    assert {"kind": "crisis", "onset": 3, "duration": 52, "intensity": 0.9,
            "ramp": 0} in events
    assert {"kind": "strategy_switch", "week": switch_week, "strategy_mix": 1.0} in events
    scenario, error = try_load(saved)  # the saved file is a valid scenario
    assert error is None and scenario.replicates == 1


def test_crisis_now_inside_a_crisis_extends_it_and_says_so(page, tmp_path):
    step(page, 10)  # the scripted crisis: week 8 to 60
    wait_status(page, r"CRISIS \(intensity 0\.90, until week 60\)")
    button(page, "Crisis now").click()
    page.get_by_text("Crisis extended by 52 weeks, to week 112 (intensity stays 0.90)").wait_for()
    step(page)
    wait_status(page, r"^Week 11 of 156 · CRISIS \(intensity 0\.90, until week 112\)")
    shot(page, tmp_path, "crisis-extended.png")


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_reset_applies_a_keyboard_moved_slider(browser, server, attempt):
    page = open_page(browser, server)
    hours = page.get_by_role("slider").nth(4)  # ISP hours per week
    assert hours.get_attribute("aria-valuenow") == "20"
    hours.focus()
    for _ in range(3):
        hours.press("ArrowRight")
    page.get_by_text("ISP hours per week: 23.00").wait_for()
    page.get_by_text("Reset applies: ISP hours per week: 20 → 23").wait_for()  # pending
    step(page)
    button(page, "Reset").click()
    wait_status(page, r"^Week 0 of 156")
    page.locator(".ts-pending").wait_for(state="detached")
    page.get_by_role("tab", name="About").click()
    page.get_by_text(re.compile(r"ISP 23 h/week")).wait_for()
    page.close()


def test_compare_mode_runs_two_worlds_in_lockstep(page, tmp_path):
    page.get_by_text("One system", exact=True).click()
    page.get_by_role("option", name="Two arms side by side").click()
    worlds = page.locator(".ts-world")
    worlds.nth(1).wait_for()
    assert worlds.count() == 2
    page.wait_for_function("document.querySelectorAll('.ts-panels img').length == 4")
    step(page, 3)
    # the status line and the labels arrive as separate updates: wait for both
    expect(worlds).to_have_text(["Top-down support (week 3): top-down support",
                                 "Co-creative support (week 3): co-creative support"])
    button(page, "Crisis now").click()
    step(page)
    wait_status(page, r"^Week 4 of 156 · CRISIS \(intensity 0\.90")
    expect(worlds).to_have_text([re.compile(r"^Top-down support \(week 4\)"),
                                 re.compile(r"^Co-creative support \(week 4\)")])
    button(page, "▶ Play").click()
    wait_for_week(page, 14)
    button(page, "❚❚ Pause").click()
    now = settled(page)
    expect(worlds).to_have_text([re.compile(rf"\(week {now}\)")] * 2)  # lockstep
    shot(page, tmp_path, "compare.png")
    for panel in ("adoption", "reach"):  # both worlds on one panel, their difference
        assert page.locator(f".ts-panel-{panel}-compare").count() == 1
    page.get_by_text("Two arms side by side", exact=True).click()
    page.get_by_role("option", name="One system").click()
    page.locator(".ts-world").first.wait_for(state="detached")
    message = page.locator(".ts-message")  # not a silent restart (issue 25)
    expect(message).to_have_text(re.compile(
        r"^Compare: One system, restarted at week 0 \(was at week \d+\) with the same "
        r"settings$"))
    assert int(re.search(r"was at week (\d+)", message.inner_text()).group(1)) >= now


def test_stage_change_captions_appear(page):
    seen: set[str] = set()
    button(page, "▶ Play").click()
    deadline = time.monotonic() + 60
    while (week(page) < 40 and time.monotonic() < deadline
           and not any(" moved on to " in line for line in seen)):
        seen.update(page.locator(".ts-captions").inner_text().splitlines())
        time.sleep(0.1)
    button(page, "❚❚ Pause").click()
    assert sum(" moved on to " in line for line in seen) >= 1, sorted(seen)[:10]


def test_the_page_needs_its_token(browser, server):
    tab = browser.new_page(viewport={"width": 1280, "height": 720})
    tab.goto(server.split("?")[0])
    tab.get_by_text("This dashboard needs the address with its token").wait_for(timeout=60_000)
    assert tab.locator(".ts-root").count() == 0
    tab.goto(server.split("?")[0] + "?token=wrong")
    tab.get_by_text("This dashboard needs the address with its token").wait_for(timeout=60_000)
    tab.close()


def test_bad_input_is_refused_in_the_page(page, folders, tmp_path):
    # a typed run length out of range: refused with a message, the scenario's kept
    weeks = page.get_by_label("Weeks", exact=True)
    weeks.fill("99999")
    page.get_by_text("Reset applies: Weeks: 156 → 99999").wait_for()
    button(page, "Reset").click()
    page.get_by_text("Refused Weeks = '99999': expected a whole number in [1, 5200]; "
                     "kept 156").wait_for()
    assert page.get_by_text("Week 0 of 156").is_visible()

    page.get_by_role("tab", name="About").click()
    field = page.get_by_label("or a scenario file path")
    # a file outside the served folders: refused without reading it
    field.fill("/etc/shadow")
    button(page, "Load").click()
    page.get_by_text(re.compile(r"^/etc/shadow: not in a scenario folder this dashboard "
                                r"serves")).wait_for()

    # a scenario file that fails validation, in a named folder: the command line's line
    mine = Path(folders[1])
    bad = mine / "bad.yaml"
    bad.write_text("name: bad\nweeks: 10\nparameters: {asymmetry: 9}\narms: {a: {}}\n")
    _, line = try_load(bad)
    field.fill(str(bad))
    button(page, "Load").click()
    page.get_by_text(line, exact=True).wait_for()
    assert "Traceback" not in page.inner_text("body")
    assert page.get_by_text("Week 0 of 156").is_visible()  # the running dashboard stays

    # the shown scenario's file edited into an invalid one, then Reset: the one line again,
    # and the last valid version keeps running
    (mine / "base.yaml").write_text((COVID.parent / "base.yaml").read_text("utf-8"), "utf-8")
    workshop = mine / "workshop.yaml"
    text = COVID.read_text("utf-8")
    workshop.write_text(text.replace("weeks: 156", "weeks: 100"), "utf-8")
    field.fill(str(workshop))
    button(page, "Load").click()
    page.get_by_text("Week 0 of 100").wait_for()
    workshop.write_text(text.replace("weeks: 156", "weeks: -3"), "utf-8")
    _, line = try_load(workshop)
    button(page, "Reset").click()
    page.get_by_text(f"{line} (still showing the last valid version)", exact=True).wait_for()
    assert "Traceback" not in page.inner_text("body")
    assert page.get_by_text("Week 0 of 100").is_visible()


def test_keyboard_shortcuts_speed_and_a_hidden_sidebar(page):
    """Space plays and pauses, the right arrow steps, C calls a crisis (issue 25); the
    speed slider sets weeks a second; the sidebar hides for more room."""
    page.locator(".ts-status").click()  # focus on the page, not on a field
    page.keyboard.press("ArrowRight")
    wait_status(page, r"^Week 1 of ")
    page.keyboard.press("c")
    wait_status(page, r"CRISIS from week 2$")
    speed = page.get_by_role("slider").last
    speed.focus()
    speed.press("Home")  # slowest: one week a second
    page.get_by_text("Speed: 1 weeks a second").wait_for()
    page.locator(".ts-status").click()
    page.keyboard.press(" ")
    button(page, "❚❚ Pause").wait_for()
    page.keyboard.press(" ")
    button(page, "▶ Play").wait_for()
    assert settled(page) <= 6  # about a week a second, not eight
    side = page.locator(".ts-side")
    width = page.locator(".ts-panels").bounding_box()["width"]
    button(page, "☰").click()
    side.wait_for(state="hidden")
    page.wait_for_function(f"document.querySelector('.ts-panels')"
                           f".getBoundingClientRect().width > {width + 200}")
    button(page, "☰").click()
    side.wait_for(state="visible")


OVERFLOW = """() => [...document.querySelectorAll('.ts-root *')].filter(e => {
  if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) return false;
  const r = e.getBoundingClientRect();
  if (!r.width || !r.height) return false;
  const side = e.closest('.ts-side');  // the sidebar scrolls: only its width counts
  return e.scrollWidth > e.clientWidth + 1 || r.left < -1 || r.right > innerWidth + 1
    || (!side && r.bottom > innerHeight + 1);
}).map(e => e.textContent.trim().slice(0, 50))"""

CHART_SCALE = ("() => [...document.querySelectorAll('.ts-panels img')].map(e => "
               "e.getBoundingClientRect().width / e.naturalWidth)")


@pytest.mark.xfail(strict=True, reason="issue 25, not done yet: cut with an ellipsis are the "
                   "scenario menu's title and the month's caption line at all three sizes, "
                   "the status line at 1024x768 and 1280x720, the message at 1280x720")
@pytest.mark.parametrize("size", [(1024, 768), (1280, 720), (1920, 1080)],
                         ids=lambda s: f"{s[0]}x{s[1]}")
def test_text_fits_at_projector_sizes(browser, server, size, tmp_path):
    """Nothing cut or overprinted at three projector sizes, with the longest status line
    (a crisis under way and a switch called), both in one system and in compare mode;
    chart text (16 px in the figures) shown at 14 px or more at 1280x720 (issue 25)."""
    page = open_page(browser, server, size)
    step(page, 9)
    button(page, "Switch strategy now").click()
    wait_status(page, r"switching to co-creative support in week 10$")
    for mode in ("", "compare-"):
        if mode:
            page.get_by_text("One system", exact=True).click()
            page.get_by_role("option", name="Two arms side by side").click()
            page.locator(".ts-world").nth(1).wait_for()
            step(page, 9)
        assert not (cut := page.evaluate(OVERFLOW)), cut
        if size == (1280, 720):
            assert min(page.evaluate(CHART_SCALE)) * 16 >= 14
        shot(page, tmp_path, f"fit-{mode}{size[0]}x{size[1]}.png")
    page.get_by_text("Two arms side by side", exact=True).click()
    page.get_by_role("option", name="One system").click()
    page.close()
