"""The live view of one run: its events folded into counters and drawn as bars and tables.

`RunState` is plain Python (no Textual) so the folding of events is easy to reason about; the
`ProgressPanel` widget draws a state when asked (the screen asks at most ~10 times a second) and
touches only the parts whose text changed; `RunLog` is the run's log, pinned to its last line.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from courier.core.runs.events import (
    BatchLoaded,
    DayChecked,
    Event,
    FeedLoaded,
    FeedLoadStarted,
    FileLanded,
    FileListed,
    RunError,
    RunFinished,
    RunStarted,
    RunWarning,
)
from courier.core.text import printable
from courier.tui.formatting import human_bytes
from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, RichLog, Static


@dataclass
class FeedProgress:
    feed_id: str
    table: str = ""
    files: int = 0
    rows: int = 0
    inserted: int | None = None
    updated: int | None = None
    done: bool = False


@dataclass
class RunState:
    """Everything the live view shows, built only from events (so it works for any process's run)."""

    run_id: str = ""
    courier: str = ""
    mode: str = ""
    days: list[str] = field(default_factory=list)
    started_at: float | None = None
    ended_at: float | None = None
    day_ready: dict[str, bool] = field(default_factory=dict)
    files_listed: int = 0
    files_done: int = 0
    files_skipped: int = 0
    bytes_listed: int = 0
    bytes_done: int = 0
    feeds: dict[str, FeedProgress] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    status: str = "waiting"
    notification: str | None = None
    error: str | None = None
    log: deque[str] = field(default_factory=lambda: deque(maxlen=500))
    log_count: int = 0

    @property
    def finished(self) -> bool:
        return self.ended_at is not None

    @property
    def days_checked(self) -> int:
        return len(self.day_ready)

    @property
    def days_ready(self) -> int:
        return sum(1 for ok in self.day_ready.values() if ok)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.feeds.values())

    @property
    def phase(self) -> str:
        if self.finished:
            return self.status
        if any(not f.done for f in self.feeds.values()):
            return "loading feeds"
        if self.feeds:
            return "finishing"
        if self.files_listed:
            return "landing files"
        if self.started_at is not None:
            return "checking days"
        return "waiting for the run to start"

    def elapsed(self, now: float) -> float:
        if self.started_at is None:
            return 0.0
        return max(0.0, (self.ended_at if self.ended_at is not None else now) - self.started_at)

    def apply(self, event: Event) -> None:
        """Fold one typed run event into the counters; its log line is the engine's `describe()`."""
        self.run_id = self.run_id or event.run_id
        if isinstance(event, RunStarted):
            self.started_at = event.at
            self.courier, self.mode, self.days = event.courier, event.mode, [str(d) for d in event.days]
            self.status = "running"
        elif isinstance(event, DayChecked):
            self.day_ready[event.day] = self.day_ready.get(event.day, True) and event.usable
        elif isinstance(event, FileListed):
            self.files_listed += 1
            self.bytes_listed += event.size
        elif isinstance(event, FileLanded):
            self.files_done += 1
            self.bytes_done += event.size
            self.files_skipped += event.skipped
        elif isinstance(event, FeedLoadStarted):
            feed = self._feed(event.feed_id)
            feed.table, feed.files = event.table or feed.table, event.files
        elif isinstance(event, BatchLoaded):
            self._feed(event.feed_id).rows += event.rows
        elif isinstance(event, FeedLoaded):
            feed = self._feed(event.feed_id)
            feed.table = event.table or feed.table
            feed.rows = event.rows_read or feed.rows
            feed.inserted, feed.updated, feed.done = event.inserted, event.updated, True
        elif isinstance(event, RunWarning):
            self.warnings.append(event.message)
        elif isinstance(event, RunError):
            self.errors.append(event.message)
        elif isinstance(event, RunFinished):
            if self.started_at is None:
                self.started_at = event.at
            # the record's duration when the event carries it: "elapsed" then agrees with "Completed in …"
            self.ended_at = self.started_at + event.seconds if event.seconds is not None else event.at
            self.status, self.notification, self.error = event.status, event.notification, event.error
        if not isinstance(event, FileListed | BatchLoaded):  # one line per file landed is enough
            self._log(event.describe())

    def _feed(self, feed_id: str) -> FeedProgress:
        if feed_id not in self.feeds:
            self.feeds[feed_id] = FeedProgress(feed_id)
        return self.feeds[feed_id]

    def _log(self, line: str) -> None:
        self.log.append(printable(line, newlines=True))  # events quote keys, names and S3's texts
        self.log_count += 1

    def new_log_lines(self, seen: int) -> list[str]:
        """Log lines added since `seen` lines were taken (bounded by the tail kept)."""
        fresh = min(self.log_count - seen, len(self.log))
        return list(self.log)[len(self.log) - fresh:] if fresh > 0 else []


def human_duration(seconds: float) -> str:
    """Whole seconds, rounded as the run's notification rounds them ("Completed in 1 second" is 0.6 s)."""
    seconds = int(round(seconds))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {sec:02d}s"
    return f"{minutes}m {sec:02d}s" if minutes else f"{sec}s"


