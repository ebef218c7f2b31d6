"""`courier scheduler` (placeholder: filled in by its issue)."""

from __future__ import annotations

import click


@click.command(name="scheduler")
def command() -> None:
    """scheduler (not yet available)."""
    raise click.UsageError("not yet available")
