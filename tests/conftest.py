"""Fixtures shared across test folders."""

from __future__ import annotations

import shutil
import subprocess
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
