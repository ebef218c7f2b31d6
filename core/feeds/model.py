"""Feeds: a schema from a sample file, a primary key, semantic tags and a last-updated rule.

A feed loads into the domain table `<source>:<name>`. Its id is `df-` + 6 random alphanumerics
(Amperity's shape; never the placeholder `df-xxxxxx`). The feed row lives in the catalog; the
domain table lives in the warehouse and is created when the feed is activated.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from courier.core.catalog.catalog import Catalog, dumps, loads, now
from courier.core.catalog.workspace import Workspace
from courier.core.errors import ConfigError, Fix, FixKind, did_you_mean, not_found
from courier.core.feeds.schema import Column, hive_partition, read_sample
from courier.core.feeds.tags import (
    ONCE_PER_FEED,
    apply_suggestions,
    is_pii,
    suggest_tags,
    validate_tag,
)
from courier.core.text import iso_utc
from courier.core.types import ContentType
from courier.core.warehouse.duckdb import Warehouse
from courier.core.warehouse.spec import (
    INTEGER_TYPES,
    LoadProgress,
    LoadStats,
    SourceFile,
    create_table_sql,
    reserved_column,
)

PLACEHOLDER_ID = "df-xxxxxx"
_ID_ALPHABET = string.ascii_letters + string.digits
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass
class Feed:
    id: str
    source: str
    name: str
    sample: str
    columns: list[Column]
    primary_key: list[str]
    tags: dict[str, str]
    last_updated: str | None
    generate_updated: bool
    stitch: bool
    active: bool
    content_type: ContentType | None = None
    options: dict[str, Any] = field(default_factory=dict)
    partition_columns: list[str] = field(default_factory=list)
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def table_name(self) -> str:
        return f"{self.source}:{self.name}"

    def column(self, name: str) -> Column:
        return _find_column(self.columns, name, self.table_name)


def new_feed_id() -> str:
    """`df-` + 6 random letters/digits (the placeholder `df-xxxxxx` is never issued)."""
    while True:
        feed_id = "df-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))
        if feed_id != PLACEHOLDER_ID:
            return feed_id


# -- samples ----------------------------------------------------------------------------------


@dataclass
class SampleRef:
    """Where a sample lives: `stored` is what the catalog keeps (s3://bucket/key or a path)."""

    stored: str
    path: Path
    key: str
    partition: dict[str, str | None]


def resolve_sample(catalog: Catalog, sample: str) -> SampleRef:
    """A landed key (key, bucket/key or s3://bucket/key, via the ledger) or a local file."""
    text = sample.strip()
    if text.startswith("s3://"):
        bucket, _, key = text[5:].partition("/")
        rows = catalog.all("SELECT bucket, key, local_path, MAX(landed_at) FROM ledger WHERE bucket = ? AND key = ?"
                           " GROUP BY bucket, key", (bucket, key))
    else:  # one row per object: couriers on one bucket each have a ledger row for it (the newest wins)
        rows = catalog.all("SELECT bucket, key, local_path, MAX(landed_at) FROM ledger"
                           " WHERE key = ? OR bucket || '/' || key = ? GROUP BY bucket, key", (text, text))
    if len(rows) > 1:
        raise ConfigError(f'sample "{sample}" matches landed files in {len(rows)} buckets',
                          hint=f"name the bucket: s3://{rows[0]['bucket']}/{rows[0]['key']}")
    if rows:
        row = rows[0]
        path = Path(row["local_path"])
        if not path.is_file():
            raise ConfigError(f"landed file {row['key']} is missing from {path}",
                              hint="run the courier again to land it")
        return SampleRef(f"s3://{row['bucket']}/{row['key']}", path, row["key"], hive_partition(row["key"]))
    path = Path(text).expanduser()
    if path.is_file():
        path = path.resolve()
        return SampleRef(str(path), path, path.as_posix(), hive_partition(path.as_posix()))
    keys = [r["key"] for r in catalog.all("SELECT key FROM ledger GROUP BY key ORDER BY MAX(landed_at) DESC LIMIT 2000")]
    raise not_found(f'sample "{sample}" is neither a landed key nor a file', text, keys,
                    otherwise="list landed files with `courier files COURIER`, or give a local file")


def sample_source_file(catalog: Catalog, feed: Feed) -> SourceFile:
    ref = resolve_sample(catalog, feed.sample)
    return SourceFile(path=ref.path, key=ref.key, partition=ref.partition, content_type=feed.content_type,
                      options=dict(feed.options))


# -- validation -------------------------------------------------------------------------------


def _check_name(what: str, value: str) -> str:
    if not _NAME.fullmatch(value or ""):
        raise ConfigError(f"{what} {value!r} is not a valid name",
                          hint=f"start with a letter; use letters, digits, '_' or '-' (up to 64), e.g. "
                               f"{'Optimizely' if what == 'source' else 'Decisions'}")
    return value


def _find_column(columns: list[Column], name: str, where: str) -> Column:
    for column in columns:
        if column.name == name:
            return column
    for column in columns:
        if column.name.lower() == name.lower():
            return column
    raise ConfigError(f'{where} has no column "{name}"',
                      hint=did_you_mean(name, [c.name for c in columns], cutoff=0.5)
                      or f"columns: {', '.join(c.name for c in columns)}")


def _check_last_updated(columns: list[Column], name: str, where: str) -> str:
    column = _find_column(columns, name, where)
    if column.type == "DATE":
        raise ConfigError(f"last-updated column {column.name} is a DATE, too coarse to order updates",
                          hint="pick a datetime or integer (unix time) column (Amperity rejects date fields too)",
                          fix=Fix(FixKind.TURN_ON, "generate_updated", why="instead"))
    if not (column.type.startswith("TIMESTAMP") or column.type in INTEGER_TYPES):
        raise ConfigError(f"last-updated column {column.name} is {column.type}, not a datetime or integer",
                          hint="pick a datetime or integer (unix time) column",
                          fix=Fix(FixKind.TURN_ON, "generate_updated", why="instead"))
    return column.name


def _check_keys(columns: list[Column], keys: list[str], where: str) -> list[str]:
    names: list[str] = []
    for key in keys:
        column = _find_column(columns, key, where)
        if column.type.endswith("]") or column.type.startswith(("STRUCT", "MAP", "UNION")):
            raise ConfigError(f"primary key column {column.name} is {column.type}; a key must be a plain value",
                              hint="pick a text, number or datetime column")
        if column.name not in names:
            names.append(column.name)
    return names


def _check_tags(columns: list[Column], tags: dict[str, str], where: str) -> dict[str, str]:
    checked: dict[str, str] = {}
    for col, tag in tags.items():
        checked[_find_column(columns, col, where).name] = validate_tag(tag)
    for once in ONCE_PER_FEED:
        holders = [c for c, t in checked.items() if t == once]
        if len(holders) > 1:
            raise ConfigError(f"tag {once} is on {len(holders)} columns ({', '.join(holders)}); Amperity allows it once per feed",
                              hint=f"keep {once} on one column")
    return checked


def _keys_and_tags(columns: list[Column], primary_key: list[str], tags: dict[str, str],
                   where: str) -> tuple[list[str], dict[str, str]]:
    """The primary key is the given columns plus any tagged `pk`; key columns get the `pk` tag."""
    tags = _check_tags(columns, tags, where)
    keys = _check_keys(columns, list(primary_key) + [c for c, t in tags.items() if t == "pk"], where)
    for key in keys:
        tags.setdefault(key, "pk")
    return keys, tags


# -- catalog rows -----------------------------------------------------------------------------


def _draft_feed(catalog: Catalog, *, source: str, name: str, sample: str, primary_key: list[str] | None,
                tags: dict[str, str] | None, last_updated: str | None, generate_updated: bool, stitch: bool,
                content_type: ContentType | str | None, options: dict[str, Any] | None) -> Feed:
    """Read the sample and validate everything; the feed gets a free id but is not stored yet."""
    _check_name("source", source)
    _check_name("name", name)
    where = f"{source}:{name}"
    clash = catalog.one("SELECT id FROM feeds WHERE lower(source) = lower(?) AND lower(name) = lower(?)", (source, name))
    if clash:
        raise ConfigError(f"feed {where} already exists ({clash['id']})",
                          hint=f"use another name, or `courier feeds remove {clash['id']}` first")
    if last_updated and generate_updated:
        raise ConfigError("choose either a last-updated column or a generated _updated, not both",
                          hint="keep a last-updated column or the generated _updated, not both")
    ref = resolve_sample(catalog, sample)
    options = dict(options or {})
    schema = read_sample(ref.path, content_type, **options)
    for column in schema.columns:
        if reserved_column(column.name):
            raise ConfigError(f'sample column "{column.name}" clashes with a column courier adds',
                              hint="rename it in the source")
    keys, checked_tags = _keys_and_tags(schema.columns, primary_key or [], tags or {}, where)
    updated_column = _check_last_updated(schema.columns, last_updated, where) if last_updated else None
    feed = Feed(id="", source=source, name=name, sample=ref.stored, columns=schema.columns, primary_key=keys,
                tags=checked_tags, last_updated=updated_column, generate_updated=updated_column is None,
                stitch=stitch, active=False, content_type=schema.content_type, options=schema.options,
                partition_columns=list(ref.partition), created_at=now(), updated_at=now())
    while True:
        feed.id = new_feed_id()
        if catalog.one("SELECT 1 FROM feeds WHERE id = ?", (feed.id,)) is None:
            return feed


def _insert_feed(catalog: Catalog, feed: Feed) -> None:
    catalog.execute(
        "INSERT INTO feeds (id, source, name, sample, schema, primary_key, tags, last_updated, generate_updated,"
        " stitch, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (feed.id, feed.source, feed.name, feed.sample, _schema_json(feed), dumps(feed.primary_key), dumps(feed.tags),
         feed.last_updated, int(feed.generate_updated), int(feed.stitch), int(feed.active), feed.created_at,
         feed.updated_at))


