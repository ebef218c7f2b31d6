"""The codebase stays ruff clean and each module stays one idea (under ~400 lines)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "tui", "tests", "benchmarks")


def test_ruff_is_clean() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    out = subprocess.run([str(ruff), "check", *PACKAGES], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_engine_and_tui_modules_stay_small() -> None:
    limit = 420  # "under ~400 lines": a little slack, never a second responsibility
    big = {str(p.relative_to(ROOT)): n for p in [*ROOT.glob("core/*.py"), *ROOT.glob("tui/**/*.py")]
           if (n := len(p.read_text().splitlines())) > limit}
    assert big == {}, f"split these modules: {big}"
