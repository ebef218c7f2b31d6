"""mypy is clean on courier.core and courier.tui, checked as the installed package names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_is_clean(tmp_path: Path) -> None:
    # the folders core/ and tui/ are the packages courier.core and courier.tui: give mypy that tree
    tree = tmp_path / "src" / "courier"
    tree.mkdir(parents=True)
    (tree / "core").symlink_to(ROOT / "core")
    (tree / "tui").symlink_to(ROOT / "tui")
    mypy = Path(sys.executable).parent / "mypy"
    out = subprocess.run(
        [str(mypy), "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(ROOT / ".mypy_cache"),
         "-p", "courier.core", "-p", "courier.tui"],
        cwd=tmp_path / "src", capture_output=True, text=True, env={**os.environ, "MYPYPATH": str(tmp_path / "src")})
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
