"""`courier groups`: courier groups (couriers run as a unit on a cron schedule) and manual group runs."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, date, datetime
from typing import Any

import click
from courier.core.errors import ConfigError, RunFailed
from courier.core.schedule.cron import calendar_warnings, dst_warnings, next_fires
from courier.core.schedule.durations import format_duration
from courier.core.schedule.groups import (
    add_group,
    edit_group,
    get_group,
    group_status,
    list_groups,
    new_group,
    remove_group,
    set_enabled,
    skip_failed_window,
)
from courier.core.schedule.scheduler import (
    GroupRunResult,
    late_text,
    retry_at,
    run_group_latest,
    run_group_manual,
)
from courier.core.schedule.windows import group_window
from courier.core.text import printable
from courier.core.types import RunMode
from courier.tui.cli.context import CliContext, pass_ctx, print_json
from courier.tui.cli.dates import DAY


def _settings_options(editing: bool) -> Any:
    """The options `add` and `edit` share; on `edit` every one is optional and unset means unchanged."""
    def decorate(func: Any) -> Any:
        opts = [
            click.option("--cron", metavar="EXPR", help="5-field schedule (see `courier cron`); '' = manual only."),
            click.option("--timezone", "-z", metavar="TZ", default=None if editing else "UTC",
                         show_default=not editing, help="IANA time zone of the schedule."),
            click.option("--courier", "couriers", multiple=True, metavar="NAME",
                         help="A courier in the group (repeat; order is run order)."
                         + (" Replaces the list." if editing else "")),
            click.option("--wait", metavar="DURATION", help="Keep polling for missing files until T + wait (e.g. 2h)."),
            click.option("--offset", metavar="DURATION", help="How far back from the fire time the window ends (24h)."),
            click.option("--lookback", metavar="DURATION", help="The window's length (24h)."),
            click.option("--use-timezone-for-dates/--utc-dates", "use_tz_dates", default=None,
                         help="Take day boundaries in the group's zone instead of UTC."),
            click.option("--sla", metavar="DURATION", help="Mark a run late if unfinished this long after its fire time."),
            click.option("--stop-when-missing/--continue-when-missing", "stop_when_missing", default=None,
                         help="Stop the other couriers when one has missing required files."),
            click.option("--after", metavar="GROUP", help="Wait for GROUP's successful run for the same window."),
            click.option("--after-offset", metavar="DURATION", help="Shift the window required of --after (whole days)."),
            click.option("--json", "as_json", is_flag=True, help="Print the group as JSON."),
        ]
        for opt in reversed(opts):
            func = opt(func)
        return func
    return decorate


def _changes(cron: str | None, timezone: str | None, couriers: tuple[str, ...], wait: str | None,
             offset: str | None, lookback: str | None, use_tz_dates: bool | None, sla: str | None,
             stop_when_missing: bool | None, after: str | None, after_offset: str | None) -> dict[str, Any]:
    given = {"cron": cron, "timezone": timezone, "couriers": list(couriers) or None, "wait": wait,
             "offset": offset, "lookback": lookback, "use_timezone_for_dates": use_tz_dates, "sla": sla,
             "stop_when_missing": stop_when_missing, "after": after, "after_offset": after_offset}
    return {k: v for k, v in given.items() if v is not None}


def _now() -> datetime:
    return datetime.now(UTC)


def _print_group(ctx: CliContext, name: str, as_json: bool) -> None:
    group = get_group(ctx.catalog, name)
    status = group_status(ctx.catalog, group, _now())
    if as_json:
        print_json({**group.to_json(), "status": status})
        return
    zone = group.timezone
    rows = [
        ("name", group.name), ("status", "enabled" if group.enabled else "disabled"),
        ("schedule", f"{group.cron}  ({zone})" if group.cron else "manual only"),
        ("couriers", ", ".join(group.couriers)),
        ("wait", format_duration(group.wait)), ("offset", format_duration(group.offset)),
        ("lookback", format_duration(group.lookback)),
        ("dates in", zone if group.use_timezone_for_dates else "UTC"),
        ("sla", format_duration(group.sla) or "none"),
        ("when missing", "stop the other couriers" if group.stop_when_missing else "continue with the others"),
        ("after", f"{group.after} (offset {format_duration(group.after_offset)})" if group.after else "none"),
    ]
    for key, value in rows:
        click.echo(f"{key:<13} {printable(value)}")
    expr = group.expr
    if expr is not None and group.enabled:
        previous = datetime.fromtimestamp(group.last_fire, UTC) if group.last_fire else None
        for i, fire in enumerate(next_fires(expr, group.zone, _now(), 3)):
            window = group_window(group, fire.utc, previous if i == 0 else None)
            click.echo(f"{'next fire':<13} {fire.at:%a %Y-%m-%d %H:%M %Z} -> loads {window.describe()}")
        for warning in calendar_warnings(expr) + dst_warnings(expr, group.zone, _now()):
            click.echo(f"warning: {warning}")
    last = status["last_status"]
    if last:
        late = ", LATE" if status["late"] else ""
        click.echo(f"{'last run':<13} {last}{late} ({status['last_group_run']})")
        if status["last_error"]:
            click.echo(f"{'last error':<13} {printable(status['last_error'])}")
        if status["missing"]:
            click.echo(f"{'missing':<13} {printable(', '.join(status['missing']))}")
    if group.retry:
        click.echo(f"{'retry':<13} {late_text(group)}")
        click.echo(f"{'':<13} (to give up on those days: `courier groups skip {group.name}`)")


@click.group(name="groups", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="List as JSON.")
@click.pass_context
def group(click_ctx: click.Context, as_json: bool) -> None:
    """Courier groups: couriers that run as a unit, on a cron schedule or by hand (lists them)."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(list_command, as_json=as_json)


