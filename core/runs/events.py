"""Typed run events and their durable log.

Every step of a run emits an event: one dataclass per event type, each with one `describe()`
(the line every face shows: the CLI printer, the TUI's live view, run history). Events are
appended to the catalog's `run_events` table as they happen (WAL mode: other processes can read
while the run writes), so the CLI printer, the TUI's live view and `courier runs watch` in another
process all see the same stream. Secret values are redacted before an event is stored.

A stored event is `{"run_id", "seq", "at", "type", **fields}`, the shape it always had: rows
written by earlier versions still read (missing fields take their defaults, unknown keys are kept
in `extra`, an unknown type reads as `OtherEvent`).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from courier.core.catalog.catalog import Catalog
from courier.core.text import iso_utc, printable
from courier.core.types import RunMode, RunStatus


class EventType(StrEnum):
    RUN_STARTED = "run_started"
    DAY_CHECKED = "day_checked"
    FILE_LISTED = "file_listed"
    FILE_LANDED = "file_landed"
    FEED_LOAD_STARTED = "feed_load_started"
    BATCH_LOADED = "batch_loaded"
    FEED_LOADED = "feed_loaded"
    WARNING = "warning"
    ERROR = "error"
    RUN_FINISHED = "run_finished"


EVENT_TYPES = tuple(EventType)
TERMINAL = EventType.RUN_FINISHED


@dataclass(frozen=True)
class Event:
    """What every event has: its run, its place in the run's log and when it happened."""

    type: ClassVar[EventType | str]
    run_id: str
    seq: int
    at: float
    extra: dict[str, Any] = field(default_factory=dict, kw_only=True, compare=False, repr=False)

    @property
    def data(self) -> dict[str, Any]:
        """The event's fields as stored (JSON values), without run_id/seq/at/type."""
        out = dict(self.extra)
        for f in dataclasses.fields(self):
            if f.name not in ("run_id", "seq", "at", "extra"):
                out[f.name] = getattr(self, f.name)
        return out

    def to_json(self) -> dict[str, Any]:
        """The event for `--json` output: its fields as stored, `at` as a UTC ISO-8601 time."""
        return {"run_id": self.run_id, "seq": self.seq, "at": iso_utc(self.at), "type": self.type, **self.data}

    def describe(self) -> str:
        """The one line every face shows for this event; text from a bucket, a file or S3 is escaped."""
        raise NotImplementedError


def _shown(value: Any) -> str:
    return printable("" if value is None else value)


def _message(value: Any) -> str:
    return printable("" if value is None else value, newlines=True)


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    type: ClassVar[EventType] = EventType.RUN_STARTED
    courier: str = ""
    mode: str = ""
    days: list[str] = field(default_factory=list)

    def describe(self) -> str:
        span = "all available data" if self.mode == RunMode.ALL else f"{self.mode}, {', '.join(map(str, self.days))}"
        return f"run started: {_shown(self.courier)} ({_shown(span)})"


@dataclass(frozen=True, kw_only=True)
class DayChecked(Event):
    type: ClassVar[EventType] = EventType.DAY_CHECKED
    day: str = ""
    tag: str | None = None
    ready: bool | None = None  # None: the entity has no ready marker
    objects: int = 0

    @property
    def usable(self) -> bool:
        return self.ready is not False and self.objects > 0

    def describe(self) -> str:
        state = "ready" if self.ready else ("NOT ready" if self.ready is False else "no marker")
        tag = f" {_shown(self.tag)}" if self.tag else ""
        return f"day {_shown(self.day)}{tag}: {state}, {self.objects} object(s)"


@dataclass(frozen=True, kw_only=True)
class FileListed(Event):
    type: ClassVar[EventType] = EventType.FILE_LISTED
    key: str = ""
    size: int = 0
    tag: str | None = None

    def describe(self) -> str:
        return f"listed {_shown(self.key)} ({self.size:,} bytes)"


@dataclass(frozen=True, kw_only=True)
class FileLanded(Event):
    type: ClassVar[EventType] = EventType.FILE_LANDED
    key: str = ""
    size: int = 0
    skipped: bool = False

    def describe(self) -> str:
        return f"{'already landed' if self.skipped else 'landed'} {_shown(self.key)}"


@dataclass(frozen=True, kw_only=True)
class FeedLoadStarted(Event):
    type: ClassVar[EventType] = EventType.FEED_LOAD_STARTED
    feed_id: str = ""
    table: str = ""
    files: int = 0

    def describe(self) -> str:
        return f"loading {_shown(self.table or self.feed_id)} from {self.files} file(s)"


@dataclass(frozen=True, kw_only=True)
class BatchLoaded(Event):
    type: ClassVar[EventType] = EventType.BATCH_LOADED
    feed_id: str = ""
    rows: int = 0

    def describe(self) -> str:
        return f"{_shown(self.feed_id)}: {self.rows:,} rows"


