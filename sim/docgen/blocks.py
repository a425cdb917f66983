"""Generated blocks in Markdown files: ``<!-- generated:NAME -->`` ... ``<!-- /generated -->``.

A block's text is owned by the generator that names it; everything outside the markers is
written by hand. The markers are HTML comments, so they do not show on GitHub.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from sim.errors import TrustsimError

OPEN = re.compile(r"^<!-- generated:([a-z0-9_-]+) -->$", re.M)
CLOSE = "<!-- /generated -->"


def read_blocks(text: str, source: str = "text") -> dict[str, str]:
    """Each block's name and text (without its markers and the newlines next to them)."""
    out: dict[str, str] = {}
    for match in OPEN.finditer(text):
        name = match.group(1)
        end = text.find("\n" + CLOSE, match.end())
        nxt = OPEN.search(text, match.end())
        if end < 0 or (nxt is not None and nxt.start() < end):
            raise TrustsimError(f"{source}: block '{name}' has no {CLOSE} before the next "
                                "block or the end of the file")
        if name in out:
            raise TrustsimError(f"{source}: block '{name}' appears twice")
        out[name] = text[match.end():end].strip("\n")
    return out


def write_block(text: str, name: str, body: str, source: str = "text") -> str:
    """``text`` with block ``name``'s contents replaced by ``body``."""
    read_blocks(text, source)  # well formed
    match = re.search(rf"^<!-- generated:{re.escape(name)} -->$", text, re.M)
    if match is None:
        raise TrustsimError(f"{source}: no block '{name}' (expected a line "
                            f"'<!-- generated:{name} -->')")
    end = text.find("\n" + CLOSE, match.end())
    return text[:match.end()] + "\n" + body.strip("\n") + text[end:]


def blocks_in(files: list[Path]) -> dict[str, Path]:
    """Which file holds each generated block (a name used in two files is an error)."""
    where: dict[str, Path] = {}
    for path in files:
        for name in read_blocks(path.read_text(encoding="utf-8"), str(path)):
            if name in where:
                raise TrustsimError(f"block '{name}' is in both {where[name]} and {path}")
            where[name] = path
    return where


def prose(text: str, width: int = 90) -> str:
    """A generated paragraph wrapped as the hand-written text around it is."""
    return textwrap.fill(" ".join(text.split()), width, break_on_hyphens=False,
                         break_long_words=False)