@group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def list_command(ctx: CliContext, as_json: bool) -> None:
    """List courier groups with their next fire time and last result."""
    groups = list_groups(ctx.catalog)
    statuses = [group_status(ctx.catalog, g, _now()) for g in groups]
    if as_json:
        print_json([{**g.to_json(), "status": s} for g, s in zip(groups, statuses, strict=True)])
        return
    if not groups:
        click.echo("no courier groups yet; add one with `courier groups add NAME --cron EXPR --courier C`")
        return
    click.echo(f"{'NAME':<20} {'STATUS':<9} {'SCHEDULE':<16} {'ZONE':<20} {'NEXT FIRE (UTC)':<17} LAST")
    for g, s in zip(groups, statuses, strict=True):
        nxt = s["next_fire_utc"][:16].replace("T", " ") if s["next_fire_utc"] else "-"
        last = (s["last_status"] or "-") + (" LATE" if s["late"] else "") + (" (missing files)" if s["missing"] else "")
        if (at := retry_at(s["retry"])) is not None:
            last += f" (retry {at:%Y-%m-%d %H:%M} UTC)"
        click.echo(f"{g.name:<20} {'enabled' if g.enabled else 'disabled':<9} {g.cron or 'manual':<16} "
                   f"{g.timezone:<20} {nxt:<17} {last}")


@group.command(name="add")
@click.argument("name")
@_settings_options(editing=False)
@click.option("--disabled", is_flag=True, help="Create it disabled (it never fires until enabled).")
@pass_ctx
def add_command(ctx: CliContext, name: str, cron: str | None, timezone: str, couriers: tuple[str, ...],
                wait: str | None, offset: str | None, lookback: str | None, use_tz_dates: bool | None,
                sla: str | None, stop_when_missing: bool | None, after: str | None, after_offset: str | None,
                as_json: bool, disabled: bool) -> None:
    """Add courier group NAME."""
    if not couriers:
        raise ConfigError("a courier group needs at least one courier", where="--courier",
                          hint="add one with --courier NAME (repeat for more)")
    changes = _changes(cron, timezone, (), wait, offset, lookback, use_tz_dates, sla, stop_when_missing, after,
                       after_offset)
    add_group(ctx.catalog, new_group(name, list(couriers), enabled=not disabled, **changes))
    if not as_json:
        click.echo(f"added courier group {name}")
    _print_group(ctx, name, as_json)