def add_feed(catalog: Catalog, *, source: str, name: str, sample: str, primary_key: list[str] | None = None,
             tags: dict[str, str] | None = None, last_updated: str | None = None, generate_updated: bool = False,
             stitch: bool = False, content_type: str | None = None, options: dict[str, Any] | None = None) -> Feed:
    """Read the sample, validate everything, store the feed as a draft (not active); returns it with its new id.

    A draft may lack a primary key; `activate_feed` gives it a table later. To add and activate
    in one step, use `create_active_feed`.
    """
    feed = _draft_feed(catalog, source=source, name=name, sample=sample, primary_key=primary_key, tags=tags,
                       last_updated=last_updated, generate_updated=generate_updated, stitch=stitch,
                       content_type=content_type, options=options)
    _insert_feed(catalog, feed)
    return feed


def create_active_feed(catalog: Catalog, workspace: Workspace, *, source: str, name: str, sample: str,
                       primary_key: list[str] | None = None, tags: dict[str, str] | None = None,
                       last_updated: str | None = None, generate_updated: bool = False, stitch: bool = False,
                       content_type: str | None = None, options: dict[str, Any] | None = None,
                       load_sample: bool = True,
                       on_progress: Callable[[LoadProgress], None] | None = None) -> tuple[Feed, LoadStats | None]:
    """Add a feed and activate it in one step: afterwards there is an active feed with its table, or nothing.

    Everything is checked before any work (a feed without a primary key is refused, not left
    behind as a draft that blocks the next try with "already exists"). If creating the table or
    loading the sample fails, the new table is dropped again and no feed row is stored.
    """
    feed = _draft_feed(catalog, source=source, name=name, sample=sample, primary_key=primary_key, tags=tags,
                       last_updated=last_updated, generate_updated=generate_updated, stitch=stitch,
                       content_type=content_type, options=options)
    if not feed.primary_key:
        proposed = [c for c, t in suggest_tags([c.name for c in feed.columns]).items() if t == "pk"]
        raise ConfigError(f"feed {feed.table_name} needs a primary key before it can be activated",
                          hint=f"add --primary-key {proposed[0] if proposed else 'COL'}")
    create_table_sql(feed)  # the table's spec is valid before the warehouse is touched
    files = [sample_source_file(catalog, feed)] if load_sample else []
    with workspace.wait_lock("warehouse"), Warehouse(workspace.warehouse_path) as warehouse:
        existed = warehouse.has_table(feed.table_name)  # kept from a removed feed: never dropped here
        try:
            warehouse.ensure_table(feed)
            stats = (warehouse.load(feed, files, truncate=False, run_id=f"activate-{feed.id}",
                                    on_progress=on_progress) if files else None)
            feed.active = True
            _insert_feed(catalog, feed)
        except BaseException:
            if not existed and warehouse.has_table(feed.table_name):
                warehouse.drop(feed)
            raise
    return feed, stats


