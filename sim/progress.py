"""One Rich progress bar for every batch of runs (scenarios and sweeps): runs done (and
failed, where runs may fail), elapsed and remaining time, on standard error."""

from __future__ import annotations


class RunProgress:
    """Use as a context manager; ``advance()`` after each finished run."""

    def __init__(self, label: str, total: int, done: int = 0, failed: int | None = None,
                 enabled: bool = True):
        self.enabled = enabled
        self.failed = failed
        if not enabled:
            return
        from rich import progress as rp
        from rich.console import Console

        columns = [rp.TextColumn("{task.description}"), rp.BarColumn(),
                   rp.MofNCompleteColumn(), rp.TextColumn("runs")]
        if failed is not None:
            columns.append(rp.TextColumn("failed {task.fields[failed]}"))
        columns += [rp.TimeElapsedColumn(), rp.TextColumn("left"), rp.TimeRemainingColumn()]
        self.progress = rp.Progress(*columns, console=Console(stderr=True))
        self.task = self.progress.add_task(label, total=total, completed=done,
                                           failed=failed or 0)

    def __enter__(self) -> RunProgress:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.progress.stop()

    def advance(self, failed: bool = False) -> None:
        if self.failed is not None:
            self.failed += failed
        if self.enabled:
            self.progress.update(self.task, advance=1, failed=self.failed or 0)
