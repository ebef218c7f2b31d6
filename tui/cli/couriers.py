"""`courier couriers`: add, edit, list, show, remove and validate couriers.

The entities list and load operations are Amperity JSON read from a file (`-` for stdin), or the
Optimizely preset (`--optimizely-account ID`, `--optimizely-from-token`). Warnings go to stderr as
`warning: ...`; errors leave as one `error:` line with exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

import click
from courier.core.config.couriers import (
    Courier,
    add_courier,
    courier_to_json,
    edit_courier,
    get_courier,
    list_couriers,
    remove_courier,
)
from courier.core.dates import check_day
from courier.core.errors import ConfigError
from courier.core.source.checks import validate_courier
from courier.core.source.token import token_courier_settings
from courier.core.text import printable
from courier.tui.cli.context import CliContext, pass_ctx, print_json, warn


def _read(path: str | None, option: str) -> str | None:
    """The text of FILE, or of stdin for `-`; a missing file is a one-line error."""
    if path is None:
        return None
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return fh.read()
    except FileNotFoundError:
        raise ConfigError(f"{option}: no such file {path!r}", hint="give a path to a JSON file, or - for stdin") from None
    except IsADirectoryError:
        raise ConfigError(f"{option}: {path!r} is a folder", hint="give a path to a JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{option}: cannot read {path!r}: {exc}", hint="give a readable UTF-8 JSON file") from None


def _documents(entities: str | None, load_operations: str | None) -> tuple[str | None, str | None]:
    if entities == "-" and load_operations == "-":
        raise ConfigError("--entities and --load-operations cannot both read stdin",
                          hint="put one of them in a file")
    return _read(entities, "--entities"), _read(load_operations, "--load-operations")


def _settings_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options `add` and `edit` share (for `add`, --credential and --bucket are checked by the engine)."""
    options = [
        click.option("--credential", metavar="C", help="Credential used to reach the bucket."),
        click.option("--bucket", metavar="B", help="S3 bucket (Optimizely: optimizely-events-data)."),
        click.option("--prefix", metavar="P", default=None, help="Key prefix joined to every pattern with '/'."),
        click.option("--region", metavar="R", help="Bucket region (default us-east-1)."),
        click.option("--endpoint-url", metavar="URL", help="S3-compatible endpoint (local stores, tests)."),
        click.option("--entities", metavar="FILE", help="Entities list JSON (Amperity shape); - reads stdin."),
        click.option("--optimizely-account", metavar="ID", help="Use the Optimizely preset entities for account ID."),
        click.option("--optimizely-from-token", is_flag=True,
                     help="Use the Optimizely preset, with bucket and account from the credential's token."),
        click.option("--load-operations", metavar="FILE", help="Load operations JSON; - reads stdin ({} = land only)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _warn_all(warnings: list[str]) -> None:
    for message in warnings:
        warn(message)


@click.group(name="couriers")
def group() -> None:
    """Manage couriers: S3 settings, entities list and load operations."""


@group.command("add")
@click.argument("name")
@_settings_options
@pass_ctx
def add_command(ctx: CliContext, name: str, credential: str | None, bucket: str | None, prefix: str | None,
                region: str | None, endpoint_url: str | None, entities: str | None, optimizely_account: str | None,
                optimizely_from_token: bool, load_operations: str | None) -> None:
    """Add courier NAME (needs --credential and one of --entities, --optimizely-account, --optimizely-from-token)."""
    if not credential:
        raise ConfigError("a courier needs --credential", hint="see `courier credentials list`")
    if not bucket and not optimizely_from_token:
        raise ConfigError("a courier needs --bucket", hint="e.g. --bucket optimizely-events-data")
    if not (entities or optimizely_account or optimizely_from_token):
        raise ConfigError("a courier needs an entities list",
                          hint="give --entities FILE, --optimizely-account ID or --optimizely-from-token")
    entities_text, ops_text = _documents(entities, load_operations)
    if optimizely_from_token:
        _only_one_entities_source(entities, optimizely_account)
        found = token_courier_settings(ctx.catalog, credential, bucket=bucket, region=region)
        optimizely_account, bucket, region = found["optimizely_account"], found["bucket"], found["region"]
    courier, warnings = add_courier(
        ctx.catalog, name, credential=credential, bucket=bucket, prefix=prefix or "", region=region,
        endpoint_url=endpoint_url, entities=entities_text, optimizely_account=optimizely_account,
        load_operations=ops_text,
    )
    _warn_all(warnings)
    click.echo(f"added courier {courier.name}: s3://{courier.bucket}/{printable(courier.prefix)} "
               f"({len(courier.entities)} entities: {printable(', '.join(courier.tags))})")
    click.echo(f"next: courier couriers validate {courier.name} --day YYYY-MM-DD")


@group.command("edit")
@click.argument("name")
@_settings_options
@pass_ctx
def edit_command(ctx: CliContext, name: str, credential: str | None, bucket: str | None, prefix: str | None,
                 region: str | None, endpoint_url: str | None, entities: str | None, optimizely_account: str | None,
                 optimizely_from_token: bool, load_operations: str | None) -> None:
    """Change settings of courier NAME (everything is validated again; --endpoint-url '' clears it)."""
    entities_text, ops_text = _documents(entities, load_operations)
    if optimizely_from_token:
        _only_one_entities_source(entities, optimizely_account)
        found = token_courier_settings(ctx.catalog, credential or get_courier(ctx.catalog, name).credential,
                                       bucket=bucket, region=region)
        optimizely_account, bucket, region = found["optimizely_account"], found["bucket"], found["region"]
    courier, warnings = edit_courier(
        ctx.catalog, name, credential=credential, bucket=bucket, prefix=prefix, region=region,
        endpoint_url=endpoint_url, entities=entities_text, optimizely_account=optimizely_account,
        load_operations=ops_text,
    )
    _warn_all(warnings)
    click.echo(f"updated courier {courier.name}")


def _only_one_entities_source(entities: str | None, optimizely_account: str | None) -> None:
    if entities or optimizely_account:
        raise ConfigError("give only one of --entities, --optimizely-account and --optimizely-from-token",
                          hint="each one sets the whole entities list")


def _load_summary(c: Courier) -> str:
    if not c.load_operations:
        return "{} (land only)"
    return ", ".join(f"{feed}: " + "+".join(op.type if op.file is None else f"load {op.file}" for op in ops)
                     for feed, ops in c.load_operations.items())


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def list_command(ctx: CliContext, as_json: bool) -> None:
    """List couriers."""
    couriers = list_couriers(ctx.catalog)
    if as_json:
        print_json([courier_to_json(c) for c in couriers])
        return
    if not couriers:
        click.echo("no couriers yet: add one with `courier couriers add NAME --credential C --bucket B ...`")
        return
    rows = [(c.name, c.credential, f"s3://{c.bucket}/{c.prefix}", c.region, ", ".join(c.tags), _load_summary(c))
            for c in couriers]
    header = ("NAME", "CREDENTIAL", "LOCATION", "REGION", "TAGS", "LOAD OPERATIONS")
    widths = [max(len(printable(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        click.echo("  ".join(f"{printable(cell):<{widths[i]}}" for i, cell in enumerate(row[:-1])) + "  "
                   + printable(row[-1]))


@group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (entities and load operations in Amperity's shapes).")
@pass_ctx
def show_command(ctx: CliContext, name: str, as_json: bool) -> None:
    """Show courier NAME."""
    courier = get_courier(ctx.catalog, name)
    data = courier_to_json(courier)
    if as_json:
        print_json(data)
        return
    for key in ("name", "credential", "bucket", "prefix", "region", "endpoint_url", "created_at", "updated_at"):
        if data[key] not in (None, ""):
            click.echo(f"{key.replace('_', ' ') + ':':<14}{printable(data[key])}")
    click.echo("entities list:")  # JSON escapes C0 controls itself; printable catches DEL, C1 and bidi
    click.echo(printable(json.dumps(courier.entities_json, indent=2, ensure_ascii=False), newlines=True))
    click.echo("load operations:")
    click.echo(printable(json.dumps(courier.load_operations_json, indent=2, ensure_ascii=False), newlines=True))


@group.command("remove")
@click.argument("name")
@pass_ctx
def remove_command(ctx: CliContext, name: str) -> None:
    """Remove courier NAME (landed files and run history stay)."""
    remove_courier(ctx.catalog, name)
    click.echo(f"removed courier {name}")


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD day; anything else is a one-line usage error (exit 2)."""
    if text is None:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--day {text!r} is not a date", hint="use YYYY-MM-DD, e.g. 2020-09-14") from None
    return check_day(day)


@group.command("validate")
@click.argument("name")
@click.option("--day", metavar="YYYY-MM-DD", help="Also check that each entity finds an object on this day.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
def validate_command(ctx: CliContext, name: str, day: str | None, as_json: bool) -> None:
    """Validate courier NAME: documents parse, patterns compile, the credential works, files exist."""
    the_day = parse_day(day)
    report = validate_courier(ctx.catalog, name, the_day)
    if as_json:
        print_json({"courier": name, "day": day, "ok": report.ok, "warnings": report.warnings,
                    "checks": [c.to_json() for c in report.checks]})
    else:
        for check in report.checks:
            click.echo(f"{'✓' if check.ok else '✗'} {printable(check.name)}: {printable(check.detail)}")
        _warn_all(report.warnings)
        if report.ok:
            click.echo("Courier validation passed")
        else:
            failed = sum(1 for c in report.checks if not c.ok)
            click.echo(f"Courier validation failed: {failed} of {len(report.checks)} checks failed", err=True)
    if not report.ok:
        sys.exit(1)
