"""`courier scheduler`: fire courier groups on their schedules (long-running, or `--once` from cron)."""

from __future__ import annotations

import sys

import click

from core.scheduler import real_clock, run_scheduler, scheduler_logger, shifted_clock
from tui.cli.context import CliContext, pass_ctx
from tui.cli.cron import parse_now


@click.command(name="scheduler")
@click.option("--once", is_flag=True, help="Run what is due now and exit (for a crontab line or a systemd timer).")
@click.option("--now", "now_text", metavar="ISO-TIME",
              help="Pretend the clock reads this (naive = UTC); time then advances from there.")
@click.option("--quiet", "-q", is_flag=True, help="Log only to <workspace>/logs/scheduler.log, not to stderr.")
@pass_ctx
def command(ctx: CliContext, once: bool, now_text: str | None, quiet: bool) -> None:
    """Run courier groups when their cron schedules fire.

    Long-running by default: sleeps until the next fire time of any enabled group, survives a
    failing run, and stops cleanly on SIGTERM or Ctrl-C (the run in flight is cancelled; tables
    stay as they were, and that fire time runs again on the next start). A fire time missed while
    the scheduler was down runs once on start, for every day since the last run, and the log says
    so. `--once` exits 1 when a group run failed. Logs go to <workspace>/logs/scheduler.log.

    \b
    systemd:  ExecStart=/path/to/courier --workspace /srv/courier scheduler
    crontab:  * * * * *  /path/to/courier --workspace /srv/courier scheduler --once --quiet
    """
    now = parse_now(now_text)
    catalog = ctx.catalog
    code = run_scheduler(catalog, once=once, clock=shifted_clock(now) if now else real_clock,
                         log=scheduler_logger(catalog, echo=not quiet))
    sys.exit(code)
