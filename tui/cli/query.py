"""`courier query "SQL"`: read-only SQL over the domain tables."""

from __future__ import annotations

import csv
import sys

import click
import pyarrow as pa
from courier.core.errors import ConfigError, CourierError
from courier.tui.cli.context import CliContext, pass_ctx, print_json

EXAMPLE = "courier query 'SELECT count(*) FROM \"Optimizely:Decisions\"'"


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
    try:
        table = _run(ctx, sql, timeout)
    except CourierError as exc:
        if as_json:  # a script reading stdout gets the failure as data too; stderr keeps the error line
            print_json({"error": str(exc), "hint": exc.hint})
        raise
    rows = table.to_pylist()
    if as_json:
        print_json(rows)
    elif as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(table.column_names)
        for row in rows:
            writer.writerow([row[c] for c in table.column_names])
    else:
        from courier.core.text import printable
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # names and values come from the files: Text (not markup), controls escaped
        out = Table(show_lines=False)
        for name in table.column_names:
            out.add_column(Text(printable(name)))
        for row in rows[:1000]:
            out.add_row(*[Text("NULL" if row[c] is None else printable(row[c])) for c in table.column_names])
        Console().print(out)
        if len(rows) > 1000:
            click.echo(f"({len(rows)} rows; first 1000 shown; use --csv or --json for all)")


def _run(ctx: CliContext, sql: str, timeout: float | None) -> pa.Table:
    """The query's rows; a text with no statement in it is a usage error, not an empty table."""
    from courier.core.warehouse.duckdb import Warehouse

    if not sql.strip():
        raise ConfigError("the query is empty", hint=f"give one SELECT, e.g. {EXAMPLE}")
    warehouse = Warehouse(ctx.workspace.warehouse_path, read_only=True, purpose="courier query")
    try:
        table = warehouse.query(sql, timeout=timeout)
    finally:
        warehouse.close()
    if table.num_columns == 0:  # only comments or semicolons
        raise ConfigError("the query holds no SQL statement", hint=f"give one SELECT, e.g. {EXAMPLE}")
    return table
