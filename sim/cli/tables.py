"""One way to print a table of rows on the console (Rich)."""

from __future__ import annotations

from collections.abc import Iterable


def print_table(title: str, columns: list[str], rows: Iterable[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
