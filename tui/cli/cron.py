"""`courier cron` (placeholder: filled in by its issue)."""

from __future__ import annotations

import click


@click.command(name="cron")
def command() -> None:
    """cron (not yet available)."""
    raise click.UsageError("not yet available")
