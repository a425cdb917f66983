"""Helpers for the command-line tests that kill real processes."""

from __future__ import annotations

import errno
import os
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


@pytest.fixture
def full_disk(monkeypatch):
    """``full_disk(after)``: fsync of a run's data file (scenario parts, sweep summaries)
    fails with ENOSPC after ``after`` successful ones, as on a disk that fills up mid-run
    while the small manifest still fits. Simulated: a real full disk needs a mount."""

    def fill(after: int) -> None:
        real, count = os.fsync, []

        def fsync(fd):
            path = os.readlink(f"/proc/self/fd/{fd}")
            if "/.parts/" in path or "/summaries/" in path:
                count.append(fd)
                if len(count) > after:
                    raise OSError(errno.ENOSPC, "No space left on device")
            return real(fd)

        monkeypatch.setattr(os, "fsync", fsync)

    return fill
