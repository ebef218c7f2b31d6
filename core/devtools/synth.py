"""A deterministic synthetic Optimizely export, shaped like the real one (optimizely-export.md §2, §6).

Used by `courier demo`, tests and benchmarks: it writes the Hive tree Optimizely writes (one part
file per experiment/event partition, date-level `_SUCCESS` last, the newest day optionally still
in flight), with the real schemas, snappy, one row group, and the quirks a loader must survive:
duplicate uuids (also across days), clock skew, late events, escaped and NULL event partitions,
session_id/experiments dropped after 2023-10-09. Same spec and seed -> byte-identical files.

Memory is bounded by one part file: rows are generated in batches of `BATCH_ROWS` and kept as
Arrow arrays until the file's single row group is written; `max_rows_per_file` (Spark's
maxRecordsPerFile) rolls a large partition into `c001`, `c002`, ... so a file never grows past it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from courier.core import optimizely as opt
from courier.core.devtools.synth_rows import RowMaker, World, _apportion, _uuid4
from courier.core.errors import ConfigError

BATCH_ROWS = 32_768
DAY_MS = 86_400_000


@dataclass(frozen=True)
class ExportSpec:
    """What to generate. `events` entries of None make the `event=NULL` partition."""

    account_id: str = "1234567890"
    start: date = date(2026, 11, 1)
    days: int = 3
    decisions_per_day: int = 2000
    conversions_per_day: int = 1000
    experiments: int = 3
    events: tuple[str | None, ...] = (
        "add_to_cart", "purchase", "21514690867_button_1", "Main_Nav_javascript:void(0);",
        "page view", None,
    )
    duplicate_share: float = 0.005
    newest_day_ready: bool = False
    seed: int = 7
    max_rows_per_file: int = 250_000
    track_uuids: bool = True  # False: ExportObject.uuids is None (saves memory for huge exports)

    def __post_init__(self) -> None:
        opt.validate_account_id(self.account_id)
        if self.days < 1 or self.experiments < 1 or self.max_rows_per_file < 1:
            raise ConfigError("days, experiments and max_rows_per_file must be at least 1",
                              hint="pass positive numbers")
        if self.decisions_per_day < 0 or self.conversions_per_day < 0:
            raise ConfigError("rows per day cannot be negative", hint="pass 0 or more")
        if not 0.0 <= self.duplicate_share < 1.0:
            raise ConfigError(f"duplicate share {self.duplicate_share} is not in [0, 1)",
                              hint="use e.g. 0.005 for 0.5%")
        if not self.events:
            raise ConfigError("no event names to generate", hint="give at least one event")

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


@dataclass
class ExportObject:
    """One object of the export, in upload order. Markers have an empty body and zero rows."""

    key: str
    body: bytes
    rows: int = 0
    uuids: frozenset[str] | None = None  # None for markers and when spec.track_uuids is False
    duplicates: int = 0  # rows whose uuid was already written earlier in this export


@dataclass
class ExportSummary:
    """What was written. `rows`/`distinct_uuids` are keyed by dataset ("decisions", "events")."""

    keys: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    distinct_uuids: dict[str, int] = field(default_factory=dict)
    days_ready: list[date] = field(default_factory=list)
    days_not_ready: list[date] = field(default_factory=list)

    def add(self, obj: ExportObject) -> None:
        self.keys.append(obj.key)
        dataset = opt.parse_partition(obj.key).dataset
        if opt.is_ready_marker(obj.key) or dataset is None:
            return
        self.rows[dataset] = self.rows.get(dataset, 0) + obj.rows
        fresh = obj.rows - obj.duplicates
        self.distinct_uuids[dataset] = self.distinct_uuids.get(dataset, 0) + fresh


def parquet_bytes(schema: pa.Schema, batches: list[pa.RecordBatch]) -> bytes:
    """One snappy Parquet file with a single row group and Spark's footer key, as E3 has."""
    table = pa.Table.from_batches(batches, schema)
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, schema, compression="snappy", store_schema=False,
                          use_dictionary=True, write_statistics=True) as writer:
        writer.write_table(table, row_group_size=max(1, table.num_rows))
        writer.add_key_value_metadata({opt.SPARK_ROW_METADATA: opt.spark_row_metadata(schema)})
    return sink.getvalue().to_pybytes()


