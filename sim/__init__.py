"""trustsim: how trust, built one micro-interaction at a time, shapes implementation.

``TrustModel`` is the Mesa model; ``load_scenario`` / ``run_scenario`` run scenario files
from Python; ``medians`` summarises runs by the one censoring rule (docs/results.md).
Imports are lazy so that the command line starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "TrustModel": "sim.model",
    "load_scenario": "sim.scenario",
    "run_scenario": "sim.scenario",
    "medians": "sim.censor",
}

__all__ = ["TrustModel", "load_scenario", "medians", "run_scenario", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
