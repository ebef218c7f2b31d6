"""`courier run` and `courier runs` (placeholder)."""

from __future__ import annotations

import click


@click.command(name="run")
def run_command() -> None:
    """Run a courier."""
    raise click.UsageError("not yet available")


@click.group(name="runs")
def runs_group() -> None:
    """Run history."""
