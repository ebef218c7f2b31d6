"""Where courier's load step spends its time: the engine's own `Warehouse.load` on the cached
export's day, with every SQL statement it sends timed and grouped by kind.

`python -m benchmarks.profile_load [--scale full]` (after `make bench` generated the export). The
connection is wrapped in a proxy that only times `execute`; nothing of the engine is changed.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.scales import SCALES
from benchmarks.seed import generated
from benchmarks.workspaces import prepare


class TimedConnection:
    """Forwards everything to a DuckDB connection; `execute` is timed per statement kind."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def execute(self, sql: str, *args: Any) -> Any:
        kind = _kind(sql)
        started = time.monotonic()
        result = self._con.execute(sql, *args)
        if result is not None and re.match(r"\s*(INSERT|DELETE|SELECT|CREATE)", sql):
            rows = result.fetchall()  # the engine fetches too; fetch here so the time lands on this statement
            self.seconds[kind] += time.monotonic() - started
            self.calls[kind] += 1
            return _Fetched(rows)
        self.seconds[kind] += time.monotonic() - started
        self.calls[kind] += 1
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


class _Fetched:
    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def fetchall(self) -> list[Any]:
        return self._rows

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None


def _kind(sql: str) -> str:
    text = " ".join(sql.split())
    for pattern, name in ((r"INSERT INTO \S+ BY NAME SELECT .* read_parquet", "stage: INSERT ... read_parquet per file"),
                          (r"GROUP BY _pk HAVING", "merge: find repeated keys"),
                          (r"QUALIFY row_number", "merge: drop losers of repeated keys"),
                          (r"DELETE FROM \S+ USING \S+ AS stored", "merge: drop rows older than stored"),
                          (r"DELETE FROM \S+ USING", "merge: delete replaced stored rows"),
                          (r"INSERT INTO \S+ BY NAME SELECT \* EXCLUDE", "merge: insert winners"),
                          (r"^COMMIT", "commit"), (r"^(SELECT|DESCRIBE)", "small queries")):
        if re.search(pattern, text):
            return name
    return "other: " + text[:40]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_load", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="full")
    parser.add_argument("--cache", type=Path, default=Path(".bench/cache"))
    args = parser.parse_args(argv)
    from courier.core.catalog.catalog import Catalog
    from courier.core.catalog.workspace import open_workspace
    from courier.core.feeds.model import get_feed
    from courier.core.feeds.schema import hive_partition
    from courier.core.warehouse.duckdb import Warehouse
    from courier.core.warehouse.spec import SourceFile
    from cryptography.fernet import Fernet

    os.environ.setdefault("COURIER_SECRET_KEY", Fernet.generate_key().decode())
    export = generated(SCALES[args.scale].day_spec(), args.cache.resolve())
    work = Path(tempfile.mkdtemp(prefix="courier-profile-"))
    ws = prepare(work / "ws", endpoint_url="http://127.0.0.1:9", bucket="unused",
                 decisions_sample=export.files("decisions")[0], conversions_sample=export.files("events")[0])
    catalog = Catalog(open_workspace(ws.root))
    total = time.monotonic()
    with Warehouse(work / "profile.duckdb") as warehouse:
        timed = TimedConnection(warehouse.con)
        warehouse.con = timed  # type: ignore[assignment]
        for dataset, feed_id in (("decisions", ws.feeds["decisions"]), ("events", ws.feeds["conversions"])):
            feed = get_feed(catalog, feed_id)
            paths = export.files(dataset)
            sources = [SourceFile(path=p, key=p.relative_to(export.root).as_posix(),
                                  partition=hive_partition(p.relative_to(export.root).as_posix()),
                                  content_type="application/x-parquet", order=i) for i, p in enumerate(paths)]
            warehouse.ensure_table(feed)
            warehouse.load(feed, sources, truncate=False, run_id="profile")
    elapsed = time.monotonic() - total
    catalog.close()
    print(f"load of {sum(export.rows.values()):,} rows in {len(export.files())} files: {elapsed:.2f} s")
    for kind, seconds in sorted(timed.seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds:7.2f} s  {timed.calls[kind]:5d} x  {kind}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
