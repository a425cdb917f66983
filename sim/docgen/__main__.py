"""``python -m sim.docgen`` (``make docs``): write every generated block of the docs.

``--only NAME`` (repeatable) writes some blocks; ``--cheap`` only those computed from
files (seconds); ``--check`` writes nothing and exits 1 when a cheap block is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.docgen.blocks import blocks_in, read_blocks, write_block
from sim.docgen.sizes import CHEAP

ROOT = Path(__file__).resolve().parents[2]
cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


def doc_files(root: Path) -> list[Path]:
    """README.md and docs/*.md: where generated blocks may live."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def cheap_blocks(root: Path) -> dict[str, str]:
    return {name: make(root) for name, make in CHEAP.items()}


def stale(root: Path) -> list[str]:
    """The cheap blocks whose text in the docs differs from what would be written."""
    where = blocks_in(doc_files(root))
    out = []
    for name, body in cheap_blocks(root).items():
        if name not in where:
            out.append(f"{name}: no such block in README.md or docs/*.md")
        elif read_blocks(where[name].read_text(encoding="utf-8"))[name] != body.strip("\n"):
            out.append(f"{name} in {where[name].relative_to(root)}: out of date")
    return out


@cli.command()
def main(only: Annotated[list[str] | None, typer.Option(help="Block names to write.")] = None,
         cheap: Annotated[bool, typer.Option(help="Only blocks computed from files.")] = False,
         check: Annotated[bool, typer.Option(help="Write nothing; exit 1 when a cheap "
                                                  "block is out of date.")] = False,
         workers: Annotated[int, typer.Option(min=1, help="Workers of the timed sweeps.")] = 2,
         ) -> None:
    """Regenerate the numbers the docs quote."""
    from sim.docgen.measure import MEASURED, measure

    if check:
        problems = stale(ROOT)
        for line in problems:
            typer.echo(f"docs: {line} (run make docs)", err=True)
        raise typer.Exit(1 if problems else 0)
    known = {*CHEAP, *MEASURED}
    unknown = set(only or ()) - known
    if unknown:
        typer.echo(f"docs: unknown block(s) {', '.join(sorted(unknown))}; known: "
                   + ", ".join(sorted(known)), err=True)
        raise typer.Exit(2)
    wanted = set(only) if only else None
    blocks = {k: v for k, v in cheap_blocks(ROOT).items() if wanted is None or k in wanted}
    if not cheap:
        todo = None if wanted is None else wanted & set(MEASURED)
        if todo is None or todo:
            blocks.update(measure(ROOT, workers, todo))
    where = blocks_in(doc_files(ROOT))
    for name, body in blocks.items():
        if name not in where:
            typer.echo(f"docs: no block '{name}' in README.md or docs/*.md", err=True)
            raise typer.Exit(2)
        path = where[name]
        path.write_text(write_block(path.read_text(encoding="utf-8"), name, body, str(path)),
                        encoding="utf-8")
        typer.echo(f"wrote {name} in {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(cli())
