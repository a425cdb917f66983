"""One writer per results folder: a lock file holding the writer's PID.

A lock whose process no longer exists (a run killed with SIGKILL) is taken over, so
running the same command again resumes. Kept to one function so that a shared
results-folder module can replace it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sim.errors import TrustsimError

LOCK = ".trustsim.lock"


@contextlib.contextmanager
def hold(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock for the ``with`` block; TrustsimError if a live process has it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            try:
                pid = int(path.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _alive(pid):
                raise TrustsimError(f"another trustsim process (pid {pid}) is writing to "
                                    "this folder; wait for it or choose another --out",
                                    source=str(folder)) from None
            path.unlink(missing_ok=True)  # stale: its writer was killed
    else:  # pragma: no cover - two processes raced for a stale lock
        raise TrustsimError("could not take the folder's lock", source=str(folder))
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
