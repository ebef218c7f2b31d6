"""`courier couriers` (placeholder: filled in by its issue)."""

from __future__ import annotations

import click


@click.group(name="couriers")
def group() -> None:
    """Manage couriers."""
