"""A date out of courier's range, or a selection `courier files --remote` cannot list, in the CLI's words.

The engine names the field neutrally ("day", "first day", "end day") and points a Fix at it; the CLI
phrases that fix as its own flag (`pass --from ...`), never another face's control. `files --remote`
chooses its days with the run's own selection (RunRequest.from_selection), so the same dates give the
same error as `courier run`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier
from courier.core.config.credentials import add_credential

COURIER = str(Path(sys.executable).parent / "courier")


def courier(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COURIER, "--workspace", str(ws), *args], capture_output=True, text=True, timeout=60)


def error_and_hint(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 2, result.stderr
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), result.stderr
    return lines[0], lines[1]


@pytest.fixture
def ws(workspace_dir: Path, catalog: Catalog) -> Path:
    """A courier to name; nothing here reaches S3 (every selection below is refused first)."""
    add_credential(catalog, "opt", "iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE",
                   secret_access_key="wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY")
    add_courier(catalog, "optimizely", credential="opt", bucket="optimizely-events-data",
                endpoint_url="http://127.0.0.1:9", optimizely_account="1234567890", load_operations="{}")
    return workspace_dir


@pytest.mark.parametrize(("args", "error", "hint"), [
    (("--day", "9999-12-31"), "error: day 9999-12-31 is outside the dates courier loads",
     "hint: pass --day YYYY-MM-DD between 1970-01-01 and 2199-12-31"),
    (("--from", "1969-12-31", "--to", "2026-11-01"), "error: first day 1969-12-31 is outside the dates courier loads",
     "hint: pass --from YYYY-MM-DD between 1970-01-01 and 2199-12-31"),
    (("--from", "2026-11-01", "--to", "2200-01-02"), "error: end day 2200-01-02 is outside the dates courier loads",
     "hint: pass --to YYYY-MM-DD between 1970-01-01 and 2200-01-01"),
    (("--from", "2000-01-01", "--to", "2015-01-01"), "5479 days, more than the 3660 days",
     "pass --to YYYY-MM-DD at most 3660 days after the first day"),
])
@pytest.mark.parametrize("command", [("run", "optimizely"), ("files", "optimizely", "--remote")])
def test_an_out_of_range_date_names_the_cli_flag_that_fixes_it(ws: Path, command: tuple[str, ...],
                                                               args: tuple[str, ...], error: str, hint: str) -> None:
    first, advice = error_and_hint(courier(ws, *command, *args))
    assert error in first, first
    assert advice.startswith("hint: ") and hint in advice, advice
    assert "field" not in first + advice  # the TUI's words stay in the TUI


@pytest.mark.parametrize("args", [
    ("--from", "2026-11-03", "--to", "2026-11-01"),  # reversed
    ("--from", "2026-11-01"),  # no end
])
def test_files_remote_refuses_a_selection_with_the_runs_own_error(ws: Path, args: tuple[str, ...]) -> None:
    run = error_and_hint(courier(ws, "run", "optimizely", *args))
    files = error_and_hint(courier(ws, "files", "optimizely", "--remote", *args))
    assert files == run


def test_two_selections_are_refused_naming_the_flags_each_command_has(ws: Path) -> None:
    """The engine says "a day, a period, or all available data"; each command names its own flags:
    `files --remote` has no --all, so its error never offers it."""
    two = ("--day", "2026-11-01", "--from", "2026-11-01", "--to", "2026-11-02")
    assert error_and_hint(courier(ws, "run", "optimizely", *two)) == (
        "error: choose exactly one of --day D, --from D --to D, or --all",
        "hint: --day for one day, --from (inclusive) with --to (exclusive) for a period, --all for all available data")
    assert error_and_hint(courier(ws, "files", "optimizely", "--remote", *two)) == (
        "error: choose exactly one of --day D or --from D --to D",
        "hint: --day for one day, --from (inclusive) with --to (exclusive) for a period")
