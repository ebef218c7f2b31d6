"""Invoke a click command in-process the way `courier` runs it: a CourierError is printed as
courier's main prints it (`error:` / `hint:`, tui/cli/context.py `error_lines`) with its exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click
from click.testing import CliRunner
from courier.core.errors import CourierError
from courier.tui.cli.context import error_lines


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def invoke(root: click.Command, args: Sequence[str], obj: Any = None) -> Outcome:
    result = CliRunner().invoke(root, list(args), obj=obj)
    if isinstance(result.exception, CourierError):
        exc = result.exception
        return Outcome(exc.exit_code, result.stdout, result.stderr + "".join(f"{line}\n" for line in error_lines(exc)))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return Outcome(result.exit_code, result.stdout, result.stderr)