@dataclass(frozen=True, kw_only=True)
class FeedLoaded(Event):
    type: ClassVar[EventType] = EventType.FEED_LOADED
    feed_id: str = ""
    table: str = ""
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0

    def describe(self) -> str:
        return (f"loaded {_shown(self.table or self.feed_id)}: {self.rows_read:,} rows read, {self.inserted:,} inserted, "
                f"{self.updated:,} updated")


@dataclass(frozen=True, kw_only=True)
class RunWarning(Event):
    type: ClassVar[EventType] = EventType.WARNING
    message: str = ""

    def describe(self) -> str:
        return f"warning: {_message(self.message)}"


@dataclass(frozen=True, kw_only=True)
class RunError(Event):
    type: ClassVar[EventType] = EventType.ERROR
    message: str = ""

    def describe(self) -> str:
        return f"error: {_message(self.message)}"


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    type: ClassVar[EventType] = EventType.RUN_FINISHED
    status: RunStatus = RunStatus.FAILED
    notification: str | None = None
    error: str | None = None
    seconds: float | None = None  # the run's duration as its record and "Completed in …" count it

    def describe(self) -> str:
        return f"run {_shown(self.status)}: {_message(self.error or self.notification or '')}".rstrip(": ")


@dataclass(frozen=True, kw_only=True)
class OtherEvent(Event):
    """A stored event of a type this version does not know (kept, shown as its type and fields)."""

    type: ClassVar[str] = ""
    kind: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "seq": self.seq, "at": iso_utc(self.at), "type": self.kind, **self.extra}

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.extra)

    def describe(self) -> str:
        detail = " ".join(f"{k}={v}" for k, v in self.extra.items() if v not in (None, "", [], {}))
        return _shown(f"{self.kind} {detail}".rstrip())


EVENT_CLASSES: dict[str, type[Event]] = {cls.type: cls for cls in (
    RunStarted, DayChecked, FileListed, FileLanded, FeedLoadStarted, BatchLoaded, FeedLoaded, RunWarning, RunError,
    RunFinished)}
E = TypeVar("E", bound=Event)


def event_from(run_id: str, seq: int, at: float, type_: str, data: dict[str, Any]) -> Event:
    """The typed event for a stored row (or a live emit): known fields typed, the rest kept in `extra`."""
    cls = EVENT_CLASSES.get(type_)
    if cls is None:
        return OtherEvent(run_id, seq, at, kind=type_, extra=dict(data))
    fields = {f.name: f for f in dataclasses.fields(cls)}
    known = {k: _coerce(fields[k].default, v) for k, v in data.items()
             if k in fields and k not in _BASE and v is not None}
    extra = {k: v for k, v in data.items() if k not in fields}
    return cls(run_id, seq, at, extra=extra, **known)


_BASE = {"run_id", "seq", "at", "extra"}


def _coerce(default: Any, value: Any) -> Any:
    """A stored value in its field's type: older rows wrote a feed's files as a list, numbers as text."""
    if isinstance(default, RunStatus):
        return RunStatus(value) if value in RunStatus._value2member_map_ else RunStatus.FAILED
    if isinstance(default, int) and not isinstance(default, bool) and not isinstance(value, int):
        if isinstance(value, list):
            return len(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            return default
    return value

Sink = Callable[[Event], None]


class EventLog:
    """Appends one run's events to the catalog and fans them out to in-process sinks."""

    def __init__(self, catalog: Catalog, run_id: str, sinks: list[Sink] | None = None,
                 redact: Callable[[str], str] | None = None) -> None:
        self.catalog = catalog
        self.run_id = run_id
        self.sinks = [s for s in (sinks or []) if s is not None]
        self._redact = redact
        self._lock = threading.Lock()
        row = catalog.one("SELECT COALESCE(MAX(seq), 0) FROM run_events WHERE run_id = ?", (run_id,))
        self._seq = int(row[0]) if row else 0

    def emit(self, kind: type[E], **fields: Any) -> E:
        """Record one event of class `kind` (its fields redacted) and hand it to the sinks."""
        if kind not in EVENT_CLASSES.values():
            raise ValueError(f"unknown event class {kind.__name__}")
        text = json.dumps(fields, default=str, sort_keys=True)
        if self._redact is not None:
            text = self._redact(text)
        with self._lock:
            self._seq += 1
            event = event_from(self.run_id, self._seq, time.time(), kind.type, json.loads(text))
            self.catalog.execute(
                "INSERT INTO run_events (run_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)",
                (event.run_id, event.seq, event.at, str(kind.type), text),
            )
        for sink in self.sinks:
            try:
                sink(event)
            except Exception:  # noqa: BLE001 - a broken display must never break a run
                pass
        assert isinstance(event, kind)
        return event


def read_events(catalog: Catalog, run_id: str, after_seq: int = 0) -> list[Event]:
    rows = catalog.all(
        "SELECT run_id, seq, at, type, data FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq",
        (run_id, after_seq),
    )
    return [event_from(r["run_id"], r["seq"], r["at"], r["type"], json.loads(r["data"])) for r in rows]
