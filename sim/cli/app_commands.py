"""``trustsim app`` (the trainers' dashboard) and ``trustsim animate`` (a run as a GIF/MP4)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli import app
from sim.errors import TrustsimError

DEFAULT_SCENARIO = Path("scenarios/covid_pivot.yaml")


@app.command("app")
def serve_app(
    scenario: Annotated[Path, typer.Argument(help="Scenario file to start from.")]
    = DEFAULT_SCENARIO,
    arm: Annotated[str | None, typer.Option(help="Arm to start with (default: the first).")]
    = None,
    port: Annotated[int, typer.Option(help="Port to serve on (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to bind; off loopback (e.g. 0.0.0.0) "
                                            "the page needs the printed token.")]
    = "127.0.0.1",
    save_dir: Annotated[Path, typer.Option(help="Where the Save button writes runs.")]
    = Path("results/app"),
    scenario_dir: Annotated[list[Path] | None, typer.Option(
        help="Another folder whose scenario files the page may load (repeatable); the "
             "shipped scenarios/ and the starting file's folder always are.")] = None,
    token: Annotated[str | None, typer.Option(
        help="Require this token in the page address (default: a random one off "
             "loopback, none on loopback).")] = None,
) -> None:
    """Serve the trainers' live dashboard (Solara) in the browser."""
    from sim.dashboard.access import (
        DIRS_ENV,
        HOST_ENV,
        TOKEN_ENV,
        is_loopback,
        new_token,
        token_problem,
    )
    from sim.scenario.loader import load_scenario

    if not 0 <= port <= 65535:
        raise TrustsimError(f"{port} is not a port; expected a whole number in [0, 65535]",
                            field="--port")
    if token is not None and (problem := token_problem(token)):
        raise TrustsimError(problem, field="--token")
    loaded = load_scenario(scenario)  # a bad file fails here, as one line, before serving
    if arm is not None and arm not in loaded.arms:
        raise TrustsimError(f"no arm '{arm}'; expected one of {', '.join(loaded.arms)}",
                            source=str(scenario), field="arms")
    port = port or free_port(host)  # the printed address names the port actually served
    dirs = [scenario.resolve().parent, *(d.resolve() for d in scenario_dir or [])]
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    env.update({"TRUSTSIM_APP_SCENARIO": str(scenario.resolve()), "TRUSTSIM_APP_ARM": arm or "",
                "TRUSTSIM_APP_SAVE_DIR": str(save_dir.resolve()),
                DIRS_ENV: os.pathsep.join(map(str, dirs)), HOST_ENV: host,
                # what `solara run sim.app --production` sets, which this start replaces
                "SOLARA_APP": "sim.app", "SOLARA_MODE": "production",
                "SOLARA_THEME_SHOW_BANNER": "False"})
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"  # IPv6 in brackets
    if not is_loopback(host):
        token = token or new_token()
        print(f"trustsim: warning: serving on {host}, reachable from other machines; only "
              "people given the address with its token can open the dashboard",
              file=sys.stderr)
    if token:
        env[TOKEN_ENV] = token
        url += f"?token={token}"
    # Solara's Starlette app behind sim.dashboard.access.Guard, which checks Host, Origin
    # and the token on every request before Solara sees it (`solara run` has no hook)
    cmd = [sys.executable, "-m", "uvicorn", "sim.dashboard.access:guarded_app", "--factory",
           "--host", host, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    print(f"trustsim: open {url} (Ctrl-C stops it)", file=sys.stderr, flush=True)
    os.execve(sys.executable, cmd, env)  # the server replaces this process: one PID to stop


def free_port(host: str) -> int:
    """A port free on ``host`` now (as `solara run --port 0` picks one)."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as sock:
            sock.bind(address)
            return sock.getsockname()[1]
    except OSError as exc:
        raise TrustsimError(f"cannot serve on {host!r} ({exc.strerror or exc}); expected an "
                            "address of this machine", field="--host") from None


@app.command()
def animate(
    scenario: Annotated[Path, typer.Argument(help="Scenario file to run.")],
    out: Annotated[Path, typer.Option("--out", help="Animation file, .gif or .mp4.")],
    arm: Annotated[str | None, typer.Option(help="Arm to run (default: the first).")] = None,
    seed: Annotated[int | None, typer.Option(help="Base seed (default: the scenario's).")]
    = None,
    weeks: Annotated[int | None, typer.Option(help="Weeks to run (default: the scenario's).")]
    = None,
    fps: Annotated[float, typer.Option(help="Frames per second.", min=0.1, max=60)] = 8.0,
    every: Annotated[int, typer.Option(help="A frame every this many weeks.", min=1)] = 1,
) -> None:
    """Render one run of a scenario arm to an animation for slides."""
    from sim.animate import animate_scenario

    path, frames = animate_scenario(scenario, out, arm=arm, seed=seed, weeks=weeks, fps=fps,
                                    every=every)
    print(f"wrote {path} ({frames} frames)")
