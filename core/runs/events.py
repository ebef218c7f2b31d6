"""Typed run events and their durable log.

Every step of a run emits an event. Events are appended to the catalog's `run_events` table as
they happen (WAL mode: other processes can read while the run writes), so the CLI printer, the
TUI's live view and `courier runs watch` in another process all see the same stream. Secret
values are redacted before an event is stored.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from courier.core.catalog.catalog import Catalog

EVENT_TYPES = (
    "run_started",        # courier, mode, days
    "day_checked",        # day, ready, objects
    "file_listed",        # key, size, tag
    "file_landed",        # key, size, skipped
    "feed_load_started",  # feed_id, table, files
    "batch_loaded",       # feed_id, rows
    "feed_loaded",        # feed_id, table, rows_read, inserted, updated
    "warning",            # message
    "error",              # message
    "run_finished",       # status, notification, error
)

TERMINAL = "run_finished"


@dataclass(frozen=True)
class Event:
    run_id: str
    seq: int
    at: float
    type: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "seq": self.seq, "at": self.at, "type": self.type, **self.data}


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

    def emit(self, type_: str, **data: Any) -> Event:
        if type_ not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type_}")
        text = json.dumps(data, default=str, sort_keys=True)
        if self._redact is not None:
            text = self._redact(text)
        with self._lock:
            self._seq += 1
            event = Event(self.run_id, self._seq, time.time(), type_, json.loads(text))
            self.catalog.execute(
                "INSERT INTO run_events (run_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)",
                (event.run_id, event.seq, event.at, event.type, text),
            )
        for sink in self.sinks:
            try:
                sink(event)
            except Exception:  # noqa: BLE001 - a broken display must never break a run
                pass
        return event


def read_events(catalog: Catalog, run_id: str, after_seq: int = 0) -> list[Event]:
    rows = catalog.all(
        "SELECT run_id, seq, at, type, data FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq",
        (run_id, after_seq),
    )
    return [Event(r["run_id"], r["seq"], r["at"], r["type"], json.loads(r["data"])) for r in rows]
