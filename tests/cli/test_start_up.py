"""`courier --help` and a landing-only run import only what they use (issue 13, start-up cost).

Each command runs as its own process through a wrapper that, at exit, writes the names of every
imported module to a file; the tests read which heavy libraries are among them. No timing here:
the speed itself is measured by `make bench`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.source.landing import landed_files
from courier.tui.cli.commands import COMMANDS

DAY = date(2026, 11, 1)
HEAVY = ("duckdb", "pyarrow", "textual", "rich")
# Every imported module's name, written when the process exits (sys.exit included).
WRAPPER = """
import atexit, sys
listing, args = sys.argv[1], sys.argv[2:]
def _write():
    with open(listing, "w") as fh:
        fh.write("\\n".join(sorted(sys.modules)))
atexit.register(_write)
sys.argv = ["courier", *args]
from courier.tui.cli.main import main
main(args)
"""


def run_courier(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`courier ARGS` in a fresh interpreter: its result and the set of modules it imported."""
    listing = tmp_path / f"modules-{len(list(tmp_path.glob('modules-*')))}.txt"
    out = subprocess.run([sys.executable, "-c", WRAPPER, str(listing), *args], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "COLUMNS": "80"})
    return out, set(listing.read_text().split("\n"))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_help_lists_every_command_without_importing_any(tmp_path: Path) -> None:
    out, modules = run_courier(tmp_path, "--help")
    assert out.returncode == 0, out.stderr
    listed = [line.split()[0] for line in out.stdout.split("Commands:\n")[1].splitlines() if line.strip()]
    assert listed == sorted(COMMANDS)
    assert "Run COURIER: land its files for the chosen dates and apply..." in out.stdout
    assert heavy_in(modules) == []
    assert not {m for m in modules if m.startswith(("courier.tui.cli.", "boto", "botocore"))} - {
        "courier.tui.cli.main", "courier.tui.cli.commands", "courier.tui.cli.context"}


def test_a_command_imports_its_own_module_only(tmp_path: Path) -> None:
    out, modules = run_courier(tmp_path, "cron", "0 14 * * *", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["expression"] == "0 14 * * *"
    assert "courier.tui.cli.cron" in modules
    assert not {"courier.tui.cli.runs", "courier.tui.cli.query", "courier.tui.cli.feeds"} & modules
    assert heavy_in(modules) == []


@pytest.mark.parametrize("json_flag", [["--json"], []], ids=["json", "lines"])
def test_a_landing_only_run_imports_no_duckdb_pyarrow_textual_or_rich(landing_only: Path, tmp_path: Path,
                                                                       catalog: Catalog, json_flag: list[str]) -> None:
    out, modules = run_courier(tmp_path, "--workspace", str(landing_only), "run", "optimizely", "--day",
                               DAY.isoformat(), *json_flag)
    assert out.returncode == 0, out.stderr
    assert "boto3" in modules  # it did land files
    assert heavy_in(modules) == []
    files = landed_files(catalog, "optimizely")
    assert files and all(f.key.endswith(".parquet") for f in files)
    # the ledger's row counts, read without pyarrow, are pyarrow's
    assert [f.rows for f in files] == [pq.read_metadata(f.local_path).num_rows for f in files]


def test_the_help_table_says_what_each_command_says(tmp_path: Path) -> None:
    """COMMANDS holds each command's one-line help so listing needs no import: it must not drift."""
    for name, entry in COMMANDS.items():
        command = entry.load()
        assert command.name == name
        assert command.get_short_help_str(10**6) == entry.short_help, name


def test_unknown_commands_still_get_suggestions(tmp_path: Path) -> None:
    out, modules = run_courier(tmp_path, "runz")
    assert out.returncode == 2
    assert out.stderr.splitlines()[0] == "error: No such command 'runz'. (Did you mean one of: 'run', 'runs'?)"
    assert heavy_in(modules) == []
