"""Fixtures shared across test folders."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

TESTS = Path(__file__).parent


@pytest.fixture(scope="session")
def planted_sweep(tmp_path_factory) -> Path:
    """A finished sweep (120 LHS points on the tiny scenario, one replicate each) whose
    experiment plants the box 'strategy_mix > 0.6 and turnover_per_year < 0.3' as its
    discover: condition; asymmetry varies but plays no part."""
    from sim.sweep import run

    folder = tmp_path_factory.mktemp("planted")
    shutil.copy(TESTS / "sweep" / "data" / "tiny.yaml", folder / "tiny.yaml")
    exp = {"name": "plant", "scenario": "tiny.yaml", "design": "lhs", "samples": 120,
           "parameters": {"strategy_mix": {"low": 0, "high": 1},
                          "turnover_per_year": {"low": 0, "high": 1},
                          "asymmetry": {"low": 1, "high": 5}},
           "replicates": 1, "seed": 3, "record": "end", "weeks": 12,
           "discover": {"outcome": "final_share_at_full",
                        "where": "strategy_mix > 0.6 and turnover_per_year < 0.3"}}
    (folder / "exp.yaml").write_text(yaml.safe_dump(exp))
    run(folder / "exp.yaml", workers=2, out=folder / "out", progress=False)
    return folder / "out"


@pytest.fixture(scope="session")
def stop_process():
    """Stop a process a test started: terminate, then kill if it has not gone in time."""
    def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return stop


@pytest.fixture(scope="session")
def start_app(stop_process):
    """``with start_app(args, log, query) as port``: ``trustsim app scenarios/covid_pivot.yaml
    *args`` on a free loopback port, started as a user starts it, once its page (with
    ``query``) answers 200; stopped afterwards. The server takes seconds to start."""
    script = Path(sys.executable).parent / "trustsim"
    trustsim = [str(script)] if script.exists() else [
        sys.executable, "-c", "from sim.cli import main; main()"]
    covid = TESTS.parent / "scenarios" / "covid_pivot.yaml"

    @contextlib.contextmanager
    def start(args: list, log: Path, query: str = ""):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with open(log, "w") as out:
            proc = subprocess.Popen([*trustsim, "app", str(covid), "--port", str(port),
                                     *map(str, args)], cwd=TESTS.parent, stdout=out,
                                    stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while not _answers(f"http://127.0.0.1:{port}/{query}"):
                if proc.poll() is not None:
                    pytest.fail(f"trustsim app exited with {proc.returncode}:\n"
                                f"{log.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"trustsim app did not serve within 120 s:\n{log.read_text()}")
                time.sleep(0.5)
            yield port
        finally:
            stop_process(proc, timeout=15)

    return start


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def cli(monkeypatch, capsys):
    """``cli(*args)``: ``trustsim ARGS`` run in this process; its exit status and standard
    error."""
    from sim.cli import main

    def run(*args) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["trustsim", *map(str, args)])
        with pytest.raises(SystemExit) as exc:
            main()
            raise SystemExit(0)
        return exc.value.code, capsys.readouterr().err
    return run


@pytest.fixture(scope="session")
def figure_problems():
    """What keeps a figure from a paper: text outside the canvas, or a raw identifier
    (a column or parameter name) where a reader expects words. Returns a function of the
    figure and the identifiers; an empty list means none."""
    import re

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    def problems(fig, identifiers) -> list[str]:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer, box = canvas.get_renderer(), fig.bbox
        found, undrawn = [], set()
        for ax in fig.axes:  # ticks beyond the view limits exist but are not drawn
            for axis in (ax.xaxis, ax.yaxis):
                shown = {id(t) for t in axis._update_ticks()}  # noqa: SLF001
                undrawn |= {id(t.label1) for t in axis.get_major_ticks() + \
                            axis.get_minor_ticks() if id(t) not in shown}
                undrawn |= {id(t.label2) for t in axis.get_major_ticks() + \
                            axis.get_minor_ticks() if id(t) not in shown}
        for text in fig.findobj(Text):
            said = text.get_text()
            if not text.get_visible() or not said.strip() or id(text) in undrawn:
                continue
            ext = text.get_window_extent(renderer)
            if ext.x0 < box.x0 - 1 or ext.y0 < box.y0 - 1 or ext.x1 > box.x1 + 1 or \
                    ext.y1 > box.y1 + 1:
                found.append(f"outside the canvas: {said!r} at {ext.bounds}")
            raw = set(re.findall(r"[\w.]+", said)) & set(identifiers)
            if raw:
                found.append(f"raw identifier {sorted(raw)} in {said!r}")
        return found

    return problems


@pytest.fixture
def unblocked():
    """``unblocked(call, fifos)``: ``call()`` run in a thread; if it has not returned within a
    generous minute (blocked reading a FIFO), each FIFO is opened for writing and closed,
    which ends the read, and the test fails. Returns what ``call`` returned or raises
    what it raised (SystemExit included), so a reader that blocks is a failure, not a hang."""
    import os
    import threading

    def run(call, fifos, seconds: float = 60.0):
        box: dict = {}

        def target() -> None:
            try:
                box["value"] = call()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
                box["error"] = exc

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        thread.join(seconds)
        if thread.is_alive():
            for fifo in fifos:
                try:
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    pass
            thread.join(seconds)
            pytest.fail(f"blocked reading a FIFO ({', '.join(map(str, fifos))})")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    return run


@pytest.fixture
def snapshot():
    """``snapshot(root)``: every path under ``root`` with its bytes (None for a folder),
    to show that a refused command changed nothing there."""
    def take(root: Path) -> dict[str, bytes | None]:
        return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
                for p in root.rglob("*")}
    return take


@pytest.fixture
def one_line():
    """``one_line(code, err)``: assert exit status 2 and one error line without a
    traceback; returns the line."""
    def check(code: int, err: str) -> str:
        assert code == 2, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        return err
    return check