def _schema_json(feed: Feed) -> str:
    return dumps({"columns": [c.to_json() for c in feed.columns], "content_type": feed.content_type,
                  "options": feed.options, "partition_columns": feed.partition_columns})


def _from_row(row: Any) -> Feed:
    schema = loads(row["schema"], {})
    if isinstance(schema, list):  # tolerate a bare column list
        schema = {"columns": schema}
    return Feed(id=row["id"], source=row["source"], name=row["name"], sample=row["sample"],
                columns=[Column.from_json(c) for c in schema.get("columns", [])],
                primary_key=loads(row["primary_key"], []), tags=loads(row["tags"], {}),
                last_updated=row["last_updated"], generate_updated=bool(row["generate_updated"]),
                stitch=bool(row["stitch"]), active=bool(row["active"]),
                content_type=_stored_content_type(schema.get("content_type")),
                options=schema.get("options", {}), partition_columns=schema.get("partition_columns", []),
                created_at=row["created_at"], updated_at=row["updated_at"])


def _stored_content_type(value: str | None) -> ContentType | None:
    """A stored feed's sample format. Feeds added before the one content-type table could say
    application/x-json-stream, which was read as NDJSON: they keep reading so."""
    if not value:
        return None
    return ContentType.NDJSON if value == "application/x-json-stream" else ContentType(value)


