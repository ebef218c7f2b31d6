"""Day 30 against day 1: a daily load must not cost more as the table's history grows (issue 13).

`python -m benchmarks.history [--scale small] [--days 30] [--md FILE]` (part of `make bench`). It loads
the cached export's measured day (decisions and conversions, the engine's own `Warehouse.load`, as a
run does) into empty tables: day 1. Then it gives a second warehouse `days - 1` days of history before
that day (copies of the day's rows under other keys and earlier `date`s, written by DuckDB in seconds,
oldest first as a daily courier appends them) and loads the same day on top: day 30, once with the
lookback bound (COURIER_KEY_LOOKBACK_DAYS, default 7 days) and once matching every stored row
(`all`, what every load did before). Each figure is the best of `--repeat` loads on a fresh copy.
Target: day 30 <= 1.2x day 1. Timings are printed, never asserted; the row counts are checked.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.scales import SCALES, START
from benchmarks.seed import LocalExport, generated
from benchmarks.workspaces import prepare

TARGET = 1.2
DATASETS = (("decisions", "decisions"), ("events", "conversions"))  # export dataset, feed tag


def _sources(export: LocalExport, dataset: str) -> list[Any]:
    from courier.core.feeds.schema import hive_partition
    from courier.core.warehouse.spec import SourceFile

    return [SourceFile(path=p, key=p.relative_to(export.root).as_posix(),
                       partition=hive_partition(p.relative_to(export.root).as_posix()),
                       content_type="application/x-parquet", order=i) for i, p in enumerate(export.files(dataset))]


def _load_day(path: Path, feeds: list[Any], export: LocalExport, run_id: str) -> tuple[float, float]:
    """One run's loads of the day (one transaction, as `courier run` does): wall seconds from opening
    the warehouse to closing it (so the commit and DuckDB's checkpoint are included), and the CPU
    seconds of this process over the same span (DuckDB's threads included). CPU time moves far less
    than wall time when other work shares the machine, so both are reported."""
    from courier.core.warehouse.duckdb import Warehouse

    started, cpu = time.monotonic(), time.process_time()
    with Warehouse(path) as warehouse, warehouse.transaction():
        for (dataset, _tag), feed in zip(DATASETS, feeds, strict=True):
            warehouse.ensure_table(feed)
            warehouse.load(feed, _sources(export, dataset), truncate=False, run_id=run_id)
    return time.monotonic() - started, time.process_time() - cpu


def _add_history(path: Path, day1: Path, feeds: list[Any], days: int) -> None:
    """Days START-(days-1) .. START-1 before the measured day: its rows again, under new keys and dates."""
    from courier.core.warehouse.duckdb import Warehouse
    from courier.core.warehouse.spec import quote

    with Warehouse(path) as warehouse:
        con = warehouse.con
        for feed in feeds:
            warehouse.ensure_table(feed)
        con.execute(f"ATTACH '{day1}' AS day1 (READ_ONLY)")
        for feed in feeds:
            table = quote(feed.table_name)
            for back in range(days - 1, 0, -1):
                day = (START - timedelta(days=back)).isoformat()
                con.execute(f"INSERT INTO {table} BY NAME SELECT * REPLACE (uuid || '~{back}' AS uuid, "
                            f"_pk || '~{back}' AS _pk, '{day}' AS date, 'history' AS _run_id) FROM day1.{table}")
        con.execute("DETACH day1")
        con.execute("CHECKPOINT")


def _copy(source: Path, target: Path) -> None:
    """A fresh copy of the history, flushed to disk: else the load's COMMIT pays for writing the copy."""
    shutil.copyfile(source, target)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rows(path: Path, feeds: list[Any]) -> int:
    from courier.core.warehouse.duckdb import Warehouse

    with Warehouse(path, read_only=True) as warehouse:
        return sum(warehouse.row_count(feed.table_name) for feed in feeds)


def measure(scale_name: str, days: int, repeat: int, cache: Path, work: Path) -> dict[str, Any]:
    from courier.core.catalog.catalog import Catalog
    from courier.core.catalog.workspace import open_workspace
    from courier.core.feeds.model import get_feed

    export = generated(SCALES[scale_name].day_spec(), cache)
    ws = prepare(work / "ws", endpoint_url="http://127.0.0.1:9", bucket="unused",
                 decisions_sample=export.files("decisions")[0], conversions_sample=export.files("events")[0])
    catalog = Catalog(open_workspace(ws.root))
    try:
        feeds = [get_feed(catalog, ws.feeds[tag]) for _dataset, tag in DATASETS]
    finally:
        catalog.close()
    day_rows = sum(export.rows.values())
    day1_times: list[tuple[float, float]] = []
    day1 = work / "day1.duckdb"
    for attempt in range(repeat):
        target = work / f"day1-{attempt}.duckdb"
        day1_times.append(_load_day(target, feeds, export, "day1"))
        if attempt == 0:
            shutil.move(target, day1)
        else:
            target.unlink()
    stored = _rows(day1, feeds)
    history = work / "history.duckdb"
    _add_history(history, day1, feeds, days)
    before = _rows(history, feeds)
    figures: dict[str, Any] = {"scale": scale_name, "days": days, "rows_per_day": day_rows, "day1_rows": stored,
                               "history_rows": before, "day1_seconds": min(t[0] for t in day1_times),
                               "day1_cpu_seconds": min(t[1] for t in day1_times),
                               "load_average": [os.getloadavg()[0]]}
    for label, lookback in (("bounded", None), ("all", "all")):
        times: list[tuple[float, float]] = []
        for _attempt in range(repeat):
            copy = work / f"day{days}-{label}.duckdb"
            _copy(history, copy)
            previous = os.environ.pop("COURIER_KEY_LOOKBACK_DAYS", None)
            if lookback is not None:
                os.environ["COURIER_KEY_LOOKBACK_DAYS"] = lookback
            try:
                times.append(_load_day(copy, feeds, export, f"day{days}"))
            finally:
                os.environ.pop("COURIER_KEY_LOOKBACK_DAYS", None)
                if previous is not None:
                    os.environ["COURIER_KEY_LOOKBACK_DAYS"] = previous
            after = _rows(copy, feeds)
            copy.unlink()
            if after != before + stored:
                raise SystemExit(f"day {days} ({label}): {after} rows, expected {before + stored}")
        figures["load_average"].append(os.getloadavg()[0])
        figures[f"day{days}_{label}_seconds"] = min(t[0] for t in times)
        figures[f"day{days}_{label}_cpu_seconds"] = min(t[1] for t in times)
        figures[f"ratio_{label}"] = figures[f"day{days}_{label}_seconds"] / figures["day1_seconds"]
        figures[f"cpu_ratio_{label}"] = figures[f"day{days}_{label}_cpu_seconds"] / figures["day1_cpu_seconds"]
    return figures


def markdown(figures: dict[str, Any]) -> str:
    days = figures["days"]
    lines = [f"## Day {days} against day 1 (`python -m benchmarks.history --scale {figures['scale']}`)", "",
             f"{figures['rows_per_day']:,} rows a day; day {days} loads the same day on top of "
             f"{figures['history_rows']:,} stored rows ({days - 1} days).", "",
             "| load | wall s | x day 1 | CPU s | x day 1 | target | verdict (wall; CPU) |",
             "|---|---|---|---|---|---|---|",
             f"| day 1 (empty tables) | {figures['day1_seconds']:.2f} | 1.00 | {figures['day1_cpu_seconds']:.2f} "
             "| 1.00 | | |"]
    busiest = max(figures["load_average"])
    noisy = " (noisy)" if busiest > 1.5 * (os.cpu_count() or 1) else ""
    for label, what in (("bounded", "lookback bound (default, 7 days)"), ("all", "every stored row (`all`)")):
        ratio, cpu_ratio = figures[f"ratio_{label}"], figures[f"cpu_ratio_{label}"]
        verdict = ("met" if ratio <= TARGET else "missed") + noisy + "; " + ("met" if cpu_ratio <= TARGET else "missed")
        lines.append(f"| day {days}, {what} | {figures[f'day{days}_{label}_seconds']:.2f} | {ratio:.2f} | "
                     f"{figures[f'day{days}_{label}_cpu_seconds']:.2f} | {cpu_ratio:.2f} | <= {TARGET}x | {verdict} |")
    lines += ["", f"1-minute load average during the measurement: up to {busiest:.1f} on {os.cpu_count()} cores"
              + (" (other work competed for the CPUs: the ratios are not reliable)" if noisy else "") + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.history", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", choices=sorted(SCALES))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path(".bench/cache"))
    parser.add_argument("--md", type=Path, help="also write the table as Markdown to this file")
    args = parser.parse_args(argv)
    from cryptography.fernet import Fernet

    os.environ.setdefault("COURIER_SECRET_KEY", Fernet.generate_key().decode())
    work = Path(tempfile.mkdtemp(prefix="courier-history-"))
    try:
        figures = measure(args.scale, max(args.days, 2), max(args.repeat, 1), args.cache.resolve(), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = markdown(figures)
    print(text, end="")
    if args.md:
        args.md.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
