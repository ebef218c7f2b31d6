"""`courier files` (placeholder: filled in by its issue)."""

from __future__ import annotations

import click


@click.command(name="files")
def command() -> None:
    """files (not yet available)."""
    raise click.UsageError("not yet available")
