"""`courier scheduler`: fire courier groups on their schedules (long-running, or `--once` from cron).

The process concerns live here: signals. The engine holds the scheduler lock (one scheduler per
workspace, courier.core.schedule.scheduler.scheduler_lock).
The first SIGTERM/SIGINT sets the stop and cancel events; the run in flight is cancelled by the
engine (its loads roll back; its record says so), its fire time stays unhandled so the next start
runs it, and the process exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

import click
from courier.core.catalog.catalog import Catalog
from courier.core.schedule.scheduler import (
    LOG_FILE,
    Clock,
    Scheduler,
    real_clock,
    scheduler_lock,
    scheduler_logger,
    shifted_clock,
)
from courier.tui.cli.context import CliContext, pass_ctx
from courier.tui.cli.cron import parse_now


def run_scheduler(catalog: Catalog, *, once: bool, clock: Clock, log: logging.Logger) -> int:
    """Hold the scheduler lock and run (once or until a signal); returns the exit code."""
    stop, cancel = threading.Event(), threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            log.warning("%s received: cancelling the run in flight and stopping", signal.Signals(signum).name)
        stop.set()
        cancel.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with scheduler_lock(catalog.workspace):
            scheduler = Scheduler(catalog, clock=clock, log=log, cancel=cancel)
            if once:
                for line in scheduler.waiting(clock()):  # failed windows waiting for their next attempt
                    log.warning("%s", line)
                results = scheduler.run_due()
                if not results:
                    log.info("nothing due at %s", clock().isoformat(timespec="seconds"))
                return 1 if any(r.status == "failed" for r in results) else 0
            log.info("scheduler running (pid %d); log file %s", os.getpid(), catalog.workspace.logs_dir / LOG_FILE)
            scheduler.serve(stop)
            return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command(name="scheduler")
@click.option("--once", is_flag=True, help="Run what is due now and exit (for a crontab line or a systemd timer).")
@click.option("--now", "now_text", metavar="ISO-TIME",
              help="Pretend the clock reads this (naive = UTC), then advance in real time: what is due "
                   "then runs for real and is recorded as handled (not a preview).")
@click.option("--quiet", "-q", is_flag=True, help="Log only to <workspace>/logs/scheduler.log, not to stderr.")
@pass_ctx
def command(ctx: CliContext, once: bool, now_text: str | None, quiet: bool) -> None:
    """Run courier groups when their cron schedules fire.

    Long-running by default: sleeps until the next fire time of any enabled group, survives a
    failing run, and stops cleanly on SIGTERM or Ctrl-C (the run in flight is cancelled: its loads
    roll back, its record says so, and that fire time runs again on the next start). A fire time missed while
    the scheduler was down runs once on start, for every day since the last run, and the log says
    so. A failed run's window is retried with backoff (1, 2, 4 ... minutes, at most an hour) until
    it succeeds, and the group shows as late meanwhile (`courier groups skip` gives up on it).
    `--once` exits 1 when a group run failed. A run waiting for late files logs each check
    ("waiting for late files: ...") as it happens. Logs go to <workspace>/logs/scheduler.log
    (and stderr, unless --quiet).

    \b
    systemd:  ExecStart=/path/to/courier --workspace /srv/courier scheduler
    crontab:  * * * * *  /path/to/courier --workspace /srv/courier scheduler --once --quiet
    """
    now = parse_now(now_text)
    catalog = ctx.catalog
    code = run_scheduler(catalog, once=once, clock=shifted_clock(now) if now else real_clock,
                         log=scheduler_logger(catalog, echo=not quiet))
    sys.exit(code)
