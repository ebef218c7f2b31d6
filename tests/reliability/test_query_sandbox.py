"""Issue 11: "read-only" SQL must not reach files or the network, queries stop after a timeout, and a load
that has to wait for a reader names the process holding the warehouse.

Every attack goes through the real `courier` console script (and the TUI's data explorer) against a
workspace loaded from the moto S3; afterwards the catalog, the secret key and the tables are unchanged
and nothing they hold appears in the output. Waits are for conditions (a process holding the file,
an error under the prompt), never for a duration.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import courier.core.warehouse.duckdb
import pytest
from courier.core.config.secrets import key_path
from courier.core.errors import Busy, QueryTimeout
from courier.core.warehouse.duckdb import Warehouse
from courier.tui.screens.explorer import ExplorerScreen
from courier.tui.widgets.arrow_table import ArrowTable
from textual.widgets import Input, Static

from tests.reliability.bad_inputs import COURIER_BIN, Outcome, cli_env, file_hash, run_cli
from tests.reliability.conftest import DECISIONS, ReliabilityEnv, table_checksum
from tests.tui.test_run_progress import Host, wait_for

# A query that would run for hours: 10^12 rows of a cross join.
FOREVER = "SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b"
BOUND = 120.0  # seconds: only stops a hung test, never asserted
needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="tells who holds a file through /proc")


@pytest.fixture
def loaded(reliability_env: ReliabilityEnv) -> Iterator[ReliabilityEnv]:
    result = reliability_env.run()
    assert result.status == "succeeded", result.error
    assert key_path().is_file()  # the secret key that encrypts the stored credential
    yield reliability_env


def query(env: ReliabilityEnv, *args: str, **extra: str) -> Outcome:
    home = env.workspace.root.parent / "cli-home"
    return run_cli(["--workspace", str(env.workspace.root), "query", *args], cli_env(home, **extra), timeout=BOUND)


def guarded(env: ReliabilityEnv) -> dict[str, str]:
    """What the attacks go after: the catalog, the secret key, the domain tables."""
    root = env.workspace.root
    state = {name: file_hash(root / name) for name in ("catalog.sqlite", "catalog.sqlite-wal")}
    state["secret.key"] = file_hash(key_path())
    state[DECISIONS] = table_checksum(env.workspace, DECISIONS)
    return state


def one_error_line(outcome: Outcome) -> str:
    lines = outcome.err.strip().splitlines()
    assert "Traceback" not in outcome.err and "bug" not in outcome.err, outcome.err
    assert len(lines) <= 2 and lines[0].startswith("error: ") and all(
        line.startswith("hint: ") for line in lines[1:]), outcome.err
    return lines[0]


# -- refused by statement kind (DuckDB's parser), before anything runs --------------------------------------


def refused_cases(env: ReliabilityEnv) -> list[tuple[str, str]]:
    """(SQL, the statement kind the error must name)."""
    catalog, key = env.workspace.catalog_path, key_path()
    export = env.workspace.root.parent / "exported"
    return [
        (f"COPY (SELECT 'x') TO '{catalog}'", "COPY"),
        (f"COPY (SELECT 'x') TO '{key}' (HEADER false)", "COPY"),
        (f"EXPORT DATABASE '{export}'", "EXPORT DATABASE"),
        (f"ATTACH '{catalog}' AS c (TYPE sqlite)", "ATTACH"),
        ("DETACH DATABASE warehouse", "DETACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("SET enable_external_access = true", "SET"),
        ("RESET lock_configuration", "RESET"),
        ("PRAGMA disable_checkpoint_on_shutdown", "PRAGMA"),
        ("CALL pragma_version()", "CALL"),
        ("CREATE SECRET s (TYPE s3, KEY_ID 'AKIA', SECRET 'x')", "CREATE SECRET"),
        ("CREATE TEMP MACRO m() AS 1", "CREATE MACRO"),
        (f'DELETE FROM "{DECISIONS}"', "DELETE"),
        (f"/* looks harmless */\nEXPLAIN ANALYZE COPY (SELECT 'x') TO '{catalog}'", "EXPLAIN of COPY"),
        (f"SELECT 1; COPY (SELECT 'x') TO '{catalog}'", "2 statements (SELECT, COPY)"),
    ]


def test_writes_settings_and_extensions_are_refused_naming_the_statement_kind(loaded: ReliabilityEnv) -> None:
    before = guarded(loaded)
    for sql, kind in refused_cases(loaded):
        outcome = query(loaded, sql)
        assert outcome.code == 2, (sql, outcome)
        assert f"query refused: {kind}" in one_error_line(outcome), (sql, outcome.err)
        assert guarded(loaded) == before, sql
    assert not (loaded.workspace.root.parent / "exported").exists()


# -- reading anything but the warehouse fails; nothing readable leaks --------------------------------------


def test_files_and_the_network_are_out_of_reach(loaded: ReliabilityEnv) -> None:
    catalog, key = loaded.workspace.catalog_path, key_path()
    secret = key.read_text().strip()
    assert "root:" in Path("/etc/passwd").read_text()
    landed = next(Path(r["local_path"]) for r in loaded.catalog.all("SELECT local_path FROM ledger"))
    before = guarded(loaded)
    # (SQL, what must never appear in its output)
    attacks = [
        ("SELECT * FROM read_csv('/etc/passwd')", ["root:"]),
        ("SELECT * FROM glob('/etc/*')", ["/etc/passwd", "/etc/hostname"]),
        (f"SELECT content FROM read_text('{key}')", [secret]),
        (f"SELECT content FROM read_blob('{catalog}')", ["SQLite format"]),
        (f"SELECT * FROM '{catalog}'", ["SQLite format", "CREATE TABLE"]),  # no replacement scan of files
        (f"SELECT * FROM read_parquet('{landed}')", ["uuid"]),  # landed files too: only the warehouse is reachable
        (f"SELECT * FROM read_parquet('{loaded.s3.endpoint_url}/{loaded.bucket}/x.parquet')", ["uuid"]),
        ("WITH k AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM k", ["root:"]),
    ]
    for sql, never in attacks:
        outcome = query(loaded, sql, "--json")
        assert outcome.code == 2, (sql, outcome)
        line = one_error_line(outcome)
        assert line.startswith("error: query failed"), (sql, line)
        if "FROM '" not in sql:  # a quoted path after FROM is not even looked up as a file: "does not exist"
            assert "hint: queries read the domain tables only" in outcome.err, (sql, outcome.err)
        shown = outcome.out + outcome.err
        assert not [text for text in never if text in shown], (sql, shown)
        assert guarded(loaded) == before, sql


def test_domain_tables_stay_queryable(loaded: ReliabilityEnv) -> None:
    with Warehouse(loaded.workspace.warehouse_path, read_only=True) as wh:
        expected = wh.row_count(DECISIONS)
    outcome = query(loaded, f'SELECT count(*) AS n FROM "{DECISIONS}"', "--json")
    assert outcome.code == 0, outcome.err
    assert json.loads(outcome.out) == [{"n": expected}]
    for sql in (f'WITH d AS (SELECT * FROM "{DECISIONS}") SELECT count(DISTINCT uuid) AS n FROM d',
                f'FROM "{DECISIONS}" SELECT uuid LIMIT 3', f'DESCRIBE "{DECISIONS}"', "SHOW TABLES",
                f'SUMMARIZE "{DECISIONS}"', f'EXPLAIN SELECT * FROM "{DECISIONS}"',
                f'PIVOT (SELECT "date" FROM "{DECISIONS}") ON "date" IN (\'2026-11-01\')'):
        outcome = query(loaded, sql, "--json")
        assert outcome.code == 0, (sql, outcome.err)
        assert json.loads(outcome.out), sql
    assert json.loads(query(loaded, "SELECT current_setting('enable_external_access') AS e", "--json").out) == [
        {"e": False}]


# -- the explorer: the same sandbox, samples still work ----------------------------------------------------


async def test_explorer_refuses_the_attacks_and_still_shows_samples(loaded: ReliabilityEnv,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    secret = key_path().read_text().strip()
    before = guarded(loaded)
    app = Host(lambda: ExplorerScreen(loaded.workspace, loaded.catalog))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        rows = screen.query_one("#rows", ArrowTable)
        error = screen.query_one("#sql-error", Static)
        await wait_for(pilot, lambda: rows.row_count == 200 and "uuid" in rows.table.column_names, "the sample rows")
        sql = screen.query_one("#sql", Input)

        async def submit(text: str, expect: str) -> str:
            error.update("")
            sql.value = text
            sql.focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: expect in str(error.render()), expect)
            return str(error.render())

        await submit(f"COPY (SELECT 'x') TO '{loaded.workspace.catalog_path}'", "query refused: COPY")
        await submit(f"COPY (SELECT 'x') TO '{key_path()}'", "query refused: COPY")
        await submit(f"EXPORT DATABASE '{loaded.workspace.root.parent / 'exported'}'", "query refused: EXPORT DATABASE")
        text = await submit(f"SELECT content FROM read_text('{key_path()}')", "query failed")
        assert secret not in text and secret not in str(rows.table.to_pylist())
        await submit(f"SELECT content FROM read_blob('{loaded.workspace.catalog_path}')", "query failed")

        monkeypatch.setenv("COURIER_QUERY_TIMEOUT", "0.3")
        await submit(FOREVER, "query stopped after 0.3 s")

        monkeypatch.delenv("COURIER_QUERY_TIMEOUT")
        sql.value = f'SELECT count(*) AS n FROM "{DECISIONS}"'
        await pilot.press("enter")
        await wait_for(pilot, lambda: rows.table.column_names == ["n"], "the query result")
    assert guarded(loaded) == before
    assert not (loaded.workspace.root.parent / "exported").exists()


# -- the statement timeout ---------------------------------------------------------------------------------


def test_a_long_query_stops_at_the_timeout_with_one_line(loaded: ReliabilityEnv) -> None:
    flag = query(loaded, FOREVER, "--timeout", "0.5")
    assert flag.code == 1, flag
    assert one_error_line(flag) == "error: query stopped after 0.5 s: it ran longer than the query timeout"
    assert "COURIER_QUERY_TIMEOUT" in flag.err and "--timeout" in flag.err

    setting = query(loaded, FOREVER, COURIER_QUERY_TIMEOUT="0.5")
    assert setting.code == 1, setting
    assert "query stopped after 0.5 s" in one_error_line(setting)

    with Warehouse(loaded.workspace.warehouse_path, read_only=True) as wh:
        with pytest.raises(QueryTimeout, match="stopped after 0.2 s"):
            wh.query(FOREVER, timeout=0.2)
        assert wh.query("SELECT 42 AS n", timeout=0.2).to_pylist() == [{"n": 42}]  # the connection still works


def test_bad_timeouts_are_refused_with_one_line(loaded: ReliabilityEnv) -> None:
    for args, extra, expect in (
        (("--timeout", "0"), {}, "--timeout must be more than 0"),
        (("--timeout", "-5"), {}, "--timeout must be more than 0"),
        (("--timeout", "nan"), {}, "--timeout must be more than 0"),
        ((), {"COURIER_QUERY_TIMEOUT": "soon"}, "COURIER_QUERY_TIMEOUT='soon' is not a number of seconds"),
        ((), {"COURIER_QUERY_TIMEOUT": "0"}, "COURIER_QUERY_TIMEOUT must be more than 0"),
    ):
        outcome = query(loaded, "SELECT 1 AS one", *args, **extra)
        assert outcome.code == 2, (args, extra, outcome)
        assert expect in one_error_line(outcome), (args, extra, outcome.err)


# -- a load that waits on a reader names it -----------------------------------------------------------------


def holds_file(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (Linux /proc)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.path.realpath(fd) == str(path) for fd in fds.iterdir())
    except (FileNotFoundError, PermissionError):
        return False


def wait_until_held(proc: subprocess.Popen[str], path: Path) -> None:
    deadline = time.monotonic() + BOUND  # only stops a hung test
    while not holds_file(proc.pid, path):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the reader never opened the warehouse"
        time.sleep(0.05)


@needs_proc
def test_a_load_waiting_on_a_query_names_its_process(reliability_env: ReliabilityEnv,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    env = reliability_env
    path = env.workspace.warehouse_path.resolve()
    home = env.workspace.root.parent / "cli-home"
    reader = subprocess.Popen([str(COURIER_BIN), "--workspace", str(env.workspace.root), "query", FOREVER],
                              env=cli_env(home, COURIER_QUERY_TIMEOUT="3600"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_until_held(reader, path)
        monkeypatch.setattr(courier.core.warehouse.duckdb, "WRITER_WAIT_SECONDS", 0.2)  # the load gives up sooner
        result = env.run()
        assert result.status == "failed"
        assert f"pid {reader.pid}: courier query" in (result.error or ""), result.error
    finally:
        reader.kill()
        reader.communicate()
    # The killed reader left its note behind: it is not named any more, and the next load runs.
    assert env.workspace.warehouse_readers() == []
    assert not list(env.workspace.locks_dir.glob("warehouse-reader-*"))
    assert env.run().status == "succeeded"


@needs_proc
def test_a_foreign_process_holding_the_warehouse_is_named_by_its_pid(reliability_env: ReliabilityEnv,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = reliability_env.workspace.warehouse_path.resolve()
    holder = subprocess.Popen(
        [str(Path(COURIER_BIN).parent / "python"), "-c",
         "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, text=True)
    try:
        wait_until_held(holder, path)
        monkeypatch.setattr(courier.core.warehouse.duckdb, "WRITER_WAIT_SECONDS", 0.2)
        with pytest.raises(Busy, match=rf"held open by pid {holder.pid}: python[\d.]*, not courier"):
            Warehouse(path)
    finally:
        holder.kill()
        holder.wait()
