"""Amperity's file-pattern language: a Joda-Time date pattern plus `*`, anchored on the whole key.

Grammar (amperity-couriers.md §2.1): unquoted ASCII letters are date letters (`yyyy yy MM M dd d
HH H`, `Y` = year-of-era with the same digits as `y`, `D` = day-of-YEAR, `mm`/`ss` minute and
second); quoted text is literal; `''` is a literal quote inside or outside quotes; unquoted
non-letters are literal; `*`, quoted or not, matches zero or more characters inside ONE path
segment (never `/`). Unknown letters and unterminated quotes are a `PatternError` (a ConfigError)
that names the 1-based position.

Decisions the Amperity docs leave open (§9), made here:
- The courier prefix is a plain S3 key prefix (not a pattern). It is joined to the pattern with
  exactly one `/`: `v1/` + `'a/'` renders `v1/a/`; an empty prefix leaves the pattern as is.
- A leading `/` on the pattern is dropped (`'/path/to/x.csv'` == `'path/to/x.csv'`): S3 keys never
  start with `/`, and Amperity's own examples use both forms for the same thing.
- `mm` and `ss` are accepted but never pinned by a run (runs are per day or per hour): they match
  any valid minute/second, `render` shows them as `*`, and `literal_prefix` stops before them.
- `yy` reads 69-99 as 19xx and 00-68 as 20xx (Python's `%y` rule, fixed instead of Joda's
  "now - 30" pivot so results do not drift with the clock). `MMM`/`MMMM` are English month names.
- `date_of` needs a year, and a month or day-of-year for day precision; otherwise it returns None.
  Years are 1000-9999.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from courier.core.errors import ConfigError

SUPPORTED = "yYMdDHms"
FREE = "ms"  # minute and second: never pinned by a run
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_GRAIN = {"H": "hour", "d": "day", "D": "day", "M": "month", "y": "year", "Y": "year"}
_GRAIN_ORDER = ("hour", "day", "month", "year")
# Unpadded numbers, longest alternative first so `re` prefers the full value.
_UNPADDED = {
    "M": r"1[0-2]|[1-9]",
    "d": r"3[01]|[12]\d|[1-9]",
    "D": r"36[0-6]|3[0-5]\d|[12]\d\d|[1-9]\d|[1-9]",
    "H": r"2[0-3]|1\d|\d",
    "m": r"[1-5]\d|\d",
    "s": r"[1-5]\d|\d",
}
_MAX_DIGITS = {"M": 2, "d": 2, "D": 3, "H": 2, "m": 2, "s": 2}


class PatternError(ConfigError):
    """A file pattern that cannot be parsed; `position` is the 1-based character position."""

    def __init__(self, message: str, hint: str, position: int) -> None:
        super().__init__(message, hint=hint)
        self.position = position


@dataclass(frozen=True)
class PatternWarning:
    """A pattern that parses but surely does not do what was meant; shown next to the field."""

    message: str
    suggestion: str
    level: str = "warning"  # "warning" or "info"


@dataclass(frozen=True)
class Lit:
    """One literal character. `start` is its index in the pattern text (-1: from the prefix)."""

    char: str
    start: int = -1
    quoted: bool = False


@dataclass(frozen=True)
class Star:
    """`*`: zero or more characters inside one path segment."""

    start: int = -1
    quoted: bool = False


@dataclass(frozen=True)
class Field:
    """A run of one date letter, e.g. `yyyy` is Field('y', 4)."""

    letter: str
    count: int
    start: int = -1

    @property
    def free(self) -> bool:
        return self.letter in FREE


Unit = Lit | Star | Field


def is_letter(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def lex(text: str) -> list[Unit]:
    """Split pattern text into literal characters, stars and date fields (Joda quoting rules)."""
    units: list[Unit] = []
    quoted, opened, i = False, -1, 0
    while i < len(text):
        c = text[i]
        if c == "'":
            if text.startswith("''", i):
                units.append(Lit("'", i, quoted))
                i += 2
            else:
                quoted, opened = not quoted, i
                i += 1
        elif c == "*":
            units.append(Star(i, quoted))
            i += 1
        elif quoted or not is_letter(c):
            units.append(Lit(c, i, quoted))
            i += 1
        elif c not in SUPPORTED:
            raise unknown_letter(text, i)
        else:
            j = i
            while j < len(text) and text[j] == c:
                j += 1
            units.append(Field(c, j - i, i))
            i = j
    if quoted:
        raise PatternError(
            f"file pattern {text!r}: the quote at position {opened + 1} is never closed",
            hint="close quoted text with ' (write '' for a literal quote)",
            position=opened + 1,
        )
    return units


def _strip_leading_slashes(units: list[Unit]) -> list[Unit]:
    i = 0
    while i < len(units) and isinstance(unit := units[i], Lit) and unit.char == "/":
        i += 1
    return units[i:]


def _clean_prefix(prefix: str) -> str:
    clean = prefix.strip("/")
    if "*" in clean:
        raise ConfigError(
            f"courier prefix {prefix!r} contains '*'",
            hint="the prefix is a plain S3 key prefix; put wildcards in the file pattern",
        )
    return clean


def join_prefix(prefix: str, pattern_text: str) -> str:
    """The pattern text with the courier prefix in front, joined by exactly one `/`.

    The user's own quoting is kept: `v1/` + `'a/'` gives `'v1/a/'`, `v1` + `yyyy` gives `'v1/'yyyy`.
    """
    clean = _clean_prefix(prefix)
    if not clean:
        return pattern_text
    rest = _strip_leading_slashes(lex(pattern_text))
    out = "'" + clean.replace("'", "''") + "/"  # an open quoted run
    for unit in rest:
        inside = not isinstance(unit, Field) and unit.quoted
        if inside:
            return out + pattern_text[unit.start:]
        if isinstance(unit, Lit) and unit.char == "'":
            out += "''"  # an escaped quote reads the same inside our open run
            continue
        return out + "'" + pattern_text[unit.start:]
    return out + "'"


def _year_value(f: Field, when: date) -> str:
    if f.count == 2:
        return f"{when.year % 100:02d}"
    return f"{when.year:0{f.count}d}"


def render_field(f: Field, when: date) -> str:
    """The text a date field prints for `when` (a date counts as midnight)."""
    if f.letter in "yY":
        return _year_value(f, when)
    if f.letter == "M" and f.count >= 3:
        name = _MONTHS[when.month - 1]
        return name if f.count >= 4 else name[:3]
    if f.letter == "M":
        value = when.month
    elif f.letter == "d":
        value = when.day
    elif f.letter == "D":
        value = when.timetuple().tm_yday
    else:
        value = getattr(when, {"H": "hour", "m": "minute", "s": "second"}[f.letter], 0)
    return f"{value:0{f.count}d}"


def _free_regex(f: Field) -> str:
    return _UNPADDED[f.letter] if f.count == 1 else "0" * (f.count - 2) + r"[0-5]\d"


def _field_regex(f: Field) -> str:
    """A regex for any value of the field (used by `date_of`; values are checked afterwards)."""
    if f.free:
        return _free_regex(f)
    if f.letter in "yY":
        return r"\d{2}" if f.count == 2 else rf"\d{{{max(f.count, 4)}}}"
    if f.letter == "M" and f.count >= 3:
        names = _MONTHS if f.count >= 4 else tuple(m[:3] for m in _MONTHS)
        return "|".join(names)
    if f.count == 1:
        return _UNPADDED[f.letter]
    top = max(f.count, _MAX_DIGITS[f.letter])
    return rf"\d{{{f.count},{top}}}" if top > f.count else rf"\d{{{f.count}}}"


def _as_datetime(when: date | datetime) -> datetime:
    if isinstance(when, datetime):
        return when
    return datetime(when.year, when.month, when.day)


def _two_digit_year(yy: int) -> int:
    return 1900 + yy if yy >= 69 else 2000 + yy


@dataclass(frozen=True)
class FilePattern:
    """A parsed file pattern (with its courier prefix) that renders, matches and reverse-matches keys."""

    text: str
    prefix: str = ""
    units: tuple[Unit, ...] = field(default=(), repr=False)
    own_units: tuple[Unit, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def parse(cls, text: str, prefix: str = "") -> FilePattern:
        """Parse pattern text; raises PatternError (a ConfigError) with the position on bad input."""
        if not text.strip():
            raise PatternError("the file pattern is empty", hint="e.g. 'files/'yyyy/MM/dd'/*.csv'", position=1)
        own = lex(text)
        clean = _clean_prefix(prefix)
        head = [Lit(c) for c in clean + "/"] if clean else []
        units = head + _strip_leading_slashes(own)
        if not units:
            raise PatternError(
                f"file pattern {text!r} matches no key: it is only '/'",
                hint="name the files, e.g. 'files/'yyyy/MM/dd'/*.csv'",
                position=1,
            )
        return cls(text=text, prefix=prefix, units=tuple(units), own_units=tuple(own))

    @property
    def full_text(self) -> str:
        """The pattern text with the prefix joined in (what the courier effectively uses)."""
        return join_prefix(self.prefix, self.text)

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        return tuple(u for u in self.units if isinstance(u, Field))

    @property
    def has_date(self) -> bool:
        """True when a run date pins part of the key (minute/second alone do not)."""
        return self.granularity is not None

    @cached_property
    def granularity(self) -> str | None:
        grains = {_GRAIN[f.letter] for f in self.fields if not f.free}
        return next((g for g in _GRAIN_ORDER if g in grains), None)

    @property
    def is_folder(self) -> bool:
        """The pattern names a folder (ends with `/`), e.g. a partitioned Parquet directory."""
        last = self.units[-1]
        return isinstance(last, Lit) and last.char == "/"

    def _pieces(self, when: date | datetime) -> list[tuple[str, str]]:
        """(kind, text) per unit: kind is 'lit' (fixed text), 'star' or 'free' (regex)."""
        moment = _as_datetime(when)
        pieces: list[tuple[str, str]] = []
        for u in self.units:
            if isinstance(u, Lit):
                pieces.append(("lit", u.char))
            elif isinstance(u, Star):
                pieces.append(("star", r"[^/]*"))
            elif u.free:
                pieces.append(("free", _free_regex(u)))
            else:
                pieces.append(("lit", render_field(u, moment)))
        return pieces

    def render(self, when: date | datetime) -> str:
        """The glob-like key for `when`: date fields filled in, `*` kept (minute/second show as `*`)."""
        return "".join(text if kind == "lit" else "*" for kind, text in self._pieces(when))

    def regex(self, when: date | datetime) -> re.Pattern[str]:
        """An anchored regex that matches exactly the keys of `when` (use `fullmatch`)."""
        body = "".join(re.escape(t) if k == "lit" else f"(?:{t})" for k, t in self._pieces(when))
        return re.compile(rf"\A{body}\Z", re.DOTALL)

    def matches(self, key: str, when: date | datetime) -> bool:
        return self.regex(when).fullmatch(key) is not None

    def literal_prefix(self, when: date | datetime) -> str:
        """The fixed text before the first `*`: the S3 ListObjectsV2 Prefix for `when`."""
        out: list[str] = []
        for kind, text in self._pieces(when):
            if kind != "lit":
                break
            out.append(text)
        return "".join(out)

    def undated_prefix(self) -> str:
        """The fixed text before the first date field or `*`: the prefix for 'all available data'."""
        out: list[str] = []
        for u in self.units:
            if not isinstance(u, Lit):
                break
            out.append(u.char)
        return "".join(out)

    @cached_property
    def _any_date_regex(self) -> re.Pattern[str]:
        parts: list[str] = []
        for i, u in enumerate(self.units):
            if isinstance(u, Lit):
                parts.append(re.escape(u.char))
            elif isinstance(u, Star):
                parts.append(r"[^/]*")
            else:
                parts.append(f"(?P<f{i}>{_field_regex(u)})")
        return re.compile(rf"\A{''.join(parts)}\Z", re.DOTALL)

    def _resolvable(self) -> bool:
        letters = {f.letter for f in self.fields}
        has_year = bool(letters & set("yY"))
        has_day = bool(letters & set("dD"))
        if not has_year or ("d" in letters and "M" not in letters):
            return False
        return not ("H" in letters and not has_day)

    def date_of(self, key: str) -> date | datetime | None:
        """The run date a key belongs to (a datetime for hourly patterns), or None.

        None when the key does not match, when repeated fields disagree, or a value is invalid.
        Coarser patterns give the first day of the month/year.
        """
        if self.granularity is None or not self._resolvable():
            return None
        m = self._any_date_regex.fullmatch(key)
        if m is None:
            return None
        seen: list[tuple[Field, str]] = [(u, m[f"f{i}"]) for i, u in enumerate(self.units) if isinstance(u, Field)]
        values: dict[str, set[int]] = {}
        for f, text in seen:
            if f.free or (f.letter in "yY" and f.count == 2):
                continue
            name = "year" if f.letter in "yY" else f.letter
            value = _MONTHS.index(next(n for n in _MONTHS if n.startswith(text))) + 1 if (
                f.letter == "M" and f.count >= 3) else int(text)
            values.setdefault(name, set()).add(value)
        if any(len(v) > 1 for v in values.values()):
            return None
        one = {k: next(iter(v)) for k, v in values.items()}
        if "year" not in one:
            one["year"] = _two_digit_year(int(next(t for f, t in seen if f.letter in "yY")))
        try:
            if "D" in one and "d" not in one:
                moment = datetime(one["year"], 1, 1, one.get("H", 0)) + timedelta(days=one["D"] - 1)
            else:
                moment = datetime(one["year"], one.get("M", 1), one.get("d", 1), one.get("H", 0))
        except ValueError:
            return None
        for f, text in seen:  # every field must print exactly what the key holds
            if f.free:
                if int(text) > 59:
                    return None
            elif render_field(f, moment) != text:
                return None
        return moment if self.granularity == "hour" else moment.date()


_JODA_UNSUPPORTED = {
    "G": ("era", "drop it: years are AD"),
    "C": ("century-of-era", "use yyyy for the year"),
    "x": ("week-year", "use yyyy for the year"),
    "w": ("week-of-week-year", "use yyyy/MM/dd"),
    "e": ("day-of-week", "use dd for the day of the month"),
    "E": ("day-of-week name", "use dd for the day of the month"),
    "a": ("half-day (AM/PM)", "use HH for the hour (00-23)"),
    "K": ("hour-of-half-day (0-11)", "use HH for the hour (00-23)"),
    "h": ("clock-hour (1-12)", "use HH for the hour (00-23)"),
    "k": ("clock-hour (1-24)", "use HH for the hour (00-23)"),
    "S": ("fraction-of-second", "use * for the part below the hour"),
    "z": ("time-zone name", "drop it: dates render in the run's time zone"),
    "Z": ("time-zone offset", "drop it: dates render in the run's time zone"),
}


def _word_at(text: str, i: int) -> tuple[int, int]:
    """The [start, end) of the run of ASCII letters around index i."""
    start, end = i, i
    while start > 0 and is_letter(text[start - 1]):
        start -= 1
    while end < len(text) and is_letter(text[end]):
        end += 1
    return start, end


def _literal_run(text: str, i: int) -> str:
    """The unquoted literal text around index i, up to a quote or a word made of date letters."""
    start, j = _word_at(text, i)
    while j < len(text) and text[j] != "'":
        if is_letter(text[j]):
            end = _word_at(text, j)[1]
            if all(c in SUPPORTED for c in text[j:end]):
                break
            j = end
        else:
            j += 1
    return text[start:j]


def unknown_letter(text: str, i: int) -> PatternError:
    """The error for an unsupported letter, with the best hint we can give."""
    c = text[i]
    start, end = _word_at(text, i)
    if c in _JODA_UNSUPPORTED and set(text[start:end]) == {c}:
        name, hint = _JODA_UNSUPPORTED[c]
        return PatternError(
            f"file pattern {text!r}: '{c}' at position {i + 1} is Joda's {name}, which couriers do not support",
            hint=f"{hint}; quote literal text, e.g. '{text[start:end]}'",
            position=i + 1,
        )
    return PatternError(
        f"file pattern {text!r}: '{c}' at position {i + 1} is not a date letter",
        hint=f"quote literal text: '{_literal_run(text, i)}'",
        position=i + 1,
    )