class ProgressPanel(Vertical):
    """Phase line, three bars (files, bytes, rows), per-feed counts and warnings."""

    DEFAULT_CSS = """
    ProgressPanel { height: auto; }
    ProgressPanel .bar-row { height: 1; }
    ProgressPanel .bar-row Label { width: 8; }
    ProgressPanel .bar-row ProgressBar { width: auto; }
    ProgressPanel .bar-row .bar-detail { width: 1fr; padding-left: 1; }
    ProgressPanel #phase { height: 1; text-style: bold; }
    ProgressPanel #feeds { height: auto; max-height: 8; }
    ProgressPanel #warnings { height: auto; max-height: 4; color: $warning; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="phase")
        for name in ("files", "bytes", "rows"):
            with Horizontal(classes="bar-row"):
                yield Label(name)
                yield ProgressBar(total=None, show_eta=False, id=f"bar-{name}")
                yield Static("", classes="bar-detail", id=f"detail-{name}")
        yield Static("", id="feeds")
        yield Static("", id="warnings")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: dict[str, object] = {}  # part id -> what it shows now
        self.redraws: Counter[str] = Counter()  # part id -> times it was redrawn (tests read it)

    def show(self, state: RunState, now: float) -> None:
        """Draw `state` (called by the screen's throttled timer): each part is updated only when
        what it shows changed, so an event that moves one counter repaints one line, not the panel."""
        elapsed = human_duration(state.elapsed(now))
        self._part("phase", (state.phase, state.days_checked, state.days_ready, elapsed),
                   lambda: _phase_text(state, elapsed))
        files_total = max(state.files_listed, state.files_done)
        self._bar("files", state.files_done, files_total or (0 if state.finished else None),
                  f"{state.files_done}/{files_total} ({state.files_skipped} already landed)")
        bytes_total = max(state.bytes_listed, state.bytes_done)
        self._bar("bytes", state.bytes_done, bytes_total or (0 if state.finished else None),
                  f"{human_bytes(state.bytes_done)} of {human_bytes(bytes_total)}")
        feeds_total = len(state.feeds)
        feeds_done = sum(1 for f in state.feeds.values() if f.done)
        rows_total = feeds_total if feeds_total else (0 if state.finished else None)
        self._bar("rows", feeds_done, rows_total, f"{state.rows:,} rows · {feeds_done}/{feeds_total} feeds")
        feeds_key = (state.finished, tuple((f.feed_id, f.table, f.files, f.rows, f.inserted, f.updated, f.done)
                                           for f in state.feeds.values()))
        self._part("feeds", feeds_key, lambda: _feeds_table(state))
        warnings = tuple(state.warnings[-4:])
        self._part("warnings", warnings, lambda: Text("\n".join(f"⚠ {printable(w)}" for w in warnings)))

    def _part(self, part: str, key: object, draw: Any) -> None:
        """Update the Static `#part` with `draw()` when `key` (what it shows) differs from last time."""
        if self._shown.get(part, _NOTHING) == key:
            return
        self._shown[part] = key
        self.redraws[part] += 1
        self.query_one(f"#{part}", Static).update(draw())

    def _bar(self, name: str, done: int, total: int | None, detail: str) -> None:
        key = (done, total)
        if self._shown.get(f"bar-{name}", _NOTHING) != key:
            self._shown[f"bar-{name}"] = key
            self.redraws[f"bar-{name}"] += 1
            bar = self.query_one(f"#bar-{name}", ProgressBar)
            if total == 0:
                bar.update(total=1, progress=1)
            else:
                bar.update(total=total, progress=done)
        self._part(f"detail-{name}", detail, lambda: Text(detail))


_NOTHING = object()  # no part has been drawn yet


class RunLog(RichLog):
    """The run's log: each write lands on the last line at once (no deferred or animated scroll),
    and the log stays anchored to its end through every layout until the operator scrolls up.

    Lines wrap and the vertical scrollbar is always there, so no scrollbar appears later and moves
    the end by a line after the scroll (with a horizontal bar coming and going, "at the end" was a
    race between a write and the next layout)."""

    DEFAULT_CSS = """
    RunLog { overflow-y: scroll; overflow-x: hidden; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(wrap=True, **kwargs)
        self._pending: list[Text] = []  # lines that came before the log had its size

    def on_mount(self) -> None:
        self.anchor()

    @on(events.Resize)
    def _resized(self) -> None:
        self.call_after_refresh(self._flush)  # after the layout: the scrollbar's room is known

    def _flush(self) -> None:
        lines, self._pending = self._pending, []
        self.add_lines(lines)

    def add_lines(self, lines: list[Text]) -> None:
        """Append lines wrapped to the room beside the scrollbar, then show the last one now if the
        operator has not scrolled away."""
        if not lines:
            return
        if not self._size_known or self._pending:  # in order, once the width is known
            self._pending.extend(lines)
            return
        width = max(1, self.content_region.width - self.styles.scrollbar_size_vertical)
        for line in lines:
            self.write(line, width=width, scroll_end=False)
        if not self._anchor_released:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    @property
    def at_end(self) -> bool:
        """Every line is written (none waits for the log's size) and the last one is in view."""
        return (self._size_known and not self._pending and not self._deferred_renders
                and self.scroll_y >= self.max_scroll_y)


def _phase_text(state: RunState, elapsed: str) -> Text:
    phase = Text()
    phase.append(state.phase, style="bold")
    phase.append(f"  ·  days checked {state.days_checked} ({state.days_ready} ready)")
    phase.append(f"  ·  elapsed {elapsed}")
    return phase


def _feeds_table(state: RunState) -> Table | Text:
    if not state.feeds:
        return Text("no feeds loading yet" if not state.finished else "no feeds loaded", style="dim")
    table = Table(box=None, pad_edge=False, show_edge=False, expand=False)
    for column in ("feed", "table", "files", "rows read", "inserted", "updated", ""):
        table.add_column(column, justify="right" if column in ("files", "rows read", "inserted", "updated") else "left")
    for feed in state.feeds.values():
        table.add_row(Text(printable(feed.feed_id)), Text(printable(feed.table)), str(feed.files), f"{feed.rows:,}",
                      "" if feed.inserted is None else f"{feed.inserted:,}",
                      "" if feed.updated is None else f"{feed.updated:,}",
                      "✓" if feed.done else "…")
    return table
