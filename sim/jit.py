"""Compiled functions (numba) that keep their machine code on disk when they can.

Numba refuses to even decorate a ``cache=True`` function when no cache folder is writable
(a read-only HOME and install, ``NUMBA_CACHE_DIR`` at a file): a 60-line RuntimeError
before any command could run. Here such a function is compiled in memory instead (half a
minute each run rather than once) and the user is told, once, how to keep it.

``kernel`` is how the model's phases (``sim.phases``) and the compiled engine compile: into
one folder named after the source of everything they compile in (``cache_dir``).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

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


_PACKAGE = Path(__file__).parent


def kernel_sources() -> list[Path]:
    """Every file whose functions compiled code inlines: the rules, the network helpers,
    the random streams, the phases and the compiled engine's loops, and this file (how
    they are compiled)."""
    named = [Path(__file__), _PACKAGE / "rules.py", _PACKAGE / "network.py",
             _PACKAGE / "engines" / "streams.py", _PACKAGE / "engines" / "loops.py"]
    return named + sorted((_PACKAGE / "phases").glob("*.py"))


def cache_dir(sources: Iterable[Path] | None = None) -> str:
    """Where compiled kernels are cached: numba checks only the date of the file a
    function is in, not of the rules and helpers it compiles in, so the folder is named
    after the contents of all of them; a changed rule is compiled afresh, not read back
    stale."""
    import numba

    digest = hashlib.sha256()
    for path in kernel_sources() if sources is None else sources:
        digest.update(Path(path).read_bytes())
    base = numba.config.CACHE_DIR or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "trustsim")
    return os.path.join(base, f"numba-{digest.hexdigest()[:16]}")


_KERNEL_CACHE: list[str | bool] = []  # [folder, writable], worked out once per process


@contextmanager
def _cache_in(folder: str):
    """numba reads its cache folder when a function is decorated: point it at ``folder``
    for that moment only, so other numba users keep their setting."""
    import numba

    saved = numba.config.CACHE_DIR
    numba.config.CACHE_DIR = folder
    try:
        yield
    finally:
        numba.config.CACHE_DIR = saved


def kernel(fn: Callable) -> Callable:
    """Compiled and cached in ``cache_dir()`` only (in memory, with a warning, when it is
    not writable): numba's fallbacks (beside the source, a user-wide folder) would name
    the cache after one file and read back code compiled with old rules.

    NumPy's error model: a division by zero would give inf or nan rather than raise, and
    none can happen in the model (every denominator is kept positive by the parameters'
    ranges in sim.parameters or by a guard). Python's error model checks each division and
    keeps the compiler from running loops with divisions several values at a time: the
    stages' phase took three times as long. The numbers are the same."""
    if not _KERNEL_CACHE:
        folder = cache_dir()
        _KERNEL_CACHE.extend((folder, writable(folder)))
        if not _KERNEL_CACHE[1]:
            warn_uncached(folder)
    folder, cached = _KERNEL_CACHE
    with _cache_in(folder):
        return njit(fn, cache=bool(cached), error_model="numpy")


def unit(fn: Callable) -> Callable:
    """A kernel over one unit (an agency, a tie, a family) that compiled code calls: plain
    Python when called from Python, compiled into its caller's module when called from
    compiled code (numba ``register_jitable``).

    Compiled without reference counting (``_nrt=False``), so it may not allocate arrays:
    numba counts a reference to every array of a bundle a function is handed and to every
    array it takes out of one, and drops those counts again only where the code runs
    straight through; a bundle of 22 arrays cost each family's engagement tens of
    nanoseconds (the families' phase took four times as long). With the error model of
    ``kernel``, since numba compiles such a function with its own options."""
    from numba.extending import register_jitable

    return register_jitable(_nrt=False, error_model="numpy")(fn)

