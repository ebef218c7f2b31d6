"""The faces issue no SQL against the catalog: what a screen or command shows comes from the engine's
read models (courier.core.status) and domain functions, never from a query written in tui/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from courier.core.catalog.catalog import MIGRATIONS

ROOT = Path(__file__).resolve().parents[1]
CATALOG_TABLES = sorted({m.group(1) for m in re.finditer(r"CREATE TABLE (\w+)", "\n".join(MIGRATIONS))
                         if not m.group(1).endswith("_v3")})
# a statement over a catalog table: SELECT ... FROM/JOIN t, INSERT INTO t, UPDATE t SET, DELETE FROM t
_SQL = re.compile(r"(\bSELECT\b[\s\S]*\b(FROM|JOIN)|\bINSERT\s+INTO|\bUPDATE|\bDELETE\s+FROM|\bREPLACE\s+INTO)\s+"
                  r"[\"'`]?(" + "|".join(CATALOG_TABLES) + r")\b", re.IGNORECASE)
_CONNECTION_CALLS = {"one", "all", "execute", "executemany", "executescript"}


def _text(node: ast.AST) -> str | None:
    """The literal text of a string or f-string (the f-string's literal parts, joined)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def catalog_sql(source: str, name: str) -> list[str]:
    """Where `source` queries the catalog: SQL text over its tables, calls on a catalog or
    connection, sqlite3, or JSON parsing of stored columns (json.loads, the catalog's loads)."""
    found: list[str] = []
    tree = ast.parse(source)
    parts = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        text = None if id(node) in parts else _text(node)
        if text is not None and _SQL.search(text):
            found.append(f"{where} SQL over the catalog: {text[:60]!r}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = ast.unparse(node.func.value)
            if node.func.attr in _CONNECTION_CALLS and re.search(r"catalog|\bdb\b|\bconn?\b", receiver):
                found.append(f"{where} {receiver}.{node.func.attr}(...)")
            if node.func.attr == "loads" and receiver == "json":
                found.append(f"{where} json.loads(...)")
        if isinstance(node, ast.Import) and any(a.name == "sqlite3" for a in node.names):
            found.append(f"{where} imports sqlite3")
        if isinstance(node, ast.ImportFrom) and node.module == "courier.core.catalog.catalog" and any(
                a.name in ("loads", "dumps") for a in node.names):
            found.append(f"{where} imports the catalog's JSON helpers")
    return found


def test_the_faces_issue_no_sql_against_the_catalog() -> None:
    found = [line for path in sorted((ROOT / "tui").rglob("*.py"))
             for line in catalog_sql(path.read_text(), str(path.relative_to(ROOT)))
             # the keymap file and the JSON editors' text are the operator's own JSON, not a stored column
             if not (line.startswith(("tui/keymap.py:", "tui/widgets/json_editor.py:"))
                     and line.endswith("json.loads(...)"))]
    assert found == []


def test_the_sql_check_finds_what_it_forbids() -> None:
    sample = '''
import json
import sqlite3
from courier.core.catalog.catalog import loads

def rows(self, name):
    self.catalog.one("SELECT name FROM couriers WHERE name = ?", (name,))
    c = self.catalog  # an alias: found by its SQL
    c.all(f"SELECT id FROM feeds WHERE source = '{name}'")
    self.db.execute("DELETE FROM ledger")
    json.loads(row["data"])
'''
    assert sorted(catalog_sql(sample, "sample.py")) == sorted([
        "sample.py:3 imports sqlite3",
        "sample.py:4 imports the catalog's JSON helpers",
        "sample.py:7 self.catalog.one(...)",
        "sample.py:7 SQL over the catalog: 'SELECT name FROM couriers WHERE name = ?'",
        "sample.py:9 SQL over the catalog: \"SELECT id FROM feeds WHERE source = ''\"",
        "sample.py:10 self.db.execute(...)",
        "sample.py:10 SQL over the catalog: 'DELETE FROM ledger'",
        "sample.py:11 json.loads(...)",
    ])


def test_the_sql_check_lets_the_explorer_query_domain_tables() -> None:
    """SQL over the warehouse's domain tables (what the operator types) is not catalog SQL."""
    assert catalog_sql("placeholder = 'SELECT * FROM \"Optimizely:Decisions\" LIMIT 10'", "x.py") == []
    assert "ledger" in CATALOG_TABLES and "runs" in CATALOG_TABLES and "ledger_v3" not in CATALOG_TABLES
