"""Compiled functions (numba) that keep their machine code on disk when they can.

Numba refuses to even decorate a ``cache=True`` function when no cache folder is writable
(a read-only HOME and install, ``NUMBA_CACHE_DIR`` at a file): a 60-line RuntimeError
before any command could run. Here such a function is compiled in memory instead (half a
minute each run rather than once) and the user is told, once, how to keep it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable

#: Set once warned, so that worker processes started afterwards stay quiet.
WARNED = "TRUSTSIM_NO_CACHE_WARNED"


def writable(folder: str) -> bool:
    """Whether ``folder`` can be made and written to: numba's own test of a cache folder."""
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def warn_uncached(tried: str | None = None) -> None:
    """One line on stderr, once per process tree: no cache, and where to point one."""
    if os.environ.get(WARNED):
        return
    os.environ[WARNED] = "1"
    where = f" ({tried} is not a writable folder)" if tried else ""
    print(f"trustsim: warning: no writable cache for compiled code{where}; compiling in "
          "memory each run; set NUMBA_CACHE_DIR to a writable folder to keep it between runs",
          file=sys.stderr, flush=True)


def njit(fn: Callable, *, cache: bool = True, **options) -> Callable:
    """``numba.njit(cache=True, **options)(fn)``, or without the cache (and a warning) when
    ``cache`` is False or numba finds no folder to cache ``fn`` in."""
    import numba

    if cache:
        try:
            return numba.njit(cache=True, **options)(fn)
        except RuntimeError as exc:  # numba: "cannot cache function ...: no locator"
            if "no locator available" not in str(exc):
                raise
    warn_uncached()
    return numba.njit(**options)(fn)
