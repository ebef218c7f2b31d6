"""Run one courier run in its own process, and SIGKILL that process at a chosen point.

    python tests/reliability/crash_runner.py WORKSPACE COURIER FROM TO [--kill-on EVENT:N] [--kill-after-commit N]

--kill-on EVENT:N     kill when the run emits its N-th EVENT (e.g. batch_loaded:3 is mid-load, inside
                      the warehouse transaction; file_landed:2 is mid-landing)
--kill-after-commit N kill right after the N-th warehouse COMMIT (a run has one: all its feeds' loads),
                      before the catalog records which files the feeds loaded (the window between the two stores)

Without a kill point the run finishes and the script exits 0 (succeeded) or 1. A SIGKILL is
what power loss or the OOM killer does: no finally blocks, no atexit, no flush.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from courier.core.catalog.catalog import Catalog  # noqa: E402
from courier.core.catalog.workspace import open_workspace  # noqa: E402
from courier.core.runs.events import Event  # noqa: E402
from courier.core.runs.records import start_run  # noqa: E402
from courier.core.runs.request import RunRequest  # noqa: E402


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace")
    parser.add_argument("courier")
    parser.add_argument("from_day", type=date.fromisoformat)
    parser.add_argument("to_day", type=date.fromisoformat)
    parser.add_argument("--kill-on", default=None, help="EVENT:N")
    parser.add_argument("--kill-after-commit", type=int, default=None)
    args = parser.parse_args(argv)

    seen: dict[str, int] = {}
    kill_event, kill_count = None, 0
    if args.kill_on:
        kill_event, _, count = args.kill_on.partition(":")
        kill_count = int(count or 1)

    def sink(event: Event) -> None:
        seen[event.type] = seen.get(event.type, 0) + 1
        if event.type == kill_event and seen[event.type] >= kill_count:
            die()

    if args.kill_after_commit is not None:
        from courier.core.warehouse.duckdb import Warehouse

        original = Warehouse._commit
        commits = [0]

        def commit_then_die(self: Warehouse) -> None:
            original(self)  # the run's loads have committed here
            commits[0] += 1
            if commits[0] >= args.kill_after_commit:
                die()

        Warehouse._commit = commit_then_die  # type: ignore[method-assign]

    catalog = Catalog(open_workspace(Path(args.workspace)))
    print(f"pid {os.getpid()}", flush=True)
    result = start_run(catalog, RunRequest(args.courier, "period", from_day=args.from_day, to_day=args.to_day),
                       sink=sink)
    print(f"{result.id} {result.status} {result.error or ''}", flush=True)
    return 0 if result.status == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
