"""``trustsim animate`` and ``trustsim app``'s bad-input paths, started as a user starts
them (the served dashboard itself is driven in tests/test_app_browser.py)."""

from __future__ import annotations

import os
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


@pytest.mark.slow
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


@pytest.mark.slow
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


def test_app_port_out_of_range_is_one_line():
    proc = trustsim("app", COVID, "--port", 70000)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "trustsim: --port: 70000 is not a port; expected a whole number in [0, 65535]"]


def served(monkeypatch, *args) -> tuple[dict, list[str], str]:
    """Run ``trustsim app`` in-process up to the point where it starts the server."""
    from typer.testing import CliRunner

    from sim.cli import _register, app

    seen = {}
    monkeypatch.setattr("os.execve", lambda exe, argv, env: seen.update(argv=argv, env=env))
    _register()
    result = CliRunner().invoke(app, ["app", str(COVID), *map(str, args)])
    assert result.exit_code == 0, result.output
    return seen["env"], seen["argv"], result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_app_off_loopback_requires_a_token_and_warns(monkeypatch, host):
    env, argv, err = served(monkeypatch, "--host", host, "--port", 8800)
    token = env["TRUSTSIM_APP_TOKEN"]
    assert len(token) >= 32 and argv[argv.index("--host") + 1] == host
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"trustsim: warning: serving on {host}, reachable from other "
                               "machines;")
    at = f"[{host}]" if ":" in host else host  # an IPv6 address in brackets, as in a URL
    assert lines[1] == f"trustsim: open http://{at}:8800/?token={token} (Ctrl-C stops it)"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.2.1", "localhost", "::1"])
def test_app_on_loopback_needs_no_token(monkeypatch, host):
    monkeypatch.setenv("TRUSTSIM_APP_TOKEN", "left over")
    env, _, err = served(monkeypatch, "--host", host)
    assert "TRUSTSIM_APP_TOKEN" not in env and "warning" not in err


def test_app_serves_named_scenario_folders(monkeypatch, tmp_path):
    env, _, _ = served(monkeypatch, "--scenario-dir", tmp_path)
    dirs = env["TRUSTSIM_APP_DIRS"].split(os.pathsep)
    assert str(tmp_path.resolve()) in dirs and str(COVID.parent) in dirs


def test_app_serves_solara_behind_the_network_guard(monkeypatch):
    """Every request reaches Solara through sim.dashboard.access.Guard, configured with
    the bound host and the token (what `solara run` set is kept: the app, production)."""
    from sim.dashboard import access

    env, argv, _ = served(monkeypatch, "--host", "0.0.0.0", "--port", 8800)
    assert argv[1:] == ["-m", "uvicorn", "sim.dashboard.access:guarded_app", "--factory",
                        "--host", "0.0.0.0", "--port", "8800", "--log-level", "warning",
                        "--no-access-log"]
    assert (env["SOLARA_APP"], env["SOLARA_MODE"]) == ("sim.app", "production")
    for name in (access.HOST_ENV, access.TOKEN_ENV):
        monkeypatch.setenv(name, env[name])
    guard = access.guarded_app(app=lambda scope, receive, send: None)
    assert (guard.host, guard.token, guard.loopback) == ("0.0.0.0", env[access.TOKEN_ENV],
                                                         False)


def test_app_on_port_zero_prints_the_port_it_serves(monkeypatch):
    _, argv, err = served(monkeypatch, "--port", 0)
    port = int(argv[argv.index("--port") + 1])
    assert port > 0 and f"trustsim: open http://127.0.0.1:{port}/ " in err


def _cli(monkeypatch, capsys, *args) -> tuple[int, str]:
    """``trustsim`` in-process as the script runs it (exit code, stderr); never serves."""
    from sim.cli import main

    monkeypatch.setattr("os.execve", lambda *a: pytest.fail("it went on to serve"))
    monkeypatch.setattr(sys, "argv", ["trustsim", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, capsys.readouterr().err


@pytest.mark.parametrize(("args", "expected"), [
    (["--token", "two words"], "trustsim: --token: 'two words' is not a usable token; "
                               "expected letters, digits and . _ ~ - only"),
    (["--token", "a;b=c"], "trustsim: --token: 'a;b=c' is not a usable token;"),
    (["--token", "tok\nen"], "trustsim: --token: 'tok\\nen' is not a usable token;"),
    (["--host", "no-such-host.invalid", "--port", 0],
     "trustsim: --host: cannot serve on 'no-such-host.invalid' ("),
])
def test_app_hostile_options_are_one_line(monkeypatch, capsys, args, expected):
    code, err = _cli(monkeypatch, capsys, "app", COVID, *args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(expected), err