def list_feeds(catalog: Catalog) -> list[Feed]:
    return [_from_row(r) for r in catalog.all("SELECT * FROM feeds ORDER BY lower(source), lower(name)")]


def get_feed(catalog: Catalog, feed_id_or_table_name: str) -> Feed:
    """By id (`df-...`) or by table name (`Source:Name`, case-insensitive)."""
    wanted = feed_id_or_table_name.strip()
    row = catalog.one("SELECT * FROM feeds WHERE id = ?", (wanted,))
    if row is None and ":" in wanted:
        source, _, name = wanted.partition(":")
        row = catalog.one("SELECT * FROM feeds WHERE lower(source) = lower(?) AND lower(name) = lower(?)",
                          (source, name))
    if row is not None:
        return _from_row(row)
    known = [r["id"] for r in catalog.all("SELECT id FROM feeds")]
    known += [f"{r['source']}:{r['name']}" for r in catalog.all("SELECT source, name FROM feeds")]
    raise not_found(f'feed "{wanted}" does not exist', wanted, known, cutoff=0.5,
                    otherwise="`courier feeds list` shows the feeds")


def update_feed(catalog: Catalog, feed_id: str, *, primary_key: list[str] | None = None,
                tags: dict[str, str] | None = None, untag: list[str] | None = None, last_updated: str | None = None,
                generate_updated: bool | None = None, stitch: bool | None = None) -> Feed:
    """Change a feed's key, tags (merged; `untag` removes), last-updated rule or Stitch flag."""
    feed = get_feed(catalog, feed_id)
    merged = dict(feed.tags)
    for col in untag or []:
        merged.pop(_find_column(feed.columns, col, feed.table_name).name, None)
    if primary_key is not None:
        merged = {c: t for c, t in merged.items() if t != "pk"}
    merged.update(tags or {})
    keys, checked = _keys_and_tags(feed.columns, primary_key if primary_key is not None else
                                   [k for k in feed.primary_key if merged.get(k, "pk") == "pk"], merged, feed.table_name)
    if feed.active and keys != feed.primary_key:
        raise ConfigError(f"feed {feed.id} is active; its table {feed.table_name} is keyed on {', '.join(feed.primary_key)}",
                          hint=f"remove it with `courier feeds remove {feed.id} --drop-table` and add it again "
                               "with the new key (Amperity purges the table too)")
    if last_updated and generate_updated:
        raise ConfigError("choose either a last-updated column or a generated _updated, not both",
                          hint="drop one of the two options")
    if last_updated:
        feed.last_updated, feed.generate_updated = _check_last_updated(feed.columns, last_updated, feed.table_name), False
    elif generate_updated:
        feed.last_updated, feed.generate_updated = None, True
    if stitch is not None:
        feed.stitch = stitch
    feed.primary_key, feed.tags, feed.updated_at = keys, checked, now()
    catalog.execute("UPDATE feeds SET primary_key = ?, tags = ?, last_updated = ?, generate_updated = ?, stitch = ?,"
                    " updated_at = ? WHERE id = ?",
                    (dumps(keys), dumps(checked), feed.last_updated, int(feed.generate_updated), int(feed.stitch),
                     feed.updated_at, feed.id))
    return feed


