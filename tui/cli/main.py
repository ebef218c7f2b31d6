"""`courier`: the headless CLI. With no subcommand it opens the TUI on the workspace.

Every command calls the same engine functions as the TUI. Errors from the engine arrive as
CourierError and leave as one `error:` line (plus a `hint:` line) and exit code 2 for usage or
configuration problems, 1 for a failed run — never a traceback.
"""

from __future__ import annotations

import sys
import traceback

import click
from courier.core.catalog.workspace import default_workspace_dir
from courier.core.errors import CourierError, disk_full
from courier.core.text import printable
from courier.tui.cli.commands import LazyGroup
from courier.tui.cli.context import CliContext, error_lines, print_json


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--workspace", "workspace", metavar="DIR", envvar=None,
              help="Workspace folder (default: $COURIER_HOME, else the user data dir).")
@click.version_option(package_name="courier")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None) -> None:
    """Pull Optimizely's enriched-event exports from S3 into local domain tables."""
    ctx.obj = CliContext(workspace_arg=workspace)
    if ctx.invoked_subcommand is None:
        from courier.tui.launch import open_tui

        open_tui(ctx.obj.workspace)


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="courier", standalone_mode=False)
    except CourierError as exc:
        for line in error_lines(exc):
            click.echo(line, err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:  # `courier credentials` alone: its help, as asked
        exc.show()
        sys.exit(2)
    except click.UsageError as exc:  # bad option, bad value (BadParameter), missing argument, no such command
        _usage_error(exc, argv if argv is not None else sys.argv[1:])
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {printable(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no tracebacks for users
        chosen = _workspace_in(argv if argv is not None else sys.argv[1:])
        full = disk_full(exc, chosen or default_workspace_dir())
        if full is not None:  # an operator problem, never "a bug"
            click.echo(f"error: {full}", err=True)
            click.echo(f"hint: {full.hint}", err=True)
            sys.exit(full.exit_code)
        _report_bug(exc, chosen)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_error(exc: click.UsageError, args: list[str]) -> None:
    """click's usage errors in the documented form: `error: <what>` and `hint: <usage, --help>`.

    click's own block (Usage / Try / Error) would be three lines in another shape. A command that
    offers `--json` and was given it also gets the error as a JSON object on stdout.
    """
    message = exc.format_message()
    if exc.ctx is not None:
        usage = exc.ctx.get_usage().removeprefix("Usage: ").strip()
        hint = f"usage: {usage}; see `{exc.ctx.command_path} --help`"
    else:
        hint = "see `courier --help`"
    if exc.ctx is not None and _json_requested(exc.ctx.command, args):
        print_json({"error": message, "hint": hint})
    click.echo(f"error: {printable(message)}", err=True)
    click.echo(f"hint: {printable(hint)}", err=True)


def _json_requested(command: click.Command, args: list[str]) -> bool:
    """The command has a `--json` option and the command line gave it (before any `--`)."""
    given = args[:args.index("--")] if "--" in args else args
    return "--json" in given and any("--json" in p.opts for p in command.params)


def _workspace_in(args: list[str]) -> str | None:
    """The --workspace the command line chose, if any (for placing the crash log)."""
    for i, arg in enumerate(args):
        if arg == "--workspace" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--workspace="):
            return arg.split("=", 1)[1]
    return None


def _report_bug(exc: Exception, chosen: str | None) -> None:
    """Write the traceback to the workspace in use (not the terminal) and say where.

    The log is private (0600, in a 0700 folder) and every secret this process handled is
    redacted from it and from the line on the terminal.
    """
    import os
    from pathlib import Path

    from courier.core.catalog.workspace import default_workspace_dir
    from courier.core.config.secrets import redact

    text = redact("".join(traceback.format_exception(exc)))
    try:
        logs = (Path(chosen).expanduser() if chosen else default_workspace_dir()) / "logs"
        logs.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = logs / "crash.log"
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(text + "\n")
        where = f" (details in {path})"
    except OSError:
        where = ""
    click.echo(redact(f"error: unexpected {type(exc).__name__}: {printable(exc)}{printable(where)}"), err=True)
    click.echo("hint: this is a bug in courier; please report it with the details file", err=True)
