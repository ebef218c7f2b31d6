"""The CLI's live run display: rich progress bars on a terminal, plain event lines otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from courier.core.runs.events import BatchLoaded, Event, FileLanded, FileListed, RunFinished

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class RunPrinter:
    """Turns run events into a progress display on stderr (stdout stays for results).

    rich is imported only for the bars on a terminal: a run under cron prints lines without it.
    """

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
        self.progress: Progress | None = None
        self.files: TaskID | None = None
        self.bytes: TaskID | None = None
        self.rows: TaskID | None = None

    def __enter__(self) -> RunPrinter:
        if self.interactive:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("{task.description:<14}"), BarColumn(), TextColumn("{task.completed:>10,.0f}"),
                                     TimeElapsedColumn(), console=Console(stderr=True), transient=False)
            self.progress.start()
            self.files = self.progress.add_task("files", total=None)
            self.bytes = self.progress.add_task("bytes", total=None)
            self.rows = self.progress.add_task("rows loaded", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress:
            self.progress.stop()

    def handle(self, event: Event) -> None:
        from courier.tui.cli.runs import format_event

        if self.progress is None:
            if not isinstance(event, BatchLoaded | FileListed):
                click.echo(format_event(event), err=True)
            return
        if isinstance(event, FileListed):
            assert self.files is not None and self.bytes is not None
            total = (self.progress.tasks[self.files].total or 0) + 1
            self.progress.update(self.files, total=total)
            self.progress.update(self.bytes, total=(self.progress.tasks[self.bytes].total or 0) + event.size)
        elif isinstance(event, FileLanded):
            self.progress.advance(self.files, 1)  # type: ignore[arg-type]
            self.progress.advance(self.bytes, event.size)  # type: ignore[arg-type]
        elif isinstance(event, BatchLoaded):
            self.progress.advance(self.rows, event.rows)  # type: ignore[arg-type]
        elif not isinstance(event, RunFinished):
            self.progress.console.print(format_event(event), highlight=False, markup=False)
