"""The top-level CLI commands, imported only when one is used.

Each command lives in its own module, and those modules import the engine parts they need (boto3,
DuckDB, pyarrow...). `LazyGroup` (click's documented pattern) lists the commands from `COMMANDS`,
with their one-line help, and imports a command's module only when it is run or asked for its
help, so `courier --help` and `courier run` import only what they use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives (`module:attribute`) and the one-line help `courier --help` shows."""

    target: str
    short_help: str

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


# The short help is each command's docstring's first sentence; tests/cli/test_start_up.py checks the two agree.
COMMANDS: dict[str, LazyCommand] = {
    "credentials": LazyCommand(
        "courier.tui.cli.credentials:group",
        "Manage credentials (secrets are stored encrypted, never taken from the command line)."),
    "couriers": LazyCommand(
        "courier.tui.cli.couriers:group",
        "Manage couriers: S3 settings, entities list and load operations."),
    "files": LazyCommand(
        "courier.tui.cli.files:command",
        "Files for COURIER, newest first: landed ones by default, S3's with --remote."),
    "feeds": LazyCommand(
        "courier.tui.cli.feeds:group",
        "Manage feeds: a sample's schema, primary key, semantic tags, last-updated rule."),
    "run": LazyCommand(
        "courier.tui.cli.runs:run_command",
        "Run COURIER: land its files for the chosen dates and apply its load operations."),
    "runs": LazyCommand(
        "courier.tui.cli.runs:runs_group",
        "Run history, newest first (`runs show ID`, `runs watch ID` for details)."),
    "query": LazyCommand(
        "courier.tui.cli.query:command",
        'Run read-only SQL over the domain tables (quote names: "Optimizely:Decisions").'),
    "cron": LazyCommand(
        "courier.tui.cli.cron:command",
        "Validate a cron EXPRESSION and show what it means."),
    "groups": LazyCommand(
        "courier.tui.cli.groups:group",
        "Courier groups: couriers that run as a unit, on a cron schedule or by hand (lists them)."),
    "scheduler": LazyCommand(
        "courier.tui.cli.scheduler:command",
        "Run courier groups when their cron schedules fire."),
    "demo": LazyCommand(
        "courier.tui.cli.demo:command",
        "Start an embedded S3 with demo data and open the TUI on a demo workspace."),
}


class LazyGroup(click.Group):
    """A group whose subcommands (in `COMMANDS`) are imported on first use, never for listing."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(COMMANDS[cmd_name].load(), cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        """As click's, with "Did you mean" drawn from every command, loaded or not."""
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            raise click.exceptions.NoSuchCommand(exc.command_name, possibilities=self.list_commands(ctx),
                                                 ctx=ctx) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their one-line help from `COMMANDS`, laid out as click does, none imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands:  # added directly (or already loaded): its own text
                if self.commands[name].hidden:
                    continue
                text = self.commands[name].get_short_help_str(limit)
            else:  # shortened by click's own rule, on a stand-in that holds only the text
                text = click.Command(name, help=COMMANDS[name].short_help).get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
