"""`courier demo` (placeholder: filled in by its issue)."""

from __future__ import annotations

import click


@click.command(name="demo")
def command() -> None:
    """demo (not yet available)."""
    raise click.UsageError("not yet available")
