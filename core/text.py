"""Untrusted text made safe to show: object keys, event names, column names, error texts from S3.

A bucket's author chooses the keys (and the files' column names and values), so a key may hold
`ESC[2J` (clear the screen), colour codes, `\\r` (go back and overwrite the line), C1 controls
(`\\x9b` is CSI on some terminals) or bidi overrides (`U+202E` shows text reversed). Every face
passes such text through `printable` before it reaches a terminal: controls become visible
escapes (`\\x1b`, `\\u202e`) instead of acting. Text without them is returned unchanged.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

# C0 controls, DEL, C1 controls; bidi embeddings, overrides, isolates and marks; line and
# paragraph separators (some terminals break lines on them); lone surrogates (undecodable bytes
# of a file name read with surrogateescape, which no terminal encoding can print).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_KEEP_NEWLINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(value: object, *, newlines: bool = False) -> str:
    """`value` as text a terminal shows literally: each control character as `\\xNN` or `\\uNNNN`.

    `newlines=True` keeps `\\n` (for texts courier itself writes on several lines, such as
    Amperity's "Error running load-operations task" message); every other control is escaped.
    """
    text = value if isinstance(value, str) else str(value)
    pattern = _UNSAFE_KEEP_NEWLINES if newlines else _UNSAFE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


class PrintableFormatter(logging.Formatter):
    """A log formatter whose lines are `printable` (a log is read with `tail` on a terminal too)."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record), newlines=True)


def iso_utc(moment: float | datetime | None) -> str | None:
    """The one timestamp format of every `--json` output: UTC, ISO-8601, seconds, `Z`.

    Takes epoch seconds (what the catalog stores) or an aware datetime; `1793714400.0` ->
    `'2026-11-03T14:00:00Z'`. A naive datetime is taken as UTC. None stays None (not yet ended).
    """
    if moment is None:
        return None
    if isinstance(moment, datetime):
        at = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    else:
        at = datetime.fromtimestamp(float(moment), UTC)
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
