"""`courier query` (placeholder: filled in by its issue)."""

from __future__ import annotations

import click


@click.command(name="query")
def command() -> None:
    """query (not yet available)."""
    raise click.UsageError("not yet available")
