"""Calibration to observed implementation data (``trustsim calibrate``, docs/calibration.md).

``calibrate(file)`` fits priors over model parameters to observed statistics with
ABC-SMC (pyabc, the optional ``trustsim[calibration]`` extra) and writes the posterior,
its summary and figures; running it again continues an interrupted calibration.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"calibrate": "sim.calibration.runner", "prepare": "sim.calibration.runner",
            "load_calibration": "sim.calibration.spec",
            "CalibrationSpec": "sim.calibration.spec"}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim.calibration' has no attribute {name!r}")
