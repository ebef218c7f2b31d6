"""The one SQL builder for a domain table's `_pk` and `_updated`, used by both load paths.

Both are functions of a row *as the table stores it*, whichever path wrote it: every key column is
cast to the table's type first, so a key read from an INTEGER file and the same key stored from a
BIGINT or DOUBLE file are one key, and a last-updated column that the files of a load do not carry
is NULL (those rows lose to stored rows; conform warns) rather than a reference to a missing column.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from courier.core.warehouse.spec import quote
from courier.core.warehouse.table import TableSpec

Columns = Mapping[str, tuple[str, str]]  # lower-case name -> (name as the relation reads it, the table's type)


def key_sql(feed: TableSpec, columns: Columns, *, prefix: str = "") -> str:
    """`_pk`: the key as text; a composite key joins its parts with \\x1f, escaping \\x1e and \\x1f inside
    values, so two different key tuples never become the same text."""
    parts = [_as_table(columns, column, prefix) for column in feed.primary_key]
    if len(parts) == 1:
        return f"CAST({parts[0]} AS VARCHAR)"
    return " || chr(31) || ".join(
        f"replace(replace(CAST({part} AS VARCHAR), chr(30), chr(30) || chr(30)), chr(31), chr(30) || chr(31))"
        for part in parts)


def updated_sql(feed: TableSpec, columns: Columns, carried: Collection[str], *, generated: str,
                prefix: str = "") -> str:
    """`_updated`: `generated` (the load's stamp) for a generated feed; else the last-updated column as an
    integer (epoch microseconds for datetimes), NULL when no file being read carries the column.

    `carried` holds the lower-case names of the columns the relation being read has.
    """
    column = feed.last_updated
    if feed.generate_updated or not column:
        return generated
    if column.lower() not in carried or column.lower() not in columns:
        return "NULL::BIGINT"
    value = _as_table(columns, column, prefix)
    return f"epoch_us({value})" if columns[column.lower()][1].startswith("TIMESTAMP") else f"CAST({value} AS BIGINT)"


def _as_table(columns: Columns, column: str, prefix: str) -> str:
    name, type_ = columns[column.lower()]
    return f"CAST({prefix}{quote(name)} AS {type_})"
