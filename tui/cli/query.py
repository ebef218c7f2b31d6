"""`courier query "SQL"`: read-only SQL over the domain tables."""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Iterator

import click
import pyarrow as pa
from courier.core.errors import ConfigError, CourierError
from courier.core.warehouse.duckdb import EXAMPLE_QUERY, Warehouse
from courier.tui.cli.context import CliContext, pass_ctx, print_json

EXAMPLE = f"courier query '{EXAMPLE_QUERY}'"


@click.command(name="query")
@click.argument("sql")
@click.option("--json", "as_json", is_flag=True, help="Rows as a JSON array of objects.")
@click.option("--csv", "as_csv", is_flag=True, help="Rows as CSV with a header.")
@click.option("--timeout", "timeout", type=float, metavar="SECONDS", default=None,
              help="Stop the query after this long (default: $COURIER_QUERY_TIMEOUT, else 60).")
@pass_ctx
def command(ctx: CliContext, sql: str, as_json: bool, as_csv: bool, timeout: float | None) -> None:
    """Run read-only SQL over the domain tables (quote names: "Optimizely:Decisions").

    One SELECT at a time (also WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); it reads no other file,
    reaches no network and changes nothing."""
    try:  # until the first row is out, a failure is also printed as a JSON object for --json
        rows = _open(ctx, sql, timeout, streaming=as_json or as_csv)
    except CourierError as exc:
        if as_json:  # a script reading stdout gets the failure as data too; stderr keeps the error line
            print_json({"error": str(exc), "hint": exc.hint})
        raise
    warehouse, batches = rows
    try:
        if isinstance(batches, pa.Table):
            _print_table(batches)
        elif as_json:
            _write_json(batches)
        else:
            _write_csv(batches, warehouse)
    finally:
        warehouse.close()


def _open(ctx: CliContext, sql: str, timeout: float | None, *,
          streaming: bool) -> tuple[Warehouse, pa.Table | Iterator[pa.RecordBatch]]:
    """The open warehouse and the query's first rows (a table for the terminal, else a stream whose
    first batch is already read, so a refused or failing query fails before anything is written)."""
    if not sql.strip():
        raise ConfigError("the query is empty", hint=f"give one SELECT, e.g. {EXAMPLE}")
    warehouse = Warehouse(ctx.workspace.warehouse_path, read_only=True, purpose="courier query")
    try:
        if not streaming:
            table = warehouse.query(sql, timeout=timeout, limit=SHOWN + 1)
            _check_statement(warehouse.last_schema)
            return warehouse, table
        batches = warehouse.stream(sql, timeout=timeout)
        first = next(batches, None)
        _check_statement(warehouse.last_schema)
        return warehouse, itertools.chain([first] if first is not None else [], batches)
    except BaseException:
        warehouse.close()
        raise


def _check_statement(schema: pa.Schema | None) -> None:
    if schema is None:  # only comments or semicolons
        raise ConfigError("the query holds no SQL statement", hint=f"give one SELECT, e.g. {EXAMPLE}")


SHOWN = 1000  # rows a terminal table shows; --csv and --json stream every row


def _write_json(batches: Iterator[pa.RecordBatch]) -> None:
    """A JSON array of objects, written batch by batch (memory bounded by one batch)."""
    out = sys.stdout
    first = True
    out.write("[")
    for batch in batches:
        for row in batch.to_pylist():
            out.write(("\n  " if first else ",\n  ") + json.dumps(row, default=str))
            first = False
    out.write("\n]\n" if not first else "]\n")


def _write_csv(batches: Iterator[pa.RecordBatch], warehouse: Warehouse) -> None:
    writer = csv.writer(sys.stdout)
    header = False
    for batch in batches:
        if not header:
            writer.writerow(batch.schema.names)
            header = True
        names = batch.schema.names
        for row in batch.to_pylist():
            writer.writerow([row[c] for c in names])
    if not header and warehouse.last_schema is not None:
        writer.writerow(warehouse.last_schema.names)  # no rows: still the header


def _print_table(table: pa.Table) -> None:
    from courier.core.text import printable
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    rows = table.slice(0, SHOWN).to_pylist()
    # names and values come from the files: Text (not markup), controls escaped
    out = Table(show_lines=False)
    for name in table.column_names:
        out.add_column(Text(printable(name)))
    for row in rows:
        out.add_row(*[Text("NULL" if row[c] is None else printable(row[c])) for c in table.column_names])
    Console().print(out)
    if table.num_rows > SHOWN:
        click.echo(f"(first {SHOWN} rows shown; use --csv or --json for all)")
