"""Diagnostics for file patterns: warnings (parses, surely means something else) and letter hints.

The mistakes come from Amperity's own docs: `YYYY-MM-DD` (D is day-of-YEAR), a pattern quoted end
to end so its date is matched literally (`'/path/to/decisions_YYYY-MM-DD.parquet'`), `mm` (minute)
written for the month, unpadded fields that touch, dates missing a year, and no date at all.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TypeGuard

from courier.core.patterns.grammar import (
    Field,
    FilePattern,
    Lit,
    PatternWarning,
    Star,
    Unit,
    render_field,
)

SAMPLE = datetime(2020, 4, 10, 13)
_WORD = r"(?:yyyy|YYYY|yy|YY|MM|DD|dd|HH)+"
_QUOTED_DATE = re.compile(rf"(?<![A-Za-z]){_WORD}(?:[-_./ ]?{_WORD})*(?![A-Za-z])")
_PADDED = {"M": "MM", "d": "dd", "H": "HH", "D": "DDD", "m": "mm", "s": "ss"}
def _is_sep(u: Unit) -> bool:
    return isinstance(u, Lit) and u.char != "'" and not u.char.isalpha()


def _span(units: list[Unit], k: int) -> list[Unit]:
    """The date-looking stretch around field k: fields and the separators between them."""
    a, b = k, k
    while a > 0 and (isinstance(units[a - 1], Field) or _is_sep(units[a - 1])):
        a -= 1
    while b + 1 < len(units) and (isinstance(units[b + 1], Field) or _is_sep(units[b + 1])):
        b += 1
    while not isinstance(units[a], Field):
        a += 1
    while not isinstance(units[b], Field):
        b -= 1
    return units[a:b + 1]


def _source(text: str, span: list[Unit], fix: dict[int, str] | None = None) -> str:
    """The pattern text of a span, with fields at the given starts rewritten."""
    last = span[-1]
    assert isinstance(last, Field)
    chars = list(text[span[0].start:last.start + last.count])
    for u in reversed(span):  # right to left: a rewrite may change the length
        if isinstance(u, Field) and fix and u.start in fix:
            at = u.start - span[0].start
            chars[at:at + u.count] = fix[u.start]
    return "".join(chars)


def _sample(span: list[Unit]) -> str:
    return "".join(render_field(u, SAMPLE) if isinstance(u, Field) else u.char for u in span
                   if not isinstance(u, Star))


def _day_of_year(p: FilePattern, units: list[Unit]) -> list[PatternWarning]:
    has_month = any(isinstance(u, Field) and u.letter == "M" for u in units)
    out: dict[str, PatternWarning] = {}
    for k, u in enumerate(units):
        if isinstance(u, Field) and u.letter == "D" and (has_month or u.count == 2):
            span = _span(units, k)
            fix = {f.start: f.letter.lower() * (min(f.count, 2) if f.letter == "D" else f.count)
                   for f in span if isinstance(f, Field) and f.letter in "DY"}
            snippet = _source(p.text, span)
            out[snippet] = PatternWarning(
                f"{snippet}: D is day-of-year, so {SAMPLE:%Y-%m-%d} renders as {_sample(span)}",
                f"use '{_source(p.text, span, fix)}'",
            )
    return list(out.values())


def _minute_for_month(p: FilePattern, units: list[Unit]) -> list[PatternWarning]:
    if any(isinstance(u, Field) and u.letter == "M" for u in units):
        return []
    for k, u in enumerate(units):
        if not (isinstance(u, Field) and u.letter == "m"):
            continue
        span = _span(units, k)
        fields = [f for f in span if isinstance(f, Field)]
        at = fields.index(u)
        near = {f.letter for f in fields[max(at - 1, 0):at + 2] if f is not u}
        if "H" not in near and near & set("yYdD"):
            snippet = _source(p.text, span)
            return [PatternWarning(
                f"{snippet}: mm is the minute, not the month, so no month is in the key",
                f"use '{_source(p.text, span, {u.start: 'M' * u.count})}'",
            )]
    return []


def _loose(u: Unit) -> TypeGuard[Field]:
    """A number without a fixed width: M, d, H, D, m, s and DD (D is up to three digits)."""
    return isinstance(u, Field) and u.letter in _PADDED and (u.count == 1 or (u.letter == "D" and u.count == 2))


def _ambiguous(p: FilePattern, units: list[Unit]) -> list[PatternWarning]:
    """A variable-width number touching another one, or a `*`, can be split more than one way."""
    run: list[Unit] = []
    for u in [*units, None]:
        if isinstance(u, Field | Star):
            run.append(u)
            continue
        loose = [f for f in run if _loose(f)]
        near_star = any(_loose(a) != _loose(b) and Star in (type(a), type(b)) for a, b in zip(run, run[1:], strict=False))
        if len(loose) >= 2 or (loose and near_star):
            fixed = [Field(f.letter, len(_PADDED[f.letter])) if _loose(f) else f for f in run]
            other = "*" if len(loose) == 1 else loose[1].letter * loose[1].count
            return [PatternWarning(
                f"{serialize(run)}: {loose[0].letter * loose[0].count} has no fixed width and touches "
                f"{other}, so a key can be read more than one way",
                f"use '{serialize(fixed)}'",
            )]
        run = []
    return []


def _incomplete(p: FilePattern) -> list[PatternWarning]:
    letters = {f.letter for f in p.fields if not f.free}
    if not letters:
        return []
    example = "e.g. 'files/'yyyy/MM/dd'/*.csv'"
    if not letters & set("yY"):
        return [PatternWarning("the pattern has no year, so the same files match every year",
                               f"add yyyy, {example}")]
    if "d" in letters and "M" not in letters:
        return [PatternWarning("the pattern has a day but no month, so the same files match every month",
                               f"add MM, {example}")]
    if "H" in letters and not letters & set("dD"):
        return [PatternWarning("the pattern has an hour but no day, so the same files match every day",
                               f"add dd, {example}")]
    return []


def serialize(units: list[Unit]) -> str:
    """Pattern text for units: fields as letters, literal runs quoted when they hold letters or quotes."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        text = "".join(run)
        if text and set(text) == {"'"}:
            text = text.replace("'", "''")  # a quoted run of only quotes would read as pairs
        elif any(c.isalpha() or c == "'" for c in text):
            text = "'" + text.replace("'", "''") + "'"
        out.append(text)
        run.clear()

    for u in units:
        if isinstance(u, Field):
            flush()
            out.append(u.letter * u.count)
        else:
            run.append("*" if isinstance(u, Star) else u.char)
    flush()
    return "".join(out)


