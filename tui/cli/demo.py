"""`courier demo`: an embedded S3 with a synthetic Optimizely export, and the TUI on top."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from courier.tui.cli.context import CliContext, pass_ctx

if TYPE_CHECKING:  # the demo's modules (pyarrow, moto's client) load only when `courier demo` runs
    from courier.core.devtools.demo import DemoInfo


@click.command(name="demo")
@click.option("--days", type=click.IntRange(1, 366), default=3, show_default=True, help="Days of export to generate.")
@click.option("--rows", type=click.IntRange(10, 10_000_000), default=2000, show_default=True,
              help="Decision rows per day (conversions are half).")
@click.option("--workspace", "demo_workspace", metavar="DIR",
              help="Demo workspace folder (default: courier-demo beside the user data dir); rebuilt each start.")
@click.option("--no-tui", is_flag=True,
              help="Print the endpoint, the demo's access key and secret and the next commands, then serve until Ctrl-C.")
@pass_ctx
def command(ctx: CliContext, days: int, rows: int, demo_workspace: str | None, no_tui: bool) -> None:
    """Start an embedded S3 with demo data and open the TUI on a demo workspace.

    The embedded S3 checks keys as AWS does: the demo credential is a real access key of that
    server (a wrong secret is refused). One demo per workspace: a second one is refused."""
    from courier.core.catalog.workspace import default_workspace_dir
    from courier.core.devtools.demo import claim_demo_workspace, prepare_demo
    from courier.core.devtools.s3server import LocalS3

    chosen = demo_workspace or ctx.workspace_arg
    root = Path(chosen).expanduser() if chosen else default_workspace_dir().with_name("courier-demo")
    with claim_demo_workspace(root) as claim:
        workspace = claim.workspace
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
            click.echo(_instructions(info))
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass


def _instructions(info: DemoInfo) -> str:
    """What `--no-tui` prints: where the demo is, its key, and the README's CLI steps against it.

    Secrets never reach argv or logs; printing this demo's own throwaway secret to the operator's
    terminal is the point (it opens only this local server and dies with it), so the README's
    `credentials add` step can be walked for real. The suggested `echo ... |` is a shell builtin,
    so the secret still reaches courier on stdin, not in any process's argv.
    """
    ws = f"--workspace {info.workspace}"
    url = f"--endpoint-url {info.endpoint}"
    newest_ready = info.days[-2] if len(info.days) > 1 else info.days[-1]
    return f"""demo S3 endpoint: {info.endpoint}
access key id:    {info.access_key_id}
secret key:       {info.secret_access_key}
                  (this demo's own throwaway key: it opens only this local S3 and dies with it)
bucket:           {info.bucket} (account {info.account_id}, {len(info.days)} days: {info.days[0]} .. {info.days[-1]}; the newest day has no _SUCCESS yet)
workspace:        {info.workspace}
courier:          {info.courier} (load operations {{}})

next, in another terminal, on the demo workspace (credential and courier are there):
  courier {ws} couriers validate {info.courier} --day {newest_ready}
  courier {ws} run {info.courier} --day {newest_ready}
  courier {ws} files {info.courier}
  courier {ws} feeds add --source Optimizely --name Decisions --sample <a decisions key from `files`> --primary-key uuid --generate-updated --activate

or walk the README's workflow from step 1 in a workspace of your own:
  export COURIER_HOME=~/courier-try
  echo '{info.secret_access_key}' | courier credentials add demo --kind iam-credential --access-key-id {info.access_key_id} --secret-access-key-stdin
  courier credentials test demo --bucket {info.bucket} --prefix {info.prefix} {url}
  courier couriers add optimizely --credential demo --bucket {info.bucket} --optimizely-account {info.account_id} {url} --load-operations - <<< '{{}}'

serving until Ctrl-C"""


def _exit_cleanly(signum: int, frame: object) -> None:
    """SIGHUP (terminal gone) and SIGTERM unwind normally, so the embedded S3 is stopped."""
    raise SystemExit(0)
