"""Local worker processes for scenario runs and sweeps, which never outlive their
coordinator.

Workers fork from one forkserver that has imported the model once (Mesa's import takes
seconds); forkserver rather than fork, as the coordinator runs threads. Each worker
ignores Ctrl-C (the coordinator handles it and decides what to keep) and watches its
coordinator: when the coordinator dies, even by SIGKILL, the worker exits at once rather
than finishing its run and waiting for work forever (hundreds of MB per worker).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PRELOAD = ["sim.runs", "sim.model", "sim.workerpool"]


def local_pool(workers: int, preload: list[str] | None = None) -> ProcessPoolExecutor:
    """A process pool of ``workers`` processes that exit when this process dies."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(preload or PRELOAD)
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
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
