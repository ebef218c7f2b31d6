"""`python -m benchmarks.history --scale tiny` runs end to end and its row counts hold (day 30's load
adds exactly the day's rows on top of the history, bounded or not). Timings are `make bench`'s to
judge, never asserted here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_history_benchmark_runs_and_its_counts_hold(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COURIER_"))}
    env["HOME"] = str(tmp_path / "home")
    md = tmp_path / "history.md"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.history", "--scale", "tiny", "--days", "3",
                           "--repeat", "1", "--cache", str(tmp_path / "cache"), "--md", str(md)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = md.read_text().splitlines()
    assert lines[0] == "## Day 3 against day 1 (`python -m benchmarks.history --scale tiny`)"
    rows = [line for line in lines if line.startswith("| day ")]
    assert [r.split(" | ")[0] for r in rows] == ["| day 1 (empty tables)", "| day 3, lookback bound (default, 7 days)",
                                                 "| day 3, every stored row (`all`)"]
    assert proc.stdout == md.read_text()
