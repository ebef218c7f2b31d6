"""`courier cron EXPR`: validate a schedule and explain it before a group uses it."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from courier.core.dates import check_moment
from courier.core.errors import ConfigError
from courier.core.schedule.cron import CronReport, check
from courier.tui.cli.context import print_json


def parse_now(text: str | None) -> datetime | None:
    """An ISO time for --now; naive means UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--now {text!r} is not an ISO time", hint="e.g. --now 2026-03-08T06:00:00Z") from None
    return check_moment(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def render(report: CronReport) -> str:
    lines = [f"{report.expression}  ({report.timezone})", report.description, "",
             f"Next {len(report.fires)} fire times:"]
    width = max((len(f"{f.at:%a %Y-%m-%d %H:%M %Z}") for f in report.fires), default=0)
    lines.append(f"  {report.timezone:<{width}}   UTC")
    for fire in report.fires:
        local = f"{fire.at:%a %Y-%m-%d %H:%M %Z}"
        note = f"   ({fire.shifted_from:%H:%M} does not exist that day: shifted)" if fire.shifted_from else ""
        lines.append(f"  {local:<{width}}   {fire.utc:%Y-%m-%d %H:%M}{note}")
    if report.warnings:
        lines.append("")
        lines.extend(f"warning: {w}" for w in report.warnings)
    return "\n".join(lines)


@click.command(name="cron")
@click.argument("expression")
@click.option("--timezone", "-z", "timezone", default="UTC", show_default=True, metavar="TZ",
              help="IANA time zone the schedule runs in, e.g. America/New_York.")
@click.option("--count", "-n", default=5, show_default=True, type=click.IntRange(1, 100),
              help="How many upcoming fire times to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (also for an invalid expression).")
@click.option("--now", "now_text", metavar="ISO-TIME", hidden=True, help="Pretend it is this time (for tests).")
def command(expression: str, timezone: str, count: int, as_json: bool,
            now_text: str | None) -> None:
    """Validate a cron EXPRESSION and show what it means.

    Five fields: minute hour day-of-month month day-of-week (0-6 = Sunday-Saturday, 7 is also
    Sunday); `*`, numbers, names (JAN, MON), ranges 1-5, lists 1,3,5 and steps */15. Shows a
    plain-English description, the next fire times in the zone and in UTC, and warnings (DST
    gaps and overlaps, short months, day-of-month OR day-of-week). Exits 2 when invalid.

    \b
    Examples:
      courier cron "0 17 * * 1-5"
      courier cron "30 2 * * *" --timezone America/New_York --count 10
    """
    try:
        report = check(expression, timezone, count, parse_now(now_text))
    except ConfigError as exc:
        if not as_json:
            raise
        print_json({"valid": False, "expression": expression, "field": exc.where, "error": str(exc),
                    "hint": exc.hint})
        raise  # the error line still goes to stderr, and the exit code is 2
    if as_json:
        print_json(report.to_json())
    else:
        click.echo(render(report))
