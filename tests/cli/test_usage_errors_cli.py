"""Usage errors (bad value, bad option, missing argument, unknown command) in the documented form.

Every one is `error: <what>` then `hint: <usage; --help>` on stderr, exit 2, never click's own
Usage/Try/Error block; `query --json` also prints a failure as a JSON object on stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

COURIER = str(Path(sys.executable).parent / "courier")


def courier(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COURIER, "--workspace", str(ws), *args], capture_output=True, text=True, timeout=60)


def _error_and_hint(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), result.stderr
    return lines[0], lines[1]


@pytest.mark.parametrize("args, error, usage", [
    (["run", "optimizely", "--day", "2026-13-01"],
     "error: Invalid value for '--day': '2026-13-01' is not a date; use YYYY-MM-DD", "courier run [OPTIONS] COURIER"),
    (["run", "optimizely", "--bogus"], "error: No such option '--bogus'", "courier run [OPTIONS] COURIER"),
    (["query"], "error: Missing argument 'SQL'", "courier query [OPTIONS] SQL"),
    (["runs", "--limit", "many"], "error: Invalid value for '--limit'", "courier runs [OPTIONS]"),
    (["frobnicate"], "error: No such command 'frobnicate'", "courier [OPTIONS]"),
])
def test_usage_errors_are_one_error_line_and_a_hint(workspace_dir: Path, args: list[str], error: str,
                                                    usage: str) -> None:
    result = courier(workspace_dir, *args)
    assert result.returncode == 2
    first, hint = _error_and_hint(result)
    assert first.startswith(error), first
    assert hint.startswith(f"hint: usage: {usage}") and "--help" in hint, hint
    assert "Usage:" not in result.stderr and "Try '" not in result.stderr and result.stdout == ""


def test_an_empty_query_is_a_usage_error(workspace_dir: Path) -> None:
    from courier.core.catalog.workspace import open_workspace
    from courier.core.warehouse.duckdb import Warehouse

    Warehouse(open_workspace(workspace_dir).warehouse_path).close()  # an empty warehouse
    for text in ("", "   ", "/* only a comment */", ";"):
        result = courier(workspace_dir, "query", text)
        assert result.returncode == 2, result.stderr
        first, hint = _error_and_hint(result)
        assert first in ("error: the query is empty", "error: the query holds no SQL statement"), first
        assert "SELECT" in hint


def test_query_json_prints_the_failure_as_a_json_object(workspace_dir: Path) -> None:
    from courier.core.catalog.workspace import open_workspace
    from courier.core.warehouse.duckdb import Warehouse

    Warehouse(open_workspace(workspace_dir).warehouse_path).close()  # an empty warehouse
    failed = courier(workspace_dir, "query", "--json", 'SELECT * FROM "Optimizely:Nope"')
    assert failed.returncode == 2
    body = json.loads(failed.stdout)
    assert set(body) == {"error", "hint"}
    assert body["error"].startswith("query failed") and "Optimizely:Nope" in body["error"]
    assert failed.stderr.splitlines()[0] == f"error: {body['error']}"
    refused = json.loads(courier(workspace_dir, "query", "--json", "COPY (SELECT 1) TO 'x.csv'").stdout)
    assert refused["error"].startswith("query refused: COPY") and refused["hint"]
    empty = json.loads(courier(workspace_dir, "query", "--json", "").stdout)
    assert empty["error"] == "the query is empty"
    usage = courier(workspace_dir, "query", "--json", "--timeout", "soon", "SELECT 1")
    assert usage.returncode == 2
    assert json.loads(usage.stdout)["error"].startswith("Invalid value for '--timeout'")
    fine = courier(workspace_dir, "query", "--json", "SELECT 42 AS n")
    assert fine.returncode == 0 and json.loads(fine.stdout) == [{"n": 42}]


def test_without_json_a_failed_query_prints_nothing_on_stdout(workspace_dir: Path) -> None:
    result = courier(workspace_dir, "query", "SELECT 1")  # no warehouse yet
    assert result.returncode == 2 and result.stdout == ""
    assert _error_and_hint(result)[0].startswith("error: there is no warehouse yet")