def _files_for_partition(
    maker: RowMaker, spec: ExportSpec, dataset: str, day: date, partition_index: int,
    rows: int, task: int, job: str,
) -> Iterator[ExportObject]:
    """The part file(s) of one partition on one day, rolling every `max_rows_per_file` rows."""
    schema = opt.SCHEMAS[dataset]
    value = maker.partition_value(dataset, partition_index)
    day_ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    done = 0
    counter = 0
    while done < rows:
        in_file = min(spec.max_rows_per_file, rows - done)
        batches: list[pa.RecordBatch] = []
        uuids: set[str] = set()
        dups = 0
        for start in range(0, in_file, BATCH_ROWS):
            slots = range(done + start, done + min(in_file, start + BATCH_ROWS))
            # process_timestamp spreads the partition's rows evenly over the UTC day, in order
            times = [day_ms + (i * DAY_MS + maker.rng.randrange(DAY_MS)) // rows for i in slots]
            batch, batch_dups = maker.batch(dataset, partition_index, day, times)
            dups += batch_dups
            if spec.track_uuids:
                uuids.update(batch.column(0).to_pylist())
            batches.append(batch)
        name = f"part-{task:05d}-{job}.c{counter:03d}.snappy.parquet"
        yield ExportObject(
            key=opt.data_key(spec.account_id, dataset, day, value, name),
            body=parquet_bytes(schema, batches), rows=in_file,
            uuids=frozenset(uuids) if spec.track_uuids else None, duplicates=dups,
        )
        done += in_file
        counter += 1


def iter_export(spec: ExportSpec) -> Iterator[ExportObject]:
    """Every object in upload order: per day the data files, then that day's `_SUCCESS` markers."""
    world = World.build(spec.seed, spec.account_id, spec.experiments, spec.events,
                        spec.decisions_per_day + spec.conversions_per_day)
    maker = RowMaker(world, spec.duplicate_share, random.Random(f"{spec.seed}:rows"))
    for day_index, day in enumerate(spec.dates):
        day_rng = random.Random(f"{spec.seed}:day:{day.isoformat()}")
        plan = (
            (opt.DECISIONS, spec.decisions_per_day,
             [day_rng.uniform(1.0, 3.0) for _ in world.experiments]),
            (opt.EVENTS, spec.conversions_per_day,
             [w * day_rng.uniform(0.8, 1.2) for w in world.event_weights]),
        )
        events_job = _uuid4(day_rng)  # one Spark job writes every event partition of a day
        for dataset, total, weights in plan:
            for index, rows in enumerate(_apportion(total, weights)):
                if rows == 0:
                    continue
                if dataset == opt.DECISIONS:
                    task, job = 0, _uuid4(day_rng)
                else:
                    task, job = index, events_job
                yield from _files_for_partition(maker, spec, dataset, day, index, rows, task, job)
        if day_index < spec.days - 1 or spec.newest_day_ready:
            for dataset in (opt.DECISIONS, opt.EVENTS):
                yield ExportObject(key=opt.ready_marker_key(spec.account_id, dataset, day), body=b"")


def _summarise(spec: ExportSpec, summary: ExportSummary) -> ExportSummary:
    ready = {opt.parse_partition(k).date for k in summary.keys if opt.is_ready_marker(k)}
    for day in spec.dates:
        (summary.days_ready if day.isoformat() in ready else summary.days_not_ready).append(day)
    for dataset in (opt.DECISIONS, opt.EVENTS):
        summary.rows.setdefault(dataset, 0)
        summary.distinct_uuids.setdefault(dataset, 0)
    return summary


def write_export(spec: ExportSpec, root: Path) -> ExportSummary:
    """Write the export under a local folder whose relative paths are the S3 keys."""
    summary = ExportSummary()
    for obj in iter_export(spec):
        path = root / obj.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(obj.body)
        summary.add(obj)
    return _summarise(spec, summary)


def upload_export(
    spec: ExportSpec, s3_client: Any, bucket: str = opt.DEFAULT_BUCKET, *,
    kms_key_id: str | None = None, create_bucket: bool = True,
) -> ExportSummary:
    """Put the export into a bucket in upload order, SSE-KMS encrypted when a key id is given."""
    if create_bucket:
        region = s3_client.meta.region_name
        params: dict[str, Any] = {"Bucket": bucket}
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            s3_client.create_bucket(**params)
        except s3_client.exceptions.BucketAlreadyOwnedByYou:
            pass
    extra: dict[str, str] = {}
    if kms_key_id:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
    summary = ExportSummary()
    for obj in iter_export(spec):
        s3_client.put_object(Bucket=bucket, Key=obj.key, Body=obj.body, **extra)
        summary.add(obj)
    return _summarise(spec, summary)
