"""One exception family for everything a user can get wrong or a run can hit.

Each error carries a one-line message (what is wrong, where) and a hint (what to do). The CLI
prints `error: <message>` and `hint: <hint>` to stderr and exits with `exit_code`; the TUI shows
the same text next to the field. Nothing here may hold a secret value.
"""

from __future__ import annotations


class CourierError(Exception):
    """Base class: a user-facing problem. Never shown as a traceback."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def one_line(self) -> str:
        """The message and hint on one line, for logs, events and table cells."""
        text = str(self)
        return f"{text} ({self.hint})" if self.hint else text


class ConfigError(CourierError):
    """Bad input or configuration: a usage problem (exit code 2)."""


class NotFound(ConfigError):
    """A named courier, feed, credential, group or run does not exist."""


class AccessError(CourierError):
    """Credentials or permissions failed against S3/STS/KMS (exit code 1 in a run, 2 in a test)."""

    exit_code = 1


class RunFailed(CourierError):
    """A run ended in failure; tables are left as they were (exit code 1)."""

    exit_code = 1


class Busy(CourierError):
    """Another process holds what we need (a run of the same courier, the warehouse writer)."""

    exit_code = 1


class Cancelled(CourierError):
    """A run stopped because the operator asked (the cancel key, Ctrl-C): exit code 130, as shells use."""

    exit_code = 130

    def __init__(self, message: str = "cancelled by the operator", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (library errors run to many lines), or its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class QueryTimeout(CourierError):
    """An ad-hoc query ran past the query timeout and was stopped (exit code 1)."""

    exit_code = 1
