"""The trainers' dashboard as a trainer uses it: `trustsim app` serving on a free port,
driven by Playwright in a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from sim.app import try_load

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
COVID = ROOT / "scenarios" / "covid_pivot.yaml"
SCRIPT = Path(sys.executable).parent / "trustsim"
TRUSTSIM = [str(SCRIPT)] if SCRIPT.exists() else [
    sys.executable, "-c", "from sim.cli import main; main()"]
# Debian's chromium refuses connections without the background-networking flags here.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
STATUS = re.compile(r"Week (\d+) of (\d+)")


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chromium():
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    path = find_chromium()
    if path is None:
        pytest.skip("no Chromium found (/usr/bin/chromium, chromium on PATH, or "
                    "`playwright install chromium`)")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`trustsim app scenarios/covid_pivot.yaml` on a free port; yields (url, save dir)."""
    save_dir = tmp_path_factory.mktemp("saved")
    log = tmp_path_factory.mktemp("server") / "server.log"
    port = free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen([*TRUSTSIM, "app", str(COVID), "--port", str(port),
                                 "--save-dir", str(save_dir)], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"trustsim app exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"trustsim app did not serve within 120 s:\n{log.read_text()}")
            time.sleep(0.5)
        yield url, save_dir
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture()
def page(chromium, server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            # tall enough for all four panels: the app scrolls inside its layout, so a
            # full-page screenshot shows only the viewport
            tab = browser.new_page(viewport={"width": 1600, "height": 1500})
            tab.set_default_timeout(60_000)
            tab.goto(server[0])
            tab.get_by_text("Week 0 of 156").wait_for()
            yield tab
        finally:
            browser.close()


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


def test_trainer_runs_the_covid_pivot_live(page, server, tmp_path):
    # controls and panels are there
    for name in ("Reset", "▶", "Step", "Crisis now", "Switch strategy now",
                 "Save figures and scenario", "Load"):
        assert page.get_by_role("button", name=name, exact=True).is_visible(), name
    for label in ("Strategy mix (0 top-down .. 1 co-creative)", "Scripted crisis: intensity",
                  "Scripted crisis: duration (weeks)", "Staff turnover per year",
                  "ISP hours per week", "Prior trust of the low-trust families"):
        assert page.get_by_text(label, exact=True).is_visible(), label
    page.wait_for_function(
        "() => [...document.querySelectorAll('img')].filter("
        "i => i.complete && i.naturalWidth >= 400).length >= 4")  # the four panels

    # step twice, then hit the system with a crisis now (it starts next week)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Week 1 of 156").wait_for()
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Week 2 of 156").wait_for()
    page.get_by_role("button", name="Crisis now").click()
    wait_status(page, r"^Week 2 of 156 · normal conditions .* CRISIS from week 3$")
    page.get_by_role("button", name="Step", exact=True).click()
    wait_status(page, r"^Week 3 of 156 · CRISIS \(intensity 0\.45\)")
    assert page.locator(".ts-crisis").is_visible()

    # play, let it run, pause
    page.get_by_role("button", name="▶", exact=True).click()
    reached = wait_for_week(page, 6)
    page.get_by_role("button", name="❚❚", exact=True).click()
    page.get_by_role("button", name="▶", exact=True).wait_for()  # paused
    assert reached >= 6
    settled(page)  # a step Mesa's play loop began before the pause still lands

    # switch the ISPs to co-creative mid-run and save the run
    page.get_by_role("button", name="Switch strategy now").click()
    text = wait_status(page, r"switching to 1\.00 in week \d+$")
    now, switch_week = int(STATUS.search(text).group(1)), int(text.rsplit(" ", 1)[1])
    assert switch_week == now + 1  # live events start the week after they are called
    page.get_by_role("button", name="Save figures and scenario").click()
    page.get_by_text(re.compile(r"Saved to .*: network.png, .*scenario\.yaml")).wait_for()
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
    assert (tmp_path / "dashboard.png").stat().st_size > 50_000

    (saved,) = list(Path(server[1]).glob("*/scenario.yaml"))
    assert sorted(p.name for p in saved.parent.iterdir()) == [
        "adoption.png", "dashboard.png", "network.png", "reach.png", "scenario.yaml",
        "trust.png"]
    events = yaml.safe_load(saved.read_text())["arms"]["top_down"]["timeline"]
    assert {"kind": "crisis", "onset": 3, "duration": 52, "intensity": 0.9,
            "ramp": 2} in events
    assert {"kind": "strategy_switch", "week": switch_week, "strategy_mix": 1.0} in events
    scenario, error = try_load(saved)  # the saved file is a valid scenario
    assert error is None and scenario.replicates == 1


def test_bad_input_is_refused_in_the_page(page, tmp_path):
    # a typed run length out of range: refused with a message, the scenario's kept
    weeks = page.get_by_label("Weeks", exact=True)
    weeks.fill("99999")
    weeks.press("Enter")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text("Refused Weeks = '99999': expected a whole number in [1, 5200]; "
                     "kept 156").wait_for()
    assert page.get_by_text("Week 0 of 156").is_visible()

    # a scenario file that fails validation: the command line's one line, no traceback
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nweeks: 10\nparameters: {asymmetry: 9}\narms: {a: {}}\n")
    _, line = try_load(bad)
    field = page.get_by_label("or a scenario file path")
    field.fill(str(bad))
    field.press("Enter")
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text(line, exact=True).wait_for()
    assert "Traceback" not in page.inner_text("body")
    assert page.get_by_text("Week 0 of 156").is_visible()  # the running dashboard stays

    # the shown scenario's file edited into an invalid one, then Reset: the one line again,
    # and the last valid version keeps running
    (tmp_path / "base.yaml").write_text((COVID.parent / "base.yaml").read_text("utf-8"), "utf-8")
    mine = tmp_path / "workshop.yaml"
    text = COVID.read_text("utf-8")
    mine.write_text(text.replace("weeks: 156", "weeks: 100"), "utf-8")
    field.fill(str(mine))
    field.press("Enter")
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("Week 0 of 100").wait_for()
    mine.write_text(text.replace("weeks: 156", "weeks: -3"), "utf-8")
    _, line = try_load(mine)
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text(f"{line} (still showing the last valid version)", exact=True).wait_for()
    assert "Traceback" not in page.inner_text("body")
    assert page.get_by_text("Week 0 of 100").is_visible()
    page.screenshot(path=tmp_path / "bad_input.png", full_page=True)
