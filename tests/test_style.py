"""The codebase stays ruff clean (the layering is tests/test_layers.py, not a line count)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "tui", "tests", "benchmarks", "screenshots")


def test_ruff_is_clean() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    out = subprocess.run([str(ruff), "check", *PACKAGES], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr

