"""User-facing errors: one line that names the file, the field and what was expected."""

from __future__ import annotations

import reprlib
from typing import Any

_SHORT = reprlib.Repr(maxlevel=3, maxtuple=4, maxlist=4, maxdict=4, maxset=4, maxstring=50,
                      maxlong=40, maxother=50)


def show_value(value: Any) -> str:
    """A value a user gave, in at most 60 characters; never the repr of all of a value that
    may be huge (an alias bomb, a long list from the API)."""
    text = _SHORT.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class TrustsimError(Exception):
    """An error caused by the user's input, shown as one line without a traceback.

    The command line turns it into ``trustsim: <message>`` and exit status 2.
    """

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.source = source
        self.field = field
        parts = [p for p in (source, field) if p]
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ScenarioError(TrustsimError):
    """A scenario file that cannot be read or does not validate."""


class ExperimentError(TrustsimError):
    """An experiment (sweep) file that cannot be read or does not validate."""


def interruption(exc: BaseException | None) -> KeyboardInterrupt | None:
    """The Ctrl-C (or SIGTERM turned into one) behind ``exc``, if any. A signal handled
    while compiled code calls back into Python (numba) surfaces as a SystemError whose
    cause is the interrupt; it must stop a run as the interrupt itself does."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
