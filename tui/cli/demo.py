"""`courier demo`: an embedded S3 with a synthetic Optimizely export, and the TUI on top."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click
from courier.tui.cli.context import CliContext, pass_ctx


@click.command(name="demo")
@click.option("--days", type=click.IntRange(1, 366), default=3, show_default=True, help="Days of export to generate.")
@click.option("--rows", type=click.IntRange(10, 10_000_000), default=2000, show_default=True,
              help="Decision rows per day (conversions are half).")
@click.option("--workspace", "demo_workspace", metavar="DIR",
              help="Demo workspace folder (default: courier-demo beside the user data dir); rebuilt each start.")
@click.option("--no-tui", is_flag=True, help="Print the endpoint and next commands, then serve until Ctrl-C.")
@pass_ctx
def command(ctx: CliContext, days: int, rows: int, demo_workspace: str | None, no_tui: bool) -> None:
    """Start an embedded S3 with demo data and open the TUI on a demo workspace."""
    from courier.core.catalog.workspace import default_workspace_dir
    from courier.core.devtools.demo import fresh_demo_workspace, prepare_demo
    from courier.core.devtools.s3server import LocalS3

    chosen = demo_workspace or ctx.workspace_arg
    root = Path(chosen).expanduser() if chosen else default_workspace_dir().with_name("courier-demo")
    workspace = fresh_demo_workspace(root)
    ctx._workspace = workspace
    click.echo("starting the embedded S3 and generating the demo export...", err=True)
    signal.signal(signal.SIGHUP, _exit_cleanly)
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with LocalS3() as server:
        info = prepare_demo(server, workspace, days=days, rows_per_day=rows)
        if not no_tui:
            from courier.tui.app import CourierApp

            CourierApp(workspace, demo_info=info.as_dict()).run()
            return
        ws = f"--workspace {workspace.root}"
        newest_ready = info.days[-2] if len(info.days) > 1 else info.days[-1]
        click.echo(f"""demo S3 endpoint: {info.endpoint}
bucket:           {info.bucket} (account {info.account_id}, {len(info.days)} days: {info.days[0]} .. {info.days[-1]}; the newest day has no _SUCCESS yet)
workspace:        {workspace.root}
courier:          {info.courier} (load operations {{}})

next, in another terminal:
  courier {ws} couriers validate {info.courier} --day {newest_ready}
  courier {ws} run {info.courier} --day {newest_ready}
  courier {ws} files {info.courier}
  courier {ws} feeds add --source Optimizely --name Decisions --sample <a decisions key from `files`> --primary-key uuid --generate-updated --activate

serving until Ctrl-C""")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


def _exit_cleanly(signum: int, frame: object) -> None:
    """SIGHUP (terminal gone) and SIGTERM unwind normally, so the embedded S3 is stopped."""
    raise SystemExit(0)
