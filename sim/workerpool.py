"""Local worker processes for scenario runs and sweeps, which never outlive their
coordinator, on Linux, macOS and Windows.

On Linux workers fork from one forkserver that has imported the model and loaded its
compiled code once (Mesa's import and numba's cache take seconds); forkserver rather
than fork, as the coordinator runs threads. ``start_forkserver`` starts it early, so it
gets ready while the coordinator still reads and checks the work.
Elsewhere they start with ``spawn``, the platform's default and only safe method (macOS
and Windows). Each worker ignores Ctrl-C (the coordinator handles it and decides what to
keep) and watches its coordinator: when the coordinator dies, even by SIGKILL, the worker
exits at once rather than finishing its run and waiting for work forever (hundreds of MB
per worker).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PRELOAD = ["sim.runs", "sim.model", "sim.workerpool", "sim.preload"]


def default_workers() -> int:
    """The cores this process may use: its CPU affinity where the platform has one
    (Linux), else the machine's core count (macOS, Windows)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def start_method(platform: str | None = None) -> str:
    """``forkserver`` on Linux, ``spawn`` elsewhere (macOS's default since fork is unsafe
    with its system libraries; Windows has nothing else)."""
    platform = sys.platform if platform is None else platform
    if platform.startswith("linux") and "forkserver" in multiprocessing.get_all_start_methods():
        return "forkserver"
    return "spawn"


def start_forkserver(preload: list[str] | None = None) -> None:
    """Start the forkserver now (where workers fork from one) importing ``preload`` and
    ``PRELOAD``, in the background: the first pool's workers then fork from a server that
    is ready, or nearly. The server, once running, serves every later pool of this
    process, which is why every pool asks for ``PRELOAD``."""
    ctx = multiprocessing.get_context(start_method())
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        ctx.set_forkserver_preload(list(dict.fromkeys([*(preload or []), *PRELOAD])))
        forkserver.ensure_running()


def local_pool(workers: int, preload: list[str] | None = None) -> ProcessPoolExecutor:
    """A process pool of ``workers`` processes that exit when this process dies."""
    ctx = multiprocessing.get_context(start_method())
    start_forkserver(preload)
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                               initializer=watch_coordinator, initargs=(os.getpid(),))


def shutdown(pool: ProcessPoolExecutor, now: bool = False) -> None:
    """Stop the pool: wait for the runs in flight, or with ``now`` (Ctrl-C) stop the
    workers at once rather than let the user wait for runs whose results are dropped."""
    if now:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def watch_coordinator(pid: int) -> None:
    """Worker initializer: ignore Ctrl-C; exit as soon as process ``pid`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_gone, args=(pid,), daemon=True,
                     name="watch-coordinator").start()


def _exit_when_gone(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)  # Linux 5.3+: readable when the process exits
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        with contextlib.suppress(OSError):
            select.select([fd], [], [])
    else:
        while _alive(pid):
            time.sleep(0.5)
    os._exit(1)


def _alive(pid: int) -> bool:
    """Whether the process still exists (psutil: safe on Windows, where os.kill(pid, 0)
    would terminate it)."""
    import psutil

    return psutil.pid_exists(pid)
