"""A feed's schema comes from a sample file: column names, DuckDB types, a few sample values.

pyarrow reads every format (Parquet footer + first rows, CSV/TSV/PSV, NDJSON); DuckDB names the
types, so the type a feed shows is exactly the type its domain table gets (nested list/struct/map
types stay nested). `open_stream` is the streaming reader loads use: memory is bounded by a batch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from courier.core import lazy
from courier.core.errors import ConfigError
from courier.core.optimizely import partition_of
from courier.core.types import ContentType
from courier.core.warehouse.files import (
    PARQUET,
    column_name_problem,
    duckdb_types,
    infer_content_type,
    open_stream,
    parquet_row_count,
    parse_content_type,
)

if TYPE_CHECKING:
    import pyarrow as pa
else:  # stand-ins imported on first use (core/lazy.py), so landing never imports them
    pa = lazy.module("pyarrow")

SAMPLE_VALUES = 5
SAMPLE_ROWS = 1000


@dataclass
class Column:
    """One column of a feed: its DuckDB type, the Arrow type it was read as, a few values."""

    name: str
    type: str
    arrow_type: str
    samples: list[str] = field(default_factory=list)
    null_share: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Column:
        return cls(name=data["name"], type=data["type"], arrow_type=data.get("arrow_type", ""),
                   samples=list(data.get("samples", [])), null_share=float(data.get("null_share", 0.0)))


@dataclass
class SampleSchema:
    """What a sample file says about a feed."""

    path: Path
    content_type: ContentType
    columns: list[Column]
    rows_sampled: int
    total_rows: int | None
    options: dict[str, Any] = field(default_factory=dict)
    partition: dict[str, str | None] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def hive_partition(key: str) -> dict[str, str | None]:
    """`key=value` folders of an object key: the same rule as the export's keys (courier.core.optimizely)."""

    return partition_of(key.rsplit("/", 1)[0] + "/" if "/" in key else "")


def read_sample(path: Path, content_type: ContentType | str | None = None, *, separator: str | None = None,
                header_rows: int = 1, quote: str | None = None, escape: str | None = None,
                sample_rows: int = SAMPLE_ROWS) -> SampleSchema:
    """Schema and sample values of a file (Parquet: footer + first rows)."""
    content_type = parse_content_type(content_type) if content_type else None
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"sample file {path} does not exist", hint="give a landed key or a local file")
    content_type = content_type or infer_content_type(path)
    options: dict[str, Any] = {k: v for k, v in (("separator", separator), ("quote", quote), ("escape", escape)) if v}
    if header_rows != 1:
        options["header_rows"] = header_rows
    schema, batches = open_stream(path, content_type, batch_rows=sample_rows, **options)
    first = next(batches, None)
    rows = first.slice(0, sample_rows) if first is not None else schema.empty_table().to_batches()
    table = pa.Table.from_batches([rows] if isinstance(rows, pa.RecordBatch) else rows, schema=schema)
    problem = column_name_problem(schema.names)
    if problem:
        raise ConfigError(f"{path.name}: {problem[0]}", hint=problem[1])
    _check_names(path, schema.names)
    columns = [Column(name=name, type=type_, arrow_type=str(schema.field(name).type),
                      samples=_samples(table.column(name)),
                      null_share=round(table.column(name).null_count / table.num_rows, 4) if table.num_rows else 0.0)
               for name, type_ in duckdb_types(schema)]
    total = parquet_row_count(path) if content_type == PARQUET else None
    return SampleSchema(path=path, content_type=content_type, columns=columns, rows_sampled=table.num_rows,
                        total_rows=total, options=options, partition=hive_partition(path.as_posix()))


def _check_names(path: Path, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if not name.strip():
            raise ConfigError(f"{path.name} has a column with an empty name",
                              hint="give every column a header, or use header rows 0")
        if name.lower() in seen:
            raise ConfigError(f'{path.name} has the column "{name}" twice',
                              hint="column names must be unique (case-insensitive); rename one in the source")
        seen.add(name.lower())


def _samples(column: pa.ChunkedArray) -> list[str]:
    values: list[str] = []
    is_map = pa.types.is_map(column.type)
    for scalar in column:
        if not scalar.is_valid:
            continue
        value = scalar.as_py()
        text = format_value(dict(value) if is_map else value)
        if text not in values:
            values.append(text)
            if len(values) == SAMPLE_VALUES:
                break
    return values


def format_value(value: Any, width: int = 60) -> str:
    """A short readable rendering of one cell (nested values as compact JSON)."""
    if isinstance(value, (datetime, date, time)):
        text = value.isoformat()
    elif isinstance(value, bytes):
        text = value[:24].hex()
    elif isinstance(value, (list, dict, tuple)):
        text = json.dumps(value, default=str, separators=(",", ":"))
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


