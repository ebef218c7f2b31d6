"""`courier feeds` (placeholder: filled in by its issue)."""

from __future__ import annotations

import click


@click.group(name="feeds")
def group() -> None:
    """Manage feeds."""
