"""One exception family for everything a user can get wrong or a run can hit.

Each error carries a one-line message (what is wrong, where), a hint (what to do, in words every
face can show) and, when a setting would fix it, a structured `Fix` (which setting, turned on or
given a value). Each face phrases the fix its own way: the CLI names the flag (`pass
--skip-missing`), the TUI names the control (the "Skip missing" checkbox). The CLI prints
`error: <message>` and `hint: <hint>; <fix>` to stderr and exits with `exit_code`. Nothing here may hold
a secret value.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class FixKind(StrEnum):
    """How a setting fixes an error: switched on, or given a value."""

    TURN_ON = "turn-on"  # a yes/no setting: CLI `pass --skip-missing`, TUI `tick "Skip missing"`
    GIVE = "give"  # a value: CLI `pass --day YYYY-MM-DD`, TUI `fill in Day`


@dataclass(frozen=True)
class Fix:
    """The setting that fixes an error, in the engine's words (`skip_missing`, `day`, `bucket`).

    `value` is the value to give or its shape (`YYYY-MM-DD`, `us-east-1`); `why` finishes the
    sentence ("to continue past them with a warning"). The faces map `setting` to a flag or a control.
    """

    kind: FixKind
    setting: str
    value: str | None = None
    why: str = ""

    def words(self) -> str:
        """The fix in no face's words, for logs, events and stored run errors."""
        name = self.setting.replace("_", " ")
        text = f"turn on {name!r}" if self.kind is FixKind.TURN_ON else \
            f"give {name}" + (f" {self.value}" if self.value else "")
        return f"{text} {self.why}".rstrip()


class CourierError(Exception):
    """Base class: a user-facing problem. Never shown as a traceback."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, where: str | None = None, *,
                 fix: Fix | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def one_line(self) -> str:
        """The message, hint and fix on one line, for logs, events and table cells (no face's words)."""
        text = str(self)
        advice = join_advice(self.hint, self.fix.words() if self.fix else None)
        return f"{text} ({advice})" if advice else text


def join_advice(hint: str | None, fix: str | None) -> str | None:
    """A hint and a phrased fix as one piece of advice: "wait for the export; pass --skip-missing ..."."""
    if hint and fix:
        return f"{hint}; {fix}"
    return hint or fix or None


class ConfigError(CourierError):
    """Bad input or configuration: a usage problem (exit code 2)."""


class NotFound(ConfigError):
    """A named courier, feed, credential, group or run does not exist."""


class AccessError(CourierError):
    """Credentials or permissions failed against S3/STS/KMS (exit code 1 in a run, 2 in a test)."""

    exit_code = 1


class RunFailed(CourierError):
    """A run ended in failure (exit code 1); its record says which tables, if any, it committed."""

    exit_code = 1


class Busy(CourierError):
    """Another process holds what we need (a run of the same courier, the warehouse writer)."""

    exit_code = 1


class Cancelled(CourierError):
    """A run stopped because the operator asked (the cancel key, Ctrl-C): exit code 130, as shells use."""

    exit_code = 130

    def __init__(self, message: str = "cancelled by the operator", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)


def first_line(value: BaseException | str) -> str:
    """The first line of an exception's text (library errors run to many lines), or its type's name.

    A string gives its first line ("" for an empty one): stored run errors run to several lines too.
    """
    text = str(value).strip()
    if text:
        return text.splitlines()[0]
    return "" if isinstance(value, str) else type(value).__name__


def closest(word: str, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6,
            fold_case: bool = False) -> list[str]:
    """The nearest choices to a near miss, best first (`fold_case`: 'Optimizly' finds 'optimizely')."""
    known = list(dict.fromkeys(choices))
    if not fold_case:
        return difflib.get_close_matches(word, known, n=n, cutoff=cutoff)
    folded: dict[str, str] = {}
    for choice in known:
        folded.setdefault(choice.casefold(), choice)
    return [folded[m] for m in difflib.get_close_matches(word.casefold(), list(folded), n=n, cutoff=cutoff)]


def did_you_mean(word: str, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6,
                 fold_case: bool = False) -> str | None:
    """The one "did you mean 'x'?" hint (several: "did you mean 'x', 'y'?"), or None when nothing is near."""
    near = closest(word, choices, n=n, cutoff=cutoff, fold_case=fold_case)
    return f"did you mean {', '.join(repr(str(c)) for c in near)}?" if near else None


def not_found(message: str, name: str, known: Iterable[str], *, otherwise: str | None = None,
              then: str | None = None, cutoff: float = 0.6, fold_case: bool = False) -> NotFound:
    """The one not-found error: `message` with "did you mean" the closest known name, else `otherwise`.

    `then` follows either hint (e.g. "`courier groups list` lists them").
    """
    hint = did_you_mean(name, known, cutoff=cutoff, fold_case=fold_case) or otherwise
    if then:
        hint = f"{hint} {then}" if hint else then
    return NotFound(message, hint=hint)


class QueryTimeout(CourierError):
    """An ad-hoc query ran past the query timeout and was stopped (exit code 1)."""

    exit_code = 1


class DiskFull(CourierError):
    """The disk a workspace file lives on has no space left: the operator frees space (exit code 1).

    Never reported as corruption: the write that found no space failed, and courier's loads and
    catalog writes are transactions.
    """

    exit_code = 1

    def __init__(self, path: object, hint: str | None = None) -> None:
        super().__init__(f"no space left on the workspace's disk: {path}",
                         hint=hint or "free space on that disk and run again")
        self.path = str(path)


_NO_SPACE = ("no space left on device", "database or disk is full", "disk quota exceeded")
_IO_ERROR = ("disk i/o error", "could not write", "input/output error")  # failed writes, not missing files
_QUOTED_PATH = re.compile(r"""["'](/[^"']+)["']""")
_SQLITE_FULL, _SQLITE_IOERR = 13, 10
LOW_SPACE_BYTES = 1 << 20


def disk_full(exc: BaseException, path: object, hint: str | None = None) -> DiskFull | None:
    """DiskFull when `exc` says the disk is full, else None.

    Full means ENOSPC/EDQUOT, SQLite's SQLITE_FULL, DuckDB's "No space left on device", or an I/O
    error (SQLite says "disk I/O error" when it cannot create its WAL index) while the disk of
    `path` has less than LOW_SPACE_BYTES free. The path named is the one the error names, else `path`.
    """
    if isinstance(exc, DiskFull):
        return exc
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorcode", None)
    full = (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) \
        or any(s in text for s in _NO_SPACE) or (isinstance(code, int) and code & 0xFF == _SQLITE_FULL)
    if not full and ((isinstance(exc, OSError) and exc.errno == errno.EIO) or any(s in text for s in _IO_ERROR)
                     or (isinstance(code, int) and code & 0xFF == _SQLITE_IOERR)):
        full = free_bytes(path) < LOW_SPACE_BYTES
    if not full:
        return None
    named = exc.filename if isinstance(exc, OSError) and exc.filename else None
    quoted = _QUOTED_PATH.search(str(exc))
    return DiskFull(named or (quoted.group(1) if quoted else path), hint)


def free_bytes(path: object) -> int:
    """Free bytes (for this user) on the disk holding `path` or its nearest existing parent."""
    current = Path(str(path))
    if not current.is_absolute():
        return LOW_SPACE_BYTES  # not a place on a disk: never claim the disk is full
    for candidate in (current, *current.parents):
        try:
            st = os.statvfs(candidate)
        except OSError:
            continue
        return st.f_bavail * st.f_frsize
    return LOW_SPACE_BYTES  # unknown: never claim the disk is full
