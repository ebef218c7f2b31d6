"""The SQLite catalog: credentials metadata, couriers, feeds, groups, runs, events, file ledger.

The schema is versioned: `MIGRATIONS[i]` moves a catalog from version i to i+1, and opening a
catalog applies whatever is missing. WAL mode lets a run write while the TUI and `runs watch`
read. Domain modules (credentials, couriers, feeds, runs, ...) own their rows; this module only
owns the connection and the schema.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from courier.core.catalog.workspace import Workspace
from courier.core.errors import ConfigError, CourierError, disk_full

MIGRATIONS: list[str] = [
    # v1: the whole first schema
    """
    CREATE TABLE credentials (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        settings TEXT NOT NULL DEFAULT '{}',   -- non-secret fields as JSON (key id, profile, role ARN, ...)
        secret BLOB,                           -- Fernet ciphertext of the secret fields, or NULL
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE couriers (
        name TEXT PRIMARY KEY,
        credential TEXT NOT NULL,
        bucket TEXT NOT NULL,
        prefix TEXT NOT NULL DEFAULT '',
        region TEXT NOT NULL DEFAULT 'us-east-1',
        endpoint_url TEXT,
        entities TEXT NOT NULL,                -- the entities list, Amperity JSON
        load_operations TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE feeds (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        name TEXT NOT NULL,
        sample TEXT NOT NULL,                  -- landed key or path the schema came from
        schema TEXT NOT NULL,                  -- columns: name, type, samples
        primary_key TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '{}',
        last_updated TEXT,                     -- column name, or NULL with generate_updated
        generate_updated INTEGER NOT NULL DEFAULT 0,
        stitch INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (source, name)
    );
    CREATE TABLE groups (
        name TEXT PRIMARY KEY,
        settings TEXT NOT NULL,                -- cron, timezone, couriers, wait, offset, ... as JSON
        enabled INTEGER NOT NULL DEFAULT 1,
        last_fire REAL,                        -- the last scheduled fire time handled (epoch seconds)
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        courier TEXT,
        group_name TEXT,
        group_run TEXT,
        mode TEXT NOT NULL,
        from_day TEXT,
        to_day TEXT,
        status TEXT NOT NULL,
        pid INTEGER,
        started_at REAL NOT NULL,
        ended_at REAL,
        stats TEXT NOT NULL DEFAULT '{}',
        warnings TEXT NOT NULL DEFAULT '[]',
        error TEXT,
        notification TEXT
    );
    CREATE INDEX runs_by_courier ON runs (courier, started_at);
    CREATE INDEX runs_by_start ON runs (started_at);
    CREATE TABLE run_events (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at REAL NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    CREATE TABLE ledger (
        courier TEXT NOT NULL,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        etag TEXT NOT NULL,
        size INTEGER NOT NULL,
        last_modified REAL NOT NULL,
        tag TEXT NOT NULL,
        day TEXT,
        run_id TEXT NOT NULL,
        local_path TEXT NOT NULL,
        rows INTEGER,
        landed_at REAL NOT NULL,
        PRIMARY KEY (bucket, key)
    );
    CREATE INDEX ledger_by_courier ON ledger (courier, last_modified);
    CREATE TABLE loaded_files (
        feed_id TEXT NOT NULL,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        etag TEXT NOT NULL,
        run_id TEXT NOT NULL,
        loaded_at REAL NOT NULL,
        PRIMARY KEY (feed_id, bucket, key)
    );
    """,
    # v2: finding running runs (reaping dead ones) without scanning the whole history
    """
    CREATE INDEX runs_running ON runs (courier) WHERE status = 'running';
    """,
    # v3: the file ledger is per courier: two couriers on one bucket keep their own landed-file rows
    """
    CREATE TABLE ledger_v3 (
        courier TEXT NOT NULL,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        etag TEXT NOT NULL,
        size INTEGER NOT NULL,
        last_modified REAL NOT NULL,
        tag TEXT NOT NULL,
        day TEXT,
        run_id TEXT NOT NULL,
        local_path TEXT NOT NULL,
        rows INTEGER,
        landed_at REAL NOT NULL,
        PRIMARY KEY (courier, bucket, key)
    );
    INSERT INTO ledger_v3 (courier, bucket, key, etag, size, last_modified, tag, day, run_id, local_path, rows,
                           landed_at)
        SELECT courier, bucket, key, etag, size, last_modified, tag, day, run_id, local_path, rows, landed_at
        FROM ledger;
    DROP TABLE ledger;
    ALTER TABLE ledger_v3 RENAME TO ledger;
    CREATE INDEX ledger_by_courier ON ledger (courier, last_modified);
    CREATE INDEX ledger_by_object ON ledger (bucket, key);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


class Catalog:
    """A thin wrapper over one SQLite connection with JSON helpers."""

    def __init__(self, workspace: Workspace, *, read_only: bool = False) -> None:
        self.workspace = workspace
        path = workspace.catalog_path
        try:
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout = 30000")
            if not read_only:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise _open_error(path, exc) from None
        if version > SCHEMA_VERSION:
            raise ConfigError(f"the catalog {path} is schema version {version}, newer than this courier ({SCHEMA_VERSION})",
                              hint="upgrade courier, or use another workspace")
        path.chmod(0o600)

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, SCHEMA_VERSION):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                current = self.db.execute("PRAGMA user_version").fetchone()[0]
                if current == number:
                    for statement in _split(MIGRATIONS[number]):
                        self.db.execute(statement)
                    self.db.execute(f"PRAGMA user_version = {number + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.db.close()

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, params)
        except sqlite3.OperationalError as exc:
            _raise_if_disk_full(self.workspace.catalog_path, exc)
            raise

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.execute(sql, params).fetchall()

    def transaction(self) -> _Transaction:
        return _Transaction(self.db, self.workspace.catalog_path)


class _Transaction:
    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db, self.path = db, path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            _raise_if_disk_full(self.path, exc)
            raise
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        except sqlite3.OperationalError as failed:
            _raise_if_disk_full(self.path, failed)
            raise
        if isinstance(exc, sqlite3.OperationalError):
            _raise_if_disk_full(self.path, exc)


def _raise_if_disk_full(path: Path, exc: sqlite3.OperationalError) -> None:
    """A full disk is DiskFull (one line, never "corrupt"); anything else is left to the caller."""
    full = disk_full(exc, path)
    if full is not None:
        raise full from None


def _open_error(path: Path, exc: sqlite3.DatabaseError) -> CourierError:
    """Why the catalog did not open: a full disk, a damaged file (restore it), or anything else."""
    full = disk_full(exc, path, hint="free space on that disk, then run the command again")
    if full is not None:
        return full
    code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return ConfigError(f"the catalog {path} is damaged: {exc}",
                           hint="restore it from a backup, or choose another workspace with --workspace")
    return ConfigError(f"the catalog {path} cannot be opened: {exc}",
                       hint="check that you can read and write the workspace folder, "
                            "or choose another workspace with --workspace")


def _split(script: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our DDL literals)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def now() -> float:
    return time.time()


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def loads(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)
