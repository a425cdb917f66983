"""Helpers for the command-line tests that kill real processes."""

from __future__ import annotations

import time

import psutil
import pytest


@pytest.fixture
def gone_within():
    """``gone_within(pids, seconds)``: the PIDs still alive (not zombies) after waiting up
    to ``seconds``; those are then killed, so a failing test leaves nothing behind."""

    def alive(pids: list[int]) -> list[int]:
        out = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    out.append(pid)
            except psutil.NoSuchProcess:
                pass
        return out

    def wait(pids: list[int], seconds: float) -> list[int]:
        deadline = time.monotonic() + seconds
        while (left := alive(pids)) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in left:
            try:
                psutil.Process(pid).kill()
            except psutil.NoSuchProcess:
                pass
        return left

    return wait
