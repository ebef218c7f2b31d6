"""`courier files COURIER`: landed files (the sample list) or, with --remote, what S3 holds."""

from __future__ import annotations

from datetime import date, datetime

import click
from courier.core.errors import ConfigError
from courier.core.runs.request import RunRequest
from courier.core.source.landing import landed_files
from courier.core.source.listing import list_remote
from courier.core.text import printable
from courier.core.types import RunMode
from courier.tui.cli.context import CliContext, pass_ctx, print_json
from courier.tui.cli.dates import DAY
from courier.tui.formatting import human_bytes


def _partition_text(partition: dict[str, str | None]) -> str:
    keep = {k: v for k, v in partition.items() if k not in ("account_id",)}
    return printable(" ".join(f"{k}={'NULL' if v is None else v}" for k, v in keep.items()))


@click.command(name="files")
@click.argument("courier")
@click.option("--remote", is_flag=True, help="List what the courier's patterns select on S3 (not what is landed).")
@click.option("--day", type=DAY, help="One day.")
@click.option("--from", "from_day", type=DAY, help="First day (inclusive), with --remote.")
@click.option("--to", "to_day", type=DAY, help="End day (exclusive), with --remote.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def command(ctx: CliContext, courier: str, remote: bool, day: date | None, from_day: date | None,
            to_day: date | None, as_json: bool) -> None:
    """Files for COURIER, newest first: landed ones by default, S3's with --remote.

    The days of a remote listing are chosen as a run's are (RunRequest.from_selection), so the same
    dates give the same errors as `courier run`.
    """
    from courier.core.config.couriers import get_courier

    get_courier(ctx.catalog, courier)
    if not remote:
        if from_day or to_day:
            raise ConfigError("--from/--to apply to --remote listings", hint="use --day D for landed files")
        files = landed_files(ctx.catalog, courier, day)
        if as_json:
            print_json([f.to_json() for f in files])
            return
        if not files:
            click.echo(f"no landed files for {courier}{f' on {day}' if day else ''}: "
                       f"run it first, e.g. `courier run {courier} --day YYYY-MM-DD`")
            return
        for f in files:
            landed = datetime.fromtimestamp(f.landed_at).strftime("%Y-%m-%d %H:%M")
            rows = "" if f.rows is None else f"{f.rows:,} rows"
            click.echo(f"{printable(f.tag):<12} {human_bytes(f.size):>9} {rows:>12}  landed {landed}  {printable(f.key)}")
        return
    if day is None and from_day is None and to_day is None:  # `files` has no --all: S3 is listed day by day
        raise ConfigError("--remote needs --day D or --from D --to D",
                          hint="listing only the days asked for keeps it cheap")
    days = RunRequest.from_selection(courier, day=day, from_day=from_day, to_day=to_day,
                                     modes=(RunMode.DAY, RunMode.PERIOD)).days()
    listing = list_remote(ctx.catalog, courier, days)
    objects = listing.newest_first()
    if as_json:
        print_json({"objects": [o.to_json() for o in objects],
                    "days": [{"day": s.day.isoformat(), "tag": s.tag, "objects": s.objects, "ready": s.ready}
                             for s in listing.days]})
        return
    for status in listing.days:
        ready = {True: "ready", False: "NOT READY (no _SUCCESS)", None: "no marker"}[status.ready]
        click.echo(f"{status.day}  {printable(status.tag):<12} {status.objects:>5} objects  {ready}")
    for o in objects:
        ready = "" if o.ready is None else ("ready" if o.ready else "not ready")
        click.echo(f"{printable(o.tag):<12} {human_bytes(o.size):>9}  {o.last_modified:%Y-%m-%d %H:%M}  "
                   f"{_partition_text(o.partition):<45} {ready:<9} {printable(o.key)}")
