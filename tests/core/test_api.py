"""The public API: `from courier.core import Workspace`, and the README's example, run as written."""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from courier.core import Workspace
from courier.core.catalog.catalog import Catalog
from courier.core.devtools.demo import fresh_demo_workspace, prepare_demo
from courier.core.devtools.s3server import LocalS3
from courier.core.errors import ConfigError
from courier.core.types import RunStatus

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 3)


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- api-example", 1)[1]
    return re.search(r"```python\n(.*?)```", block, re.S).group(1)  # type: ignore[union-attr]


@pytest.fixture
def demo(s3: LocalS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = fresh_demo_workspace(tmp_path / "ws")
    prepare_demo(s3, folder, days=3, rows_per_day=50, today=TODAY)
    monkeypatch.setenv("COURIER_HOME", str(folder.root))
    return folder.root


def test_the_readme_example_runs_as_written(demo: Path) -> None:
    with Workspace.open(demo) as ws:  # a feed, so the example's loop has a table to count
        ws.run("optimizely", day=date(2026, 11, 2))
        sample = next(f.key for f in ws.landed_files("optimizely") if "type=decisions" in f.key)
        ws.feeds.add(source="Optimizely", name="Decisions", sample=sample, primary_key=["uuid"],
                     generate_updated=True, activate=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_readme_example(), "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("succeeded - "), lines
    assert re.fullmatch(r"Optimizely:Decisions \d+", lines[1]), lines


def test_a_workspace_owns_its_catalog_until_the_block_ends(demo: Path) -> None:
    with Workspace.open(demo) as ws:
        assert [c.name for c in ws.couriers.list()] == ["optimizely"]
        catalog: Catalog = ws.catalog
        result = ws.run("optimizely", day=date(2026, 11, 2))
        assert result.status == RunStatus.SUCCEEDED
        assert [r.id for r in ws.runs("optimizely")] == [result.id]
    with pytest.raises(sqlite3.ProgrammingError):  # closed with the block
        catalog.one("SELECT 1")


def test_run_takes_exactly_one_selection(demo: Path) -> None:
    with Workspace.open(demo) as ws:
        with pytest.raises(ConfigError, match="exactly one of day=, period="):
            ws.run("optimizely")
        with pytest.raises(ConfigError, match="exactly one of day=, period="):
            ws.run("optimizely", day=date(2026, 11, 2), all=True)
        result = ws.run("optimizely", period=(date(2026, 11, 1), date(2026, 11, 3)))
        assert result.status == RunStatus.SUCCEEDED


def test_query_limits_before_fetching_and_stays_in_the_sandbox(demo: Path) -> None:
    with Workspace.open(demo) as ws:
        ws.run("optimizely", day=date(2026, 11, 2))
        sample = next(f.key for f in ws.landed_files("optimizely") if "type=decisions" in f.key)
        ws.feeds.add(source="Optimizely", name="Decisions", sample=sample, primary_key=["uuid"],
                     generate_updated=True, activate=True)
        table = ws.query('SELECT * FROM range(1000000) t(i)', limit=5)
        assert table.num_rows == 5
        # the domain table is there (activated, nothing loaded yet: load operations are empty)
        assert ws.query('SELECT count(*) AS n FROM "Optimizely:Decisions"').column("n")[0].as_py() == 0
        with pytest.raises(ConfigError, match="COPY"):
            ws.query("COPY (SELECT 1) TO '/tmp/x.csv'")


def test_importing_one_engine_module_does_not_load_the_api() -> None:
    code = "import sys, courier.core.errors; print('courier.core.api' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
