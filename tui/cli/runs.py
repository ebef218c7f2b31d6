"""`courier run` (run a courier now) and `courier runs` (history, details, follow a live run)."""

from __future__ import annotations

import sys
import threading
from datetime import date, datetime

import click
from courier.core.errors import ConfigError
from courier.core.runs.events import Event, read_events
from courier.core.runs.records import RunRecord, follow, get_run, list_runs, start_run
from courier.core.runs.request import RunRequest
from courier.core.text import printable
from courier.tui.cli.context import CliContext, pass_ctx, print_json
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
    request = build_request(courier, day, from_day, to_day, all_data, skip_missing)
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
        if result.hint:
            click.echo(f"hint: {printable(result.hint)}", err=True)
    sys.exit(0 if result.status == "succeeded" else 1)


def build_request(courier: str, day: date | None, from_day: date | None, to_day: date | None, all_data: bool,
                  skip_missing: bool, **extra: object) -> RunRequest:
    chosen = sum(x is not None and x is not False for x in (day, from_day or to_day, all_data or None))
    if chosen != 1:
        raise ConfigError("choose exactly one of --day D, --from D --to D, or --all",
                          hint="e.g. `courier run optimizely --day 2026-11-03`")
    if day is not None:
        request = RunRequest(courier, "day", day=day, skip_missing=skip_missing)
    elif all_data:
        request = RunRequest(courier, "all", skip_missing=skip_missing)
    else:
        request = RunRequest(courier, "period", from_day=from_day, to_day=to_day, skip_missing=skip_missing)
    for name, value in extra.items():
        setattr(request, name, value)
    request.validate()
    return request


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
    if r.mode == "day":
        days = r.from_day or "-"
    elif r.from_day and r.to_day:
        days = f"{r.from_day}..{r.to_day}"
    rows = sum(f.get("rows_read", 0) for f in r.stats.get("feeds", {}).values())
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
    for name, feed in record.stats.get("feeds", {}).items():
        click.echo(f"  {printable(feed.get('table', name))}: {feed.get('rows_read', 0)} read, {feed.get('inserted', 0)} inserted, "
                   f"{feed.get('updated', 0)} updated")
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
        if event.type == "run_finished":
            status = event.data.get("status", "failed")
    sys.exit(0 if status == "succeeded" else 1)


def format_event(event: Event) -> str:
    """One event as a log line; what came from a bucket, a file or S3 is shown escaped (courier.core.text)."""
    at = datetime.fromtimestamp(event.at).strftime("%H:%M:%S")
    data = event.data

    def field(name: str) -> str:
        return printable(data.get(name))

    def message(name: str) -> str:
        return printable(data.get(name), newlines=True)

    text = {
        "run_started": lambda: f"run started: {field('courier')} ({field('mode')}) "
                               f"{printable(', '.join(str(d) for d in data.get('days', [])))}",
        "day_checked": lambda: f"{field('day')} {field('tag')}: {field('objects')} objects, "
                               f"ready marker {'present' if data.get('ready') else 'missing' if data.get('ready') is False else 'n/a'}",
        "file_listed": lambda: f"listed {field('key')} ({field('size')} bytes)",
        "file_landed": lambda: f"{'already landed' if data.get('skipped') else 'landed'} {field('key')}",
        "feed_load_started": lambda: f"loading {field('table')}: {field('files')} files",
        "batch_loaded": lambda: f"  {field('rows')} rows",
        "feed_loaded": lambda: f"loaded {field('table')}: {field('rows_read')} read, {field('inserted')} inserted,"
                               f" {field('updated')} updated",
        "warning": lambda: f"warning: {message('message')}",
        "error": lambda: f"error: {message('message')}",
        "run_finished": lambda: f"run {field('status')}: {message('notification')}",
    }.get(event.type, lambda: printable(f"{event.type} {data}"))()
    return f"{at}  {text}"
