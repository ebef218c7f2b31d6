"""`courier credentials` (placeholder: filled in by its issue)."""

from __future__ import annotations

import click


@click.group(name="credentials")
def group() -> None:
    """Manage credentials."""
