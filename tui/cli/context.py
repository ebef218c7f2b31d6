"""What every CLI command shares: the workspace, the catalog and the error printer."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import click
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace, open_workspace
from courier.core.errors import CourierError, Fix, FixKind, join_advice
from courier.core.runs.request import SelectionError, one_of
from courier.core.text import printable
from courier.core.types import RunMode


@dataclass
class CliContext:
    """Opened lazily so `courier --help` and `courier cron` never touch a workspace."""

    workspace_arg: str | None = None
    _workspace: Workspace | None = field(default=None, repr=False)
    _catalog: Catalog | None = field(default=None, repr=False)

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = open_workspace(self.workspace_arg)
        return self._workspace

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(self.workspace)
        return self._catalog


pass_ctx = click.make_pass_decorator(CliContext, ensure=True)


# A Fix names a setting in the engine's words; the CLI names its flag. Most are the setting with dashes.
FLAGS = {"secret_access_key": "--secret-access-key-stdin", "token": "--token-stdin", "entities": "--entities FILE",
         "load_operations": "--load-operations FILE", "from_day": "--from", "to_day": "--to"}


def flag_of(setting: str) -> str:
    return FLAGS.get(setting, "--" + setting.replace("_", "-"))


def cli_fix(fix: Fix | None) -> str | None:
    """A structured fix in the CLI's words: `pass --skip-missing to continue without them`."""
    if fix is None:
        return None
    text = f"pass {flag_of(fix.setting)}"
    if fix.kind is FixKind.GIVE and fix.value:
        text += f" {fix.value}"
    return f"{text} {fix.why}".rstrip()


# A date selection the engine names in words ("a day"), as the CLI's flags.
MODE_FLAGS = {RunMode.DAY: "--day D", RunMode.PERIOD: "--from D --to D", RunMode.ALL: "--all"}
MODE_FLAG_HINTS = {RunMode.DAY: "--day for one day", RunMode.PERIOD: "--from (inclusive) with --to (exclusive) "
                   "for a period", RunMode.ALL: "--all for all available data"}


def cli_message(exc: CourierError) -> str:
    """The `error:` line's text, phrased for a command line where the engine names no flag."""
    if isinstance(exc, SelectionError):
        return f"choose exactly one of {one_of([MODE_FLAGS[m] for m in exc.modes])}"
    return str(exc)


def cli_advice(exc: CourierError) -> str | None:
    """The `hint:` line: the error's hint and its fix, phrased for a command line."""
    if isinstance(exc, SelectionError):
        return ", ".join(MODE_FLAG_HINTS[m] for m in exc.modes)
    return join_advice(exc.hint, cli_fix(exc.fix))


def error_lines(exc: CourierError) -> list[str]:
    """How the CLI says `exc`: `error: …` and, when there is advice, `hint: …` (control characters
    escaped: messages quote keys, names and S3's texts)."""
    advice = cli_advice(exc)
    return [f"error: {printable(cli_message(exc))}", *([f"hint: {printable(advice)}"] if advice else [])]


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def warn(message: str) -> None:
    """One `warning:` line; the message may quote keys or file text, so controls are escaped."""
    click.echo(f"warning: {printable(message)}", err=True)


def read_secret_stdin(what: str) -> str:
    """Secrets come from stdin (piped or typed without echo), never from argv."""
    if sys.stdin.isatty():
        value = click.prompt(what, hide_input=True, err=True)
    else:
        value = sys.stdin.readline()
    value = value.strip()
    if not value:
        from courier.core.errors import ConfigError

        raise ConfigError(f"no {what} on standard input", hint=f"pipe the {what} in, e.g. `... < secret.txt`")
    return value
