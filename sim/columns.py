"""What one column of a results file holds (``Entry``), the codebook's unit of meaning.

Apart from ``sim.codebook`` so that the modules that define columns (the agent
reporters) need not import the codebook, which imports them to list every column.
"""

from __future__ import annotations

from dataclasses import dataclass

NEVER = "does not occur"


@dataclass(frozen=True)
class Entry:
    """What one column holds."""

    meaning: str
    unit: str = ""
    range: str = ""
    nan: str = NEVER
