"""IANA time zones: validation with suggestions, search for the TUI picker, and GMT labels.

Names come from `zoneinfo.available_timezones()` (the `tzdata` package makes the list the same
on every machine). A group stores the canonical IANA name; labels such as
"(GMT-05:00) America/New_York" are for display only, because the offset changes with DST.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from courier.core.errors import ConfigError, closest, did_you_mean

_HIDDEN_PREFIXES = ("posix/", "right/", "SystemV/")
_HIDDEN = {"Factory", "localtime", "posixrules"}


@cache
def all_zones() -> tuple[str, ...]:
    """Every selectable IANA zone name, sorted."""
    return tuple(sorted(
        name for name in available_timezones()
        if not name.startswith(_HIDDEN_PREFIXES) and name not in _HIDDEN
    ))


@cache
def _by_folded() -> dict[str, str]:
    return {name.casefold(): name for name in all_zones()}


def suggestions(text: str, limit: int = 3) -> list[str]:
    """Closest zone names to a near miss (typos, wrong case, a city without its region)."""
    folded = text.strip().casefold().replace(" ", "_")
    names = _by_folded()
    found = [names[c] for c in closest(folded, names.keys(), n=limit)]
    if len(found) < limit:
        # "new_york" -> America/New_York: match on the last part of the name too
        tails = {c.rsplit("/", 1)[-1]: c for c in names}
        for tail in closest(folded.rsplit("/", 1)[-1], tails.keys(), n=limit, cutoff=0.75):
            name = names[tails[tail]]
            if name not in found:
                found.append(name)
    return found[:limit]


def validate_timezone(text: str) -> str:
    """Return the canonical IANA name for `text`, or raise ConfigError with close matches."""
    name = text.strip()
    if name in all_zones():
        return name
    folded = _by_folded().get(name.casefold().replace(" ", "_"))
    if folded:
        return folded
    close = suggestions(name)
    hint = did_you_mean(name, close, n=len(close), cutoff=0.0) if close else \
        "use an IANA name such as UTC, Europe/London or America/New_York"
    raise ConfigError(f"unknown time zone {name!r}", hint=hint, where="timezone")


def get_zone(name: str) -> ZoneInfo:
    """The ZoneInfo for a (validated) name."""
    return ZoneInfo(validate_timezone(name))


def offset_text(zone: ZoneInfo, at: datetime | None = None) -> str:
    """`GMT-05:00` style offset of the zone at a moment (now by default)."""
    moment = (at or datetime.now(UTC)).astimezone(zone)
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours:02d}:{mins:02d}"


def label(name: str, at: datetime | None = None) -> str:
    """Google-Calendar-style label: "(GMT-05:00) America/New_York" (offset at `at`, default now)."""
    canonical = validate_timezone(name)
    return f"({offset_text(ZoneInfo(canonical), at)}) {canonical}"


def search(text: str, limit: int | None = 50) -> list[str]:
    """Zone names for the picker: exact, then prefix of a name part, then substring, then fuzzy.

    Spaces match underscores ("new york" finds America/New_York); case is ignored.
    """
    query = text.strip().casefold().replace(" ", "_")
    zones = all_zones()
    if not query:
        return list(zones[:limit] if limit else zones)
    exact: list[str] = []
    prefix: list[str] = []
    inside: list[str] = []
    for name in zones:
        folded = name.casefold()
        if folded == query:
            exact.append(name)
        elif folded.startswith(query) or any(part.startswith(query) for part in folded.split("/")):
            prefix.append(name)
        elif query in folded:
            inside.append(name)
    found = exact + prefix + inside
    if not found:
        found = suggestions(text, limit=limit or 10)
    return found[:limit] if limit else found
