"""Optional dependencies: a missing one is a one-line error naming the extra to install."""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType

from sim.errors import TrustsimError


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or say which ``trustsim[extra]`` brings it."""
    try:
        with warnings.catch_warnings():  # EMA Workbench warns about its own optional parts
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError as exc:
        raise TrustsimError(f"this needs the optional package {module.split('.')[0]} "
                            f"({exc.name or module} is not installed); install it with "
                            f"pip install 'trustsim[{extra}]'") from None