def apply_suggested_tags(catalog: Catalog, feed_id: str) -> tuple[Feed, dict[str, str]]:
    """Store the suggested tags (and key, if the feed has none) on a feed's untagged columns.

    Returns the feed and the tags it gained (empty: nothing new to suggest).
    """
    feed = get_feed(catalog, feed_id)
    applied = apply_suggestions([c.name for c in feed.columns], feed.tags, feed.primary_key)
    if applied.new:
        feed = update_feed(catalog, feed.id, tags=applied.new)
    return feed, applied.new


def set_active(catalog: Catalog, feed_id: str, active: bool) -> None:
    catalog.execute("UPDATE feeds SET active = ?, updated_at = ? WHERE id = ?", (int(active), now(), feed_id))


def feed_to_json(feed: Feed) -> dict[str, Any]:
    return {
        "id": feed.id, "source": feed.source, "name": feed.name, "table": feed.table_name, "sample": feed.sample,
        "content_type": feed.content_type, "primary_key": feed.primary_key, "last_updated": feed.last_updated,
        "generate_updated": feed.generate_updated, "stitch": feed.stitch, "active": feed.active,
        "partition_columns": feed.partition_columns, "tags": feed.tags,
        "columns": [{"name": c.name, "type": c.type, "tag": feed.tags.get(c.name), "pii": is_pii(feed.tags.get(c.name)),
                     "samples": c.samples, "null_share": c.null_share} for c in feed.columns],
        "created_at": iso_utc(feed.created_at), "updated_at": iso_utc(feed.updated_at),
    }


# -- the feed's domain table ------------------------------------------------------------------


def activate_feed(catalog: Catalog, workspace: Workspace, feed_id: str, *, load_sample: bool = False,
                  run_id: str | None = None,
                  on_progress: Callable[[LoadProgress], None] | None = None) -> tuple[Feed, LoadStats | None]:
    """Create the domain table and, when asked, upsert the sample file into it."""

    feed = get_feed(catalog, feed_id)
    create_table_sql(feed)  # a feed without a primary key cannot be activated: say so before any work
    files = [sample_source_file(catalog, feed)] if load_sample else []
    with workspace.wait_lock("warehouse"), Warehouse(workspace.warehouse_path) as warehouse:
        warehouse.ensure_table(feed)
        stats = (warehouse.load(feed, files, truncate=False, run_id=run_id or f"activate-{feed.id}",
                                on_progress=on_progress) if files else None)
    set_active(catalog, feed.id, True)
    feed.active = True
    return feed, stats


def truncate_feed(catalog: Catalog, workspace: Workspace, feed_id: str) -> Feed:
    """Empty the domain table; its files count as not loaded any more, so a re-run loads them again."""

    feed = get_feed(catalog, feed_id)
    with workspace.wait_lock("warehouse"), Warehouse(workspace.warehouse_path) as warehouse:
        warehouse.truncate(feed)
    catalog.execute("DELETE FROM loaded_files WHERE feed_id = ?", (feed.id,))
    return feed


def remove_feed(catalog: Catalog, feed_id: str, *, workspace: Workspace | None = None,
                drop_table: bool = False) -> Feed:
    """Delete the feed; its domain table stays unless `drop_table` (data is never dropped by default)."""
    feed = get_feed(catalog, feed_id)
    if drop_table:
        if workspace is None:
            raise ConfigError("dropping a feed's table needs the workspace", hint="pass workspace=")
        if workspace.warehouse_path.exists():
            with workspace.wait_lock("warehouse"), Warehouse(workspace.warehouse_path) as warehouse:
                warehouse.drop(feed)
    with catalog.transaction() as db:
        db.execute("DELETE FROM feeds WHERE id = ?", (feed.id,))
        db.execute("DELETE FROM loaded_files WHERE feed_id = ?", (feed.id,))
    return feed



def check_last_updated(columns: list[Column], name: str, where: str = "last-updated") -> str:
    """Public form of the last-updated rule (datetime or integer; DATE refused), for the TUI."""
    return _check_last_updated(columns, name, where)
