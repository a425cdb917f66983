"""``--style`` and ``--size``: the options ``trustsim plot`` and ``trustsim analyze`` share
(sim.figstyle)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from sim.figstyle import STYLES, Look, parse_size


def _size(text: str | None) -> str | None:
    try:
        parse_size(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return text


StyleName = Enum("StyleName", {name: name for name in STYLES}, type=str)
Style = Annotated[StyleName | None, typer.Option(
    "--style", case_sensitive=False,
    help="Text sizes and resolution for a page (paper: 8-9 pt, 300 dpi) or a projector "
         "(slides: 14-18 pt); default: matplotlib's.")]
Size = Annotated[str | None, typer.Option(
    "--size", callback=_size, metavar="W,H",
    help="Figure size in inches, e.g. 3.5,2.6 for a journal column (default: each "
         "figure's own).")]


def look(style: StyleName | None, size: str | None) -> Look:
    """The figures' look from the two options (already checked)."""
    return Look(style.value if style is not None else None, parse_size(size))
