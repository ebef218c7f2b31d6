"""`courier feeds`: add a feed from a sample, tag it, activate it into a domain table."""

from __future__ import annotations

from typing import Any

import click
from courier.core.errors import Busy, ConfigError, NotFound
from courier.core.feeds.model import (
    Feed,
    activate_feed,
    add_feed,
    apply_suggested_tags,
    create_active_feed,
    feed_to_json,
    get_feed,
    list_feeds,
    remove_feed,
    truncate_feed,
    update_feed,
)
from courier.core.feeds.tags import all_tags_help, apply_suggestions, is_pii
from courier.core.text import printable
from courier.core.warehouse.files import CONTENT_TYPES
from courier.core.warehouse.spec import LoadStats
from courier.tui.cli.context import CliContext, pass_ctx, print_json, warn


def _keys(value: str | None) -> list[str] | None:
    if value is None:
        return None
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        raise ConfigError("--primary-key is empty", hint="give one or more columns: --primary-key uuid")
    return keys


def _tags(values: tuple[str, ...]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for value in values:
        column, sep, tag = value.partition("=")
        if not sep or not column.strip() or not tag.strip():
            raise ConfigError(f'--tag "{value}" is not COLUMN=TAG', hint="e.g. --tag email=email --tag uuid=pk")
        tags[column.strip()] = tag.strip()
    return tags


def _row_counts(ctx: CliContext) -> dict[str, int] | None:
    """Rows per domain table, or None when the warehouse is busy or absent (said on stderr)."""
    from courier.core.warehouse.duckdb import Warehouse

    path = ctx.workspace.warehouse_path
    if not path.exists():
        return {}
    try:
        with Warehouse(path, read_only=True) as warehouse:
            return dict(warehouse.tables())
    except Busy as exc:
        warn(f"{exc} (row counts not shown)")
        return None


def _report_load(feed: Feed, stats: LoadStats | None) -> None:
    if stats is None:
        click.echo(f"activated {feed.id}: created {printable(feed.table_name)}", err=True)
        return
    for message in stats.warnings:
        warn(message)
    click.echo(f"activated {feed.id}: loaded the sample into {printable(feed.table_name)} "
               f"({stats.rows_read:,} rows read, {stats.inserted:,} inserted, {stats.updated:,} updated)", err=True)


@click.group(name="feeds")
def group() -> None:
    """Manage feeds: a sample's schema, primary key, semantic tags, last-updated rule."""


@group.command("add")
@click.option("--source", required=True, help="Data source name, e.g. Optimizely.")
@click.option("--name", required=True, help="Feed name, e.g. Decisions; the table is SOURCE:NAME.")
@click.option("--sample", required=True, metavar="LANDED-KEY|PATH",
              help="A landed key (see `courier files`), bucket/key, s3://bucket/key, or a local file.")
@click.option("--primary-key", "primary_key", metavar="COL[,COL]", help="Primary key column(s).")
@click.option("--tag", "tags", multiple=True, metavar="COL=TAG", help="Semantic tag for a column (repeatable).")
@click.option("--last-updated", metavar="COL", help="Datetime or integer column: the newest value wins.")
@click.option("--generate-updated", is_flag=True, help="Generate _updated: the newest load/file/row wins (default).")
@click.option("--stitch", is_flag=True, help="Make the table available to Stitch (PII tables only).")
@click.option("--activate", is_flag=True, help="Create the domain table now and load the sample into it.")
@click.option("--content-type", metavar="TYPE",
              help=f"Sample format, one of {', '.join(CONTENT_TYPES)} (default: from the name).")
@click.option("--separator", help="Field separator for delimited samples.")
@click.option("--header-rows", type=click.IntRange(0, 10), default=1, show_default=True)
@click.option("--quote", help="Quote character for delimited samples.")
@pass_ctx
def add(ctx: CliContext, source: str, name: str, sample: str, primary_key: str | None, tags: tuple[str, ...],
        last_updated: str | None, generate_updated: bool, stitch: bool, activate: bool, content_type: str | None,
        separator: str | None, header_rows: int, quote: str | None) -> None:
    """Add a feed from a sample file; prints only the new feed id."""
    options: dict[str, Any] = {k: v for k, v in (("separator", separator), ("quote", quote)) if v}
    if header_rows != 1:
        options["header_rows"] = header_rows
    fields: dict[str, Any] = {"source": source, "name": name, "sample": sample, "primary_key": _keys(primary_key),
                              "tags": _tags(tags), "last_updated": last_updated, "generate_updated": generate_updated,
                              "stitch": stitch, "content_type": content_type, "options": options}
    if activate:
        feed, stats = create_active_feed(ctx.catalog, ctx.workspace, **fields, load_sample=True)
        _report_load(feed, stats)
    else:
        feed = add_feed(ctx.catalog, **fields)
    click.echo(feed.id)


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def list_command(ctx: CliContext, as_json: bool) -> None:
    """Feeds with their table, Stitch flag, activation and row count."""
    feeds = list_feeds(ctx.catalog)
    counts = _row_counts(ctx)

    def rows(feed: Feed) -> int | None:
        return None if counts is None or not feed.active else counts.get(feed.table_name)

    if as_json:
        print_json([{**feed_to_json(f), "rows": rows(f)} for f in feeds])
        return
    if not feeds:
        click.echo("no feeds yet: add one with `courier feeds add --source S --name N --sample LANDED-KEY`")
        return
    click.echo(f"{'ID':<10} {'TABLE':<32} {'ACTIVE':<7} {'STITCH':<7} {'PRIMARY KEY':<16} {'ROWS':>10}")
    for f in feeds:
        count = rows(f)
        shown = "-" if count is None else f"{count:,}"
        click.echo(f"{f.id:<10} {printable(f.table_name):<32} {'yes' if f.active else 'no':<7} "
                   f"{'yes' if f.stitch else 'no':<7} {printable(','.join(f.primary_key)) or '(none)':<16} {shown:>10}")


@group.command("show")
@click.argument("feed_ref", metavar="FEED")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def show(ctx: CliContext, feed_ref: str, as_json: bool) -> None:
    """A feed's columns, types, sample values, tags (PII marked), key and last-updated rule."""
    feed = get_feed(ctx.catalog, feed_ref)
    if as_json:
        print_json(feed_to_json(feed))
        return
    updated = printable(feed.last_updated) if feed.last_updated else "generated _updated (newest load, file, row wins)"
    click.echo(f"{feed.id}  {printable(feed.table_name)}  ({'active' if feed.active else 'not active'})")
    click.echo(f"sample:       {printable(feed.sample)}")
    click.echo(f"primary key:  {printable(', '.join(feed.primary_key)) or '(none: set one before activating)'}")
    click.echo(f"last updated: {updated}")
    click.echo(f"stitch:       {'yes' if feed.stitch else 'no'}")
    if feed.partition_columns:
        click.echo(f"partitions:   {printable(', '.join(feed.partition_columns))} (from the object key)")
    width = max([len(printable(c.name)) for c in feed.columns] + [6])
    click.echo("")
    click.echo(f"{'COLUMN':<{width}}  {'TYPE':<26} {'TAG':<22} {'PII':<4} SAMPLES")
    for column in feed.columns:
        tag = feed.tags.get(column.name, "")
        type_ = printable(column.type)
        type_ = type_ if len(type_) <= 26 else type_[:25] + "…"
        samples = printable(", ".join(column.samples[:3]))
        click.echo(f"{printable(column.name):<{width}}  {type_:<26} {printable(tag):<22} {'PII' if is_pii(tag) else '':<4} "
                   f"{samples[:60]}")


@group.command("suggest", epilog=f"Tags: {all_tags_help()}")
@click.argument("feed_ref", metavar="FEED")
@click.option("--apply", is_flag=True, help="Store the suggestions (columns already tagged keep their tag).")
@pass_ctx
def suggest(ctx: CliContext, feed_ref: str, apply: bool) -> None:
    """Propose semantic tags and a primary key from column names."""
    feed = get_feed(ctx.catalog, feed_ref)
    if apply:
        feed, proposed = apply_suggested_tags(ctx.catalog, feed.id)
    else:
        proposed = apply_suggestions([c.name for c in feed.columns], feed.tags, feed.primary_key).new
    if not proposed:
        click.echo(f"no new suggestions for {printable(feed.table_name)}")
        return
    for column, tag in proposed.items():
        click.echo(f"{printable(column):<24} {tag}{'  (PII)' if is_pii(tag) else ''}")
    if apply:
        click.echo(f"applied {len(proposed)} tags to {feed.id}", err=True)


@group.command("update")
@click.argument("feed_ref", metavar="FEED")
@click.option("--primary-key", "primary_key", metavar="COL[,COL]")
@click.option("--tag", "tags", multiple=True, metavar="COL=TAG")
@click.option("--untag", multiple=True, metavar="COL", help="Remove a column's tag (repeatable).")
@click.option("--last-updated", metavar="COL")
@click.option("--generate-updated", is_flag=True)
@click.option("--stitch/--no-stitch", default=None)
@pass_ctx
def update(ctx: CliContext, feed_ref: str, primary_key: str | None, tags: tuple[str, ...], untag: tuple[str, ...],
           last_updated: str | None, generate_updated: bool, stitch: bool | None) -> None:
    """Change a feed's primary key, tags, last-updated rule or Stitch flag."""
    feed = update_feed(ctx.catalog, get_feed(ctx.catalog, feed_ref).id, primary_key=_keys(primary_key),
                       tags=_tags(tags), untag=list(untag), last_updated=last_updated,
                       generate_updated=generate_updated or None, stitch=stitch)
    click.echo(f"updated {feed.id} ({printable(feed.table_name)})")


@group.command("activate")
@click.argument("feed_ref", metavar="FEED")
@click.option("--load-sample/--no-load-sample", default=True, show_default=True,
              help="Load the sample file into the new table.")
@pass_ctx
def activate(ctx: CliContext, feed_ref: str, load_sample: bool) -> None:
    """Create the feed's domain table (and load its sample)."""
    feed, stats = activate_feed(ctx.catalog, ctx.workspace, get_feed(ctx.catalog, feed_ref).id, load_sample=load_sample)
    _report_load(feed, stats)
    click.echo(printable(feed.table_name))


@group.command("truncate")
@click.argument("feed_ref", metavar="FEED")
@pass_ctx
def truncate(ctx: CliContext, feed_ref: str) -> None:
    """Empty the feed's domain table (the next run loads its files again)."""
    feed = get_feed(ctx.catalog, feed_ref)
    if not ctx.workspace.warehouse_path.exists():
        raise NotFound(f"{feed.table_name} has no table yet", hint=f"activate it: `courier feeds activate {feed.id}`")
    truncate_feed(ctx.catalog, ctx.workspace, feed.id)
    click.echo(f"truncated {printable(feed.table_name)}")


@group.command("remove")
@click.argument("feed_ref", metavar="FEED")
@click.option("--drop-table", is_flag=True, help="Also drop the domain table and its rows.")
@pass_ctx
def remove(ctx: CliContext, feed_ref: str, drop_table: bool) -> None:
    """Remove a feed; its domain table is kept unless --drop-table."""
    feed = remove_feed(ctx.catalog, get_feed(ctx.catalog, feed_ref).id, workspace=ctx.workspace,
                       drop_table=drop_table)
    kept = "dropped its table" if drop_table else f"kept the table {feed.table_name}"
    click.echo(f"removed {feed.id} ({kept})")
