"""The file list of the Sample files screen as one Arrow table: landed files (from the ledger) or a
day's remote files, newest first; and the `/` filter over it.

A workspace can hold 100,000 landed files, and a Python object per file costs seconds. So the
ledger is read in ONE query that returns one JSON array per column (SQLite builds them, Arrow's
JSON reader parses them into columns) and the order is Arrow's. Values stay typed (a timestamp, sizes as
integers) and the partition text is derived from the key: the face formats only the rows it
draws. What the filter searches is built, vectorised, the first time a filter is typed.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from courier.core.catalog.catalog import Catalog
from courier.core.optimizely import NULL_PARTITION_VALUES, partition_of


class FileState(StrEnum):
    """Where a listed file stands: landed, or on S3 with its day ready, not ready, or without a marker."""

    LANDED = "landed"
    READY = "ready"
    NOT_READY = "NOT ready"
    NO_MARKER = "no marker"


FILE_SCHEMA = pa.schema([
    ("modified", pa.timestamp("us", tz="UTC")),  # the object's LastModified
    ("tag", pa.string()),
    ("day", pa.string()),
    ("ready", pa.string()),  # a FileState
    ("size", pa.int64()),  # bytes
    ("rows", pa.int64()),  # Parquet row count; null when unknown (remote, not Parquet)
    ("key", pa.string()),  # its partition text (shown beside it): `partition_text`
    ("courier", pa.string()),
    ("bucket", pa.string()),
])  # where a landed file is on disk: `landed_path` (only the selected file's is ever needed)
HIDDEN_PARTITIONS = ("date", "account_id")


class ListedObject(Protocol):
    """What a remote listing gives per object (courier.core.source.listing.RemoteObject; not imported
    here, so opening the file list does not import boto3)."""

    @property
    def bucket(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def last_modified(self) -> datetime: ...
    @property
    def tag(self) -> str: ...
    @property
    def day(self) -> date: ...
    @property
    def ready(self) -> bool | None: ...  # every file of a listing shares them (the day column shows the date)

# read in one pass over the ledger; `modified` in whole microseconds (exact, unlike a JSON float)
_LEDGER_COLUMNS = {
    "key": "key", "tag": "tag", "day": "day", "size": "size", "rows": "rows",
    "modified": "CAST(round(last_modified * 1000000) AS INTEGER)",
    "courier": "courier", "bucket": "bucket",
}
_HIVE_SEGMENT = r"^[A-Za-z_][A-Za-z0-9_]*="  # courier.core.optimizely's Hive name, then `=`
_NULL_SEGMENT = r"^([A-Za-z_][A-Za-z0-9_]*)=(?:" + "|".join(re.escape(v) for v in sorted(NULL_PARTITION_VALUES)) + ")$"


def partition_text(key: str) -> str:
    """The partition column of one key: its Hive segments as `name=value`, NULL markers as NULL."""
    return " ".join(f"{k}={'NULL' if v is None else v}" for k, v in partition_of(key).items()
                    if k not in HIDDEN_PARTITIONS)


def partition_texts(keys: pa.Array) -> pa.Array:
    """`partition_text` of every key, vectorised (a Python call per key costs ~1 s per 100,000 keys).

    Keys that need what Arrow cannot do cheaply -- percent-decoding (`%` in the key) or a name
    given twice (the last value wins) -- go through `partition_text` itself, so both agree exactly.
    """
    keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    if len(keys) == 0:
        return pa.array([], pa.string())
    segments = pc.split_pattern(keys, "/")
    flat = pc.list_flatten(segments)
    hidden = pc.or_(*(pc.starts_with(flat, f"{name}=") for name in HIDDEN_PARTITIONS))
    shown = pc.and_(pc.match_substring_regex(flat, _HIVE_SEGMENT), pc.invert(hidden))
    kept = flat.filter(shown)
    if pc.any(pc.or_(*(pc.ends_with(kept, f"={marker}") for marker in NULL_PARTITION_VALUES))).as_py():
        kept = pc.replace_substring_regex(kept, _NULL_SEGMENT, r"\1=NULL")
    # each key's list keeps only its shown segments: new offsets count them up to each old offset
    counted = pc.cumulative_sum(shown.cast(pa.int32()))
    offsets = pc.take(pa.concat_arrays([pa.array([0], pa.int32()), counted]), segments.offsets)
    texts = pc.binary_join(pa.ListArray.from_arrays(offsets, kept), " ")
    slow = set(pc.indices_nonzero(pc.match_substring(keys, "%")).to_pylist())
    if len(kept):  # a name given twice in one key: (key, name) pairs that are not unique
        owner = pc.list_parent_indices(segments).filter(shown).cast(pa.int64())
        names = pc.list_element(pc.split_pattern(kept, "=", max_splits=1), 0).dictionary_encode()
        pair = pc.add(pc.multiply(owner, len(names.dictionary)), names.indices.cast(pa.int64()))
        if len(pc.unique(pair)) < len(pair):
            counts = pa.table({"pair": pair, "owner": owner}).group_by(["pair", "owner"]).aggregate([("pair", "count")])
            slow.update(counts.filter(pc.greater(counts["pair_count"], 1))["owner"].to_pylist())
    if not slow:
        return texts
    values = texts.to_pylist()
    for index in slow:
        values[index] = partition_text(keys[index].as_py())
    return pa.array(values, pa.string())


def _finish(columns: dict[str, pa.Array]) -> pa.Table:
    """The listed columns as FILE_SCHEMA, the newest file first."""
    table = pa.table([columns[field.name] for field in FILE_SCHEMA], schema=FILE_SCHEMA)
    return table.sort_by([("modified", "descending"), ("key", "descending")])


def landed_files_table(catalog: Catalog, courier: str | None = None) -> pa.Table:
    """Every landed file (of one courier, or all), newest first by LastModified (ties: key), as FILE_SCHEMA.

    One query: SQLite aggregates each column into a JSON array in a single pass over the ledger, and
    Arrow's JSON reader turns the arrays into columns (no Python object per file, no GIL held).
    """
    arrays = ", ".join(f"'{name}', json_group_array({sql})" for name, sql in _LEDGER_COLUMNS.items())
    where, params = (" WHERE courier = ?", (courier,)) if courier else ("", ())
    text = catalog.execute(f"SELECT json_object({arrays}) FROM ledger{where}", params).fetchone()[0].encode()
    types = {field.name: pa.int64() if field.name == "modified" else field.type for field in FILE_SCHEMA}
    read = pj.read_json(io.BytesIO(text), read_options=pj.ReadOptions(block_size=len(text) + 1),
                        parse_options=pj.ParseOptions(explicit_schema=pa.schema(
                            [(name, pa.list_(types[name])) for name in _LEDGER_COLUMNS])))
    columns = {name: pc.list_flatten(read[name]) for name in _LEDGER_COLUMNS}
    columns["modified"] = columns["modified"].cast(FILE_SCHEMA.field("modified").type)
    columns["ready"] = pa.repeat(pa.scalar(FileState.LANDED.value, pa.string()), len(columns["key"]))
    return _finish(columns)


def remote_state(ready: bool | None) -> FileState:
    return {True: FileState.READY, False: FileState.NOT_READY, None: FileState.NO_MARKER}[ready]


def remote_files_table(courier: str, objects: Iterable[ListedObject]) -> pa.Table:
    """FILE_SCHEMA rows for a remote listing (a day's objects: hundreds, not 100,000), newest first."""
    objects = list(objects)
    return _finish({
        "modified": pa.array([o.last_modified for o in objects], FILE_SCHEMA.field("modified").type),
        "tag": pa.array([o.tag for o in objects], pa.string()),
        "day": pa.array([o.day.isoformat() for o in objects], pa.string()),
        "ready": pa.array([remote_state(o.ready).value for o in objects], pa.string()),
        "size": pa.array([o.size for o in objects], pa.int64()),
        "rows": pa.nulls(len(objects), pa.int64()),
        "key": pa.array([o.key for o in objects], pa.string()),
        "courier": pa.array([courier] * len(objects), pa.string()),
        "bucket": pa.array([o.bucket for o in objects], pa.string()),
    })


def empty_files_table() -> pa.Table:
    return FILE_SCHEMA.empty_table()


class FileList:
    """A file list (FILE_SCHEMA) and its filter. The text a filter searches -- key, tag, partition,
    day and state, lower case -- is built once, the first time a filter is typed, not to show the list."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._search: pa.Array | None = None
        self._lock = threading.Lock()  # filters run in workers

    def search_text(self) -> pa.Array:
        with self._lock:
            if self._search is None:
                t = self.table
                self._search = pc.utf8_lower(pc.binary_join_element_wise(
                    t["key"], t["tag"], partition_texts(t["key"]), t["day"], t["ready"], " ",
                    null_handling="replace", null_replacement=""))
            return self._search

    def matching(self, text: str) -> pa.Table:
        """The files whose key, tag, partition, day or state contain `text` (case-insensitive)."""
        needle = text.strip().lower()
        if not needle or self.table.num_rows == 0:
            return self.table
        return self.table.filter(pc.match_substring(self.search_text(), needle))


@dataclass(frozen=True)
class SampleOrigin:
    """Which courier landed a sample file, and as which file tag."""

    courier: str
    tag: str


def sample_origin(catalog: Catalog, key: str) -> SampleOrigin | None:
    """The courier and tag of the most recent landing of `key` (any courier), or None if it never landed."""
    row = catalog.one("SELECT courier, tag FROM ledger WHERE key = ? ORDER BY landed_at DESC LIMIT 1", (key,))
    return SampleOrigin(row["courier"], row["tag"]) if row else None


def landed_path(catalog: Catalog, courier: str, bucket: str, key: str) -> str | None:
    """Where a landed file of the list is on disk (None: no longer in the ledger)."""
    row = catalog.one("SELECT local_path FROM ledger WHERE courier = ? AND bucket = ? AND key = ?", (courier, bucket, key))
    return row["local_path"] if row else None


def newest_landed_day(catalog: Catalog, courier: str | None = None) -> str | None:
    """The latest day any file was landed for (of one courier, or all): the remote listing's default day."""
    where, params = (" WHERE courier = ?", (courier,)) if courier else ("", ())
    row = catalog.one(f"SELECT MAX(day) AS day FROM ledger{where}", params)
    return row["day"] if row and row["day"] else None
