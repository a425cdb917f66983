"""Ctrl-C and SIGTERM during a calibration, kept so that neither is lost.

The runner's handler only records the signal; the sampler raises its interrupt after
every finished candidate (``check_stop``), where nothing is half done. An exception raised
from a handler at any bytecode can be dropped (inside a weakref callback) or leave a lock
held. No pyabc import: the runner loads this before it knows pyabc is installed.
"""

from __future__ import annotations

import signal


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the calibration is, so that it stops as on Ctrl-C."""


#: Signals received while a calibration runs (``sim.calibration.runner``).
_requested: list[int] = []


def request_stop(signum: int) -> None:
    _requested.append(signum)


def requested() -> tuple[int, ...]:
    return tuple(_requested)


def clear_stop() -> None:
    _requested.clear()


def check_stop() -> None:
    """Raise the interrupt of a signal received since the calibration started."""
    if _requested:
        raise Terminated() if _requested[0] == signal.SIGTERM else KeyboardInterrupt()
