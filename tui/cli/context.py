"""What every CLI command shares: the workspace, the catalog and the error printer."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import click
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace, open_workspace
from courier.core.text import printable


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
