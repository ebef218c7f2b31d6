"""`courier run` (run a courier now) and `courier runs` (history, details, follow a live run)."""

from __future__ import annotations

import sys
import threading
from datetime import date, datetime

import click
from courier.core.runs.events import Event, RunFinished, read_events
from courier.core.runs.records import RunRecord, follow, get_run, list_runs, start_run
from courier.core.runs.request import RunRequest
from courier.core.text import printable
from courier.core.types import RunMode
from courier.tui.cli.context import CliContext, cli_fix, pass_ctx, print_json
from courier.tui.cli.dates import DAY
from courier.tui.cli.progress import RunPrinter


@click.command(name="run")
@click.argument("courier")
@click.option("--day", type=DAY, help="Load one day (YYYY-MM-DD, today, yesterday).")
@click.option("--from", "from_day", type=DAY, help="First day of a period (inclusive).")
@click.option("--to", "to_day", type=DAY, help="End of a period (exclusive, as Amperity's).")
@click.option("--all", "all_data", is_flag=True, help="All available data under the courier's patterns.")
@click.option("--skip-missing", is_flag=True, help="Continue past missing required files, with a warning.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (no progress display).")
@pass_ctx
def run_command(ctx: CliContext, courier: str, day: date | None, from_day: date | None, to_day: date | None,
                all_data: bool, skip_missing: bool, as_json: bool) -> None:
    """Run COURIER: land its files for the chosen dates and apply its load operations."""
    request = RunRequest.from_selection(courier, day=day, from_day=from_day, to_day=to_day, all_=all_data,
                                        skip_missing=skip_missing)
    cancel = threading.Event()
    printer = None if as_json else RunPrinter(sys.stderr.isatty())
    try:
        if printer:
            with printer:
                result = start_run(ctx.catalog, request, sink=printer.handle, cancel=cancel)
        else:
            result = start_run(ctx.catalog, request, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise
    if as_json:
        print_json(get_run(ctx.catalog, result.id).to_json())
    elif result.status == "succeeded":
        click.echo(printable(result.notification, newlines=True))
    else:
        click.echo(f"error: run {result.id} {result.status}", err=True)
        click.echo(printable(result.error or "", newlines=True), err=True)
        if result.fix is not None:
            click.echo(f"hint: {cli_fix(result.fix)}", err=True)
        elif result.hint:
            click.echo(f"hint: {printable(result.hint)}", err=True)
    sys.exit(0 if result.status == "succeeded" else 1)


@click.group(name="runs", invoke_without_command=True)
@click.option("--courier", help="Only this courier's runs.")
@click.option("--limit", type=click.IntRange(1, 100000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def runs_group(click_ctx: click.Context, courier: str | None, limit: int, as_json: bool) -> None:
    """Run history, newest first (`runs show ID`, `runs watch ID` for details)."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: CliContext = click_ctx.ensure_object(CliContext)
    records = list_runs(ctx.catalog, courier=courier, limit=limit)
    if as_json:
        print_json([r.to_json() for r in records])
        return
    if not records:
        click.echo("no runs yet: start one with `courier run COURIER --day YYYY-MM-DD`")
        return
    for r in records:
        click.echo(_summary_line(r))


def _summary_line(r: RunRecord) -> str:
    started = datetime.fromtimestamp(r.started_at).strftime("%Y-%m-%d %H:%M:%S")
    days = r.from_day or "all"
    if r.mode is RunMode.DAY:
        days = r.from_day or "-"
    elif r.from_day and r.to_day:
        days = f"{r.from_day}..{r.to_day}"
    rows = r.stats.rows_read
    tail = r.notification if r.status == "succeeded" else (r.error or "").splitlines()[-1] if r.error else ""
    return (f"{r.id}  {r.status:<9}  {printable(r.courier or '-'):<14} {r.mode:<6} {days:<23} {rows:>9} rows  "
            f"{started}  {printable(tail or '')}")


@runs_group.command(name="show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def runs_show(ctx: CliContext, run_id: str, as_json: bool) -> None:
    """A run's details and its event log."""
    record = get_run(ctx.catalog, run_id)
    events = read_events(ctx.catalog, run_id)
    if as_json:
        print_json({**record.to_json(), "events": [e.to_json() for e in events]})
        return
    click.echo(_summary_line(record))
    for feed in record.stats.feeds.values():
        click.echo(f"  {printable(feed.table)}: {feed.rows_read} read, {feed.inserted} inserted, {feed.updated} updated")
    for warning in record.warnings:
        click.echo(f"  warning: {printable(warning, newlines=True)}")
    if record.error:
        click.echo(f"  error: {printable(record.error, newlines=True)}")
    click.echo(f"  {len(events)} events")
    for event in events:
        click.echo("  " + format_event(event))


@runs_group.command(name="watch")
@click.argument("run_id")
@pass_ctx
def runs_watch(ctx: CliContext, run_id: str) -> None:
    """Follow a run (started by any process) until it ends."""
    get_run(ctx.catalog, run_id)
    status = "failed"
    for event in follow(ctx.catalog, run_id):
        click.echo(format_event(event))
        if isinstance(event, RunFinished):
            status = event.status
    sys.exit(0 if status == "succeeded" else 1)


def format_event(event: Event) -> str:
    """One event as a log line: its time and the engine's one description (escaped there)."""
    return f"{datetime.fromtimestamp(event.at).strftime('%H:%M:%S')}  {event.describe()}"
