"""Reading landed files: which format a file holds, its rows as Arrow batches, its DuckDB column types.

The warehouse loads files and feeds sample them, so this lives at the warehouse floor where both can use it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from courier.core import lazy
from courier.core.errors import ConfigError, did_you_mean, first_line
from courier.core.types import UNSUPPORTED_CONTENT_TYPES, ContentType

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson
    import pyarrow.parquet as pq
else:  # stand-ins imported on first use (core/lazy.py), so landing never imports them
    duckdb = lazy.module("duckdb")
    pa = lazy.module("pyarrow")
    pacsv = lazy.module("pyarrow.csv")
    pajson = lazy.module("pyarrow.json")
    pq = lazy.module("pyarrow.parquet")

PARQUET = ContentType.PARQUET
CSV = ContentType.CSV
TSV = ContentType.TSV
PSV = ContentType.PSV
NDJSON = ContentType.NDJSON
JSON_TYPES = frozenset(t for t in ContentType if t.json)
DELIMITED = {t: t.separator for t in ContentType if t.delimited}
CONTENT_TYPES: tuple[ContentType, ...] = tuple(ContentType)


def parse_content_type(value: object, where: str | None = None) -> ContentType:
    """`value` as a ContentType, or the one error every face shows for a type courier does not read.

    Entities lists (`file/content-type`), feeds (`--content-type`) and loads all come through here,
    so Amperity's types courier cannot read yet (UNSUPPORTED_CONTENT_TYPES) get the same line everywhere.
    """
    if isinstance(value, ContentType):
        return value
    if isinstance(value, str) and value in ContentType._value2member_map_:
        return ContentType(value)
    supported = ", ".join(CONTENT_TYPES)
    if value in UNSUPPORTED_CONTENT_TYPES:
        raise ConfigError(f"{value} is not supported yet", where=where, hint=f"supported: {supported}")
    shown = json.dumps(value, ensure_ascii=False, default=str)
    raise ConfigError(f"expected one of {supported}, got {shown[:60]}", where=where,
                      hint=did_you_mean(value, CONTENT_TYPES) if isinstance(value, str) else None)


_EXTENSIONS = {".parquet": PARQUET, ".parq": PARQUET, ".csv": CSV, ".tsv": TSV, ".tab": TSV,
               ".psv": PSV, ".ndjson": NDJSON, ".jsonl": NDJSON, ".json": NDJSON}


_COMPRESSION = (".gz", ".bz2", ".zst", ".lz4")


_COARSE_TIMESTAMP = re.compile(r"\bTIMESTAMP_(?:S|MS)\b")


def infer_content_type(path: Path) -> ContentType:
    """The content type from the extension (compression suffixes ignored), else by sniffing."""
    name = path.name.lower()
    for suffix in _COMPRESSION:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    for ext, content_type in _EXTENSIONS.items():
        if name.endswith(ext):
            return content_type
    try:
        with path.open("rb") as fh:
            if fh.read(4) == b"PAR1":
                return PARQUET
    except OSError:
        pass
    raise ConfigError(f"cannot tell the format of {path.name} from its name",
                      hint="name it .parquet, .csv, .tsv, .psv or .ndjson, or give its content type")


def duckdb_types(schema: pa.Schema) -> list[tuple[str, str]]:
    """(name, DuckDB type) per Arrow field, as DuckDB itself names them.

    Second and millisecond timestamps (CSV inference, Spark's Parquet) widen to TIMESTAMP so a
    later file with finer values still fits the table. Cached: a day's files share one schema.
    """
    return list(_duckdb_types(schema.remove_metadata()))


@functools.lru_cache(maxsize=64)
def _duckdb_types(schema: pa.Schema) -> tuple[tuple[str, str], ...]:
    con = duckdb.connect()
    try:
        con.register("sample_schema", schema.empty_table())
        return tuple((row[0], _COARSE_TIMESTAMP.sub("TIMESTAMP", row[1]))
                     for row in con.execute("DESCRIBE sample_schema").fetchall())
    finally:
        con.close()


def parquet_row_count(path: Path | str) -> int:
    """Rows in a Parquet file, from its footer alone."""
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, pa.ArrowException) as exc:
        raise ConfigError(f"cannot read the Parquet footer of {Path(path).name}: {first_line(exc)}",
                          hint="the file may be truncated or not Parquet; land it again") from None


def open_stream(path: Path, content_type: ContentType | str | None = None, *, batch_rows: int = 65536,
                separator: str | None = None, header_rows: int = 1, quote: str | None = None,
                escape: str | None = None) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The file's Arrow schema and an iterator of record batches; errors name the file."""
    content_type = infer_content_type(path) if content_type is None else parse_content_type(content_type)
    try:
        if content_type == PARQUET:
            pf = pq.ParquetFile(path)
            return pf.schema_arrow, _guard(path, pf.iter_batches(batch_size=batch_rows))
        if content_type in DELIMITED:
            reader = pacsv.open_csv(
                pa.input_stream(str(path), compression="detect"),
                read_options=pacsv.ReadOptions(
                    block_size=max(1 << 16, batch_rows * 64),
                    skip_rows=max(header_rows - 1, 0),
                    autogenerate_column_names=header_rows == 0),
                parse_options=pacsv.ParseOptions(
                    delimiter=separator or DELIMITED[content_type],
                    quote_char=quote or '"', escape_char=escape or False))
            return reader.schema, _guard(path, reader)
        if content_type in JSON_TYPES:
            reader = pajson.open_json(pa.input_stream(str(path), compression="detect"),
                                      read_options=pajson.ReadOptions(block_size=max(1 << 16, batch_rows * 256)))
            return reader.schema, _guard(path, reader)
    except (OSError, pa.ArrowException) as exc:
        raise ConfigError(f"cannot read {path.name} as {content_type}: {first_line(exc)}",
                          hint="check the file's format and options (separator, header rows, quote)") from None
    raise AssertionError(f"no reader for {content_type}")  # every ContentType has one above


def open_batches(path: Path, content_type: str | None = None, *, batch_rows: int = 65536,
                 **options: Any) -> Iterator[pa.RecordBatch]:
    """Record batches of a file; memory is bounded by the batch, never the whole file."""
    return open_stream(path, content_type, batch_rows=batch_rows, **options)[1]


def _guard(path: Path, batches: Any) -> Iterator[pa.RecordBatch]:
    try:
        for batch in batches:
            if batch.num_rows:
                yield batch
    except (OSError, pa.ArrowException) as exc:
        raise ConfigError(f"cannot read {path.name}: {first_line(exc)}",
                          hint="the file may be corrupt or truncated; land it again") from None


def column_name_problem(names: list[str]) -> tuple[str, str] | None:
    """(what is wrong, what to do) for the first column name a feed cannot have, else None.

    The one rule for `feeds add` (a sample) and for every load (schema drift): no empty names and
    no name twice, compared ignoring case as DuckDB does (a reader would otherwise rename one to
    `name_1`). Positions are 1-based, as a person counts columns.
    """
    seen: dict[str, int] = {}
    for position, name in enumerate(names, 1):
        if not name.strip():
            return (f"column {position} has an empty name",
                    "give every column a name in the source (CSV: a header, or header rows 0)")
        first = seen.setdefault(name.lower(), position)
        if first != position:
            return (f'columns {first} and {position} are both named "{names[first - 1]}"'
                    + ("" if names[first - 1] == name else f' ("{name}" differs only by case)'),
                    "column names must be unique (case-insensitive); rename one in the source")
    return None


