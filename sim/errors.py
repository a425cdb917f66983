"""User-facing errors: one line that names the file, the field and what was expected."""

from __future__ import annotations


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
