"""``trustsim animate`` and ``trustsim app``'s bad-input paths, started as a user starts
them (the served dashboard itself is driven in tests/test_app_browser.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import pytest

from sim.app import try_load

ROOT = Path(__file__).resolve().parents[2]
COVID = ROOT / "scenarios" / "covid_pivot.yaml"
SCRIPT = Path(sys.executable).parent / "trustsim"
TRUSTSIM = [str(SCRIPT)] if SCRIPT.exists() else [
    sys.executable, "-c", "from sim.cli import main; main()"]


def trustsim(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*TRUSTSIM, *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_animate_writes_a_gif_of_covid_pivot(tmp_path):
    out = tmp_path / "slides" / "pivot.gif"
    proc = trustsim("animate", COVID, "--out", out, "--weeks", 10, "--arm", "co_creative",
                    "--fps", 5)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out} (11 frames)" in proc.stdout
    frames = imageio.mimread(out)
    assert len(frames) == 11  # week 0 and each of the 10 weeks
    assert frames[0].shape[:2] == (648, 1080)
    assert (frames[0] != frames[-1]).any()  # the run moved


def test_animate_every_k_weeks_keeps_the_last(tmp_path):
    out = tmp_path / "pivot.gif"
    proc = trustsim("animate", COVID, "--out", out, "--weeks", 10, "--every", 4)
    assert proc.returncode == 0, proc.stderr
    assert len(imageio.mimread(out)) == 4  # weeks 0, 4, 8 and 10


def test_animate_refuses_an_unknown_file_type(tmp_path):
    proc = trustsim("animate", COVID, "--out", tmp_path / "pivot.avi", "--weeks", 10)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"trustsim: {tmp_path / 'pivot.avi'}: unsupported animation type '.avi'; "
        "expected .gif or .mp4"]
    assert not (tmp_path / "pivot.avi").exists()


def test_animate_bad_arm_is_one_line(tmp_path):
    proc = trustsim("animate", COVID, "--out", tmp_path / "x.gif", "--arm", "sideways")
    assert proc.returncode == 2
    assert "no arm 'sideways'; expected one of top_down, co_creative" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_mp4_without_imageio_ffmpeg_says_what_to_install(tmp_path, monkeypatch):
    from sim import animate
    from sim.errors import TrustsimError

    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if not installed
    with pytest.raises(TrustsimError, match="needs the imageio-ffmpeg package: pip install "
                                            "imageio-ffmpeg, or write a .gif"):
        animate._writer(tmp_path / "x.mp4", 4)


def test_app_with_a_bad_scenario_fails_with_the_same_line_the_page_shows(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nweeks: 10\nparameters: {asymmetry: 9}\narms: {a: {}}\n")
    proc = trustsim("app", bad, "--port", 0)
    assert proc.returncode == 2
    _, page_line = try_load(bad)
    assert proc.stderr.strip().splitlines() == [f"trustsim: {page_line}"]


def test_app_with_an_unknown_arm_fails_before_serving():
    proc = trustsim("app", COVID, "--arm", "sideways", "--port", 0)
    assert proc.returncode == 2
    assert "no arm 'sideways'" in proc.stderr and "serving" not in proc.stderr