@group.command(name="show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def show_command(ctx: CliContext, name: str, as_json: bool) -> None:
    """Show a group's settings, next fire times with their windows, and last result."""
    _print_group(ctx, name, as_json)


@group.command(name="edit")
@click.argument("name")
@_settings_options(editing=True)
@pass_ctx
def edit_command(ctx: CliContext, name: str, cron: str | None, timezone: str | None, couriers: tuple[str, ...],
                 wait: str | None, offset: str | None, lookback: str | None, use_tz_dates: bool | None,
                 sla: str | None, stop_when_missing: bool | None, after: str | None, after_offset: str | None,
                 as_json: bool) -> None:
    """Change some of a group's settings (others stay); '' clears --cron, --sla and --after."""
    changes = _changes(cron, timezone, couriers, wait, offset, lookback, use_tz_dates, sla, stop_when_missing,
                       after, after_offset)
    if not changes:
        raise ConfigError("nothing to change", hint="pass at least one option, e.g. --cron '0 6 * * *'")
    edit_group(ctx.catalog, name, **changes)
    if not as_json:
        click.echo(f"updated courier group {name}")
    _print_group(ctx, name, as_json)


@group.command(name="enable")
@click.argument("name")
@pass_ctx
def enable_command(ctx: CliContext, name: str) -> None:
    """Enable a group: it fires on its schedule again."""
    set_enabled(ctx.catalog, name, True)
    click.echo(f"enabled courier group {name}")


@group.command(name="disable")
@click.argument("name")
@pass_ctx
def disable_command(ctx: CliContext, name: str) -> None:
    """Disable a group: it never fires (manual runs still work)."""
    set_enabled(ctx.catalog, name, False)
    click.echo(f"disabled courier group {name}")


@group.command(name="remove")
@click.argument("name")
@pass_ctx
def remove_command(ctx: CliContext, name: str) -> None:
    """Remove a group (its run history stays)."""
    remove_group(ctx.catalog, name)
    click.echo(f"removed courier group {name}")


@group.command(name="skip")
@click.argument("name")
@pass_ctx
def skip_command(ctx: CliContext, name: str) -> None:
    """Give up on a group's failed scheduled window: stop retrying it; the next fire loads from there."""
    skipped = skip_failed_window(ctx.catalog, name)
    days = skipped.get("days") or [None, None]
    what = f"days {days[0]} .. {days[1]} (exclusive)" if days[0] and days[1] else "its failed window"
    click.echo(f"courier group {name}: stopped retrying {what}; load them by hand with "
               f"`courier groups run {name} --from D --to D` if needed")


@group.command(name="run")
@click.argument("name")
@click.option("--day", type=DAY, help="Load one day.")
@click.option("--from", "from_day", type=DAY, help="First day of a period (inclusive).")
@click.option("--to", "to_day", type=DAY, help="End of a period (exclusive).")
@click.option("--all", "all_data", is_flag=True, help="All available data.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def run_command(ctx: CliContext, name: str, day: date | None, from_day: date | None, to_day: date | None,
                all_data: bool, as_json: bool) -> None:
    """Run group NAME now. Without dates: the window of its latest scheduled fire time.

    A manual run loads exactly the days given (Amperity ignores the schedule window too), does
    not wait for late files and does not wait for an --after group.
    """
    chosen = sum(1 for given in (day is not None, from_day is not None or to_day is not None, all_data) if given)
    if chosen > 1:
        raise ConfigError("choose one of --day D, --from D --to D, or --all", hint="or none for the latest window")
    cancel = threading.Event()
    options: dict[str, Any] = {"cancel": cancel, "sink": None if as_json else _sink()}
    try:
        if day is not None:
            result = run_group_manual(ctx.catalog, name, RunMode.DAY, day=day, **options)
        elif from_day is not None or to_day is not None:
            result = run_group_manual(ctx.catalog, name, RunMode.PERIOD, from_day=from_day, to_day=to_day, **options)
        elif all_data:
            result = run_group_manual(ctx.catalog, name, RunMode.ALL, **options)
        else:
            result = run_group_latest(ctx.catalog, name, **options)
    except KeyboardInterrupt:
        cancel.set()
        raise
    _report(result, as_json)


def _sink() -> Any:
    from courier.tui.cli.runs import format_event

    return lambda event: click.echo(format_event(event), err=True)


def _report(result: GroupRunResult, as_json: bool) -> None:
    if as_json:
        print_json(result.to_json())
    else:
        for c in result.couriers:
            detail = c.notification if c.status == "succeeded" else (c.error or "")
            click.echo(f"  {c.courier:<20} {c.status:<10} {c.run_id or '-':<28} {printable(detail)}")
        if result.note:
            click.echo(printable(result.note))
        click.echo(printable(result.summary().split(": ", 1)[0] if result.status != "succeeded" else result.summary()))
    if result.status not in ("succeeded", "skipped"):
        if as_json:
            sys.exit(1)
        raise RunFailed(f"courier group {result.group} {result.status}: {result.error or 'see the runs above'}",
                        hint=f"details: `courier runs` (group run {result.group_run})")
