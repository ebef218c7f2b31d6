"""The list of top-level CLI commands; each lives in its own module."""

from __future__ import annotations

import click
from courier.tui.cli import (
    couriers,
    credentials,
    cron,
    demo,
    feeds,
    files,
    groups,
    query,
    runs,
    scheduler,
)

ALL: list[click.Command] = [
    credentials.group,
    couriers.group,
    files.command,
    feeds.group,
    runs.run_command,
    runs.runs_group,
    query.command,
    cron.command,
    groups.group,
    scheduler.command,
    demo.command,
]