def _quoted_date(p: FilePattern, units: list[Unit]) -> list[PatternWarning]:
    if any(isinstance(u, Field) for u in units):
        return []
    literal = "".join(u.char if isinstance(u, Lit) else "*" for u in units)
    m = _QUOTED_DATE.search(literal)
    if m is None:
        return []
    fixed: list[Unit] = []
    for word in re.finditer(r"([A-Za-z])\1*|.", m[0]):
        token = word[0]
        if token[0].isalpha():
            fixed.append(Field(token[0].replace("Y", "y").replace("D", "d"), len(token)))
        else:
            fixed.append(Lit(token))
    suggestion = serialize([*units[:m.start()], *fixed, *units[m.end():]])
    return [PatternWarning(f"the whole pattern is quoted, so {m[0]} is matched literally",
                           f"put the date outside the quotes: {suggestion}")]


def check(p: FilePattern) -> list[PatternWarning]:
    """Every warning for a parsed pattern, most specific first."""
    units = list(p.own_units)
    minute = _minute_for_month(p, units)
    out = _day_of_year(p, units) + minute + _ambiguous(p, units)
    out += [] if minute else _incomplete(p)
    quoted = _quoted_date(p, units)
    out += quoted
    if not quoted and not p.has_date:
        out.append(PatternWarning(
            "no date in the pattern, so every run picks the same files",
            "fine for a file replaced in place; to load one day at a time add the date, "
            "e.g. 'files/'yyyy/MM/dd'/*.csv'",
            level="info",
        ))
    return out
