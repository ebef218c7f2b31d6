"""Durations as operators type them: "30s", "90m", "2h", "1d", "1w", or combined "1h30m".

Used for a group's wait, offset, lookback, SLA and constraint offset. Whole numbers only (write
"90m", not "1.5h"); "0" means no time. `format_duration` gives the shortest canonical text back,
which is what the catalog stores, so `show` prints what the operator would have typed.
"""

from __future__ import annotations

import re
from datetime import timedelta

from courier.core.errors import ConfigError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_UNIT_WORDS = {"sec": "s", "secs": "s", "second": "s", "seconds": "s", "min": "m", "mins": "m", "minute": "m",
               "minutes": "m", "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "day": "d", "days": "d",
               "week": "w", "weeks": "w"}
_PART = re.compile(r"(\d*\.?\d*)([a-zA-Z]*)")
_HINT = "write a whole number and a unit: 30s, 90m, 2h, 1d, 1w (or combine them: 1h30m)"


def parse_duration(text: str, what: str = "duration") -> timedelta:
    """Parse a duration; the error names the part that is wrong and where (`what`, e.g. "--wait")."""
    raw = text.strip().replace(" ", "")
    if raw == "0":
        return timedelta(0)
    if not raw:
        raise ConfigError("no duration given", hint=_HINT, where=what)
    total = 0
    pos = 0
    while pos < len(raw):
        match = _PART.match(raw, pos)
        assert match is not None
        number, unit = match.group(1), match.group(2)
        part = match.group(0)
        if not part:
            raise ConfigError(f"{raw!r}: unexpected {raw[pos]!r} at position {pos + 1}", hint=_HINT, where=what)
        if not number:
            raise ConfigError(f"{raw!r}: {part!r} has no number before the unit", hint=_HINT, where=what)
        if not number.isdigit():
            raise ConfigError(f"{raw!r}: {number!r} is not a whole number", hint=_HINT, where=what)
        key = unit.lower()
        key = _UNIT_WORDS.get(key, key)
        if not unit:
            raise ConfigError(f"{raw!r}: {number!r} has no unit", hint=_HINT, where=what)
        if key not in UNITS:
            raise ConfigError(f"{raw!r}: unknown unit {unit!r} in {part!r}", hint=_HINT, where=what)
        total += int(number) * UNITS[key]
        pos = match.end()
    return timedelta(seconds=total)


def format_duration(value: timedelta | None) -> str:
    """Shortest canonical text: 5400 s -> "1h30m", 0 -> "0", 7 days -> "1w"."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0"
    parts = []
    for unit, size in sorted(UNITS.items(), key=lambda item: -item[1]):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def humanize(value: timedelta) -> str:
    """Words for messages: "2 hours", "1 day 6 hours"."""
    names = {"w": "week", "d": "day", "h": "hour", "m": "minute", "s": "second"}
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0 seconds"
    words = []
    for unit, size in sorted(UNITS.items(), key=lambda item: -item[1]):
        count, seconds = divmod(seconds, size)
        if count:
            words.append(f"{count} {names[unit]}{'s' if count != 1 else ''}")
    return " ".join(words)
