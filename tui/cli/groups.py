"""`courier groups` (placeholder: filled in by its issue)."""

from __future__ import annotations

import click


@click.group(name="groups")
def group() -> None:
    """Manage groups."""
