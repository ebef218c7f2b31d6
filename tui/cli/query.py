"""`courier query "SQL"`: read-only SQL over the domain tables."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator

import click
import pyarrow as pa
from courier.core.warehouse.duckdb import Warehouse
from courier.tui.cli.context import CliContext, pass_ctx


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
    warehouse = Warehouse(ctx.workspace.warehouse_path, read_only=True, purpose="courier query")
    try:
        if as_json:
            _write_json(warehouse.stream(sql, timeout=timeout))
        elif as_csv:
            _write_csv(warehouse.stream(sql, timeout=timeout), warehouse)
        else:
            _print_table(warehouse.query(sql, timeout=timeout, limit=SHOWN + 1))
    finally:
        warehouse.close()


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
