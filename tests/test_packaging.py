"""The wheel installs courier.core and courier.tui (never a top-level core or tui) with their data files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_holds_the_two_packages_and_their_data(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    [wheel] = tmp_path.glob("optimizely_courier-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"courier"}, tops
    assert {"courier/core/py.typed", "courier/tui/py.typed", "courier/tui/app.tcss"} <= names
    assert "courier/__init__.py" not in names  # a namespace: other distributions may add courier.* too
    for folder, package in (("core", "courier/core"), ("tui", "courier/tui")):
        for source in (ROOT / folder).rglob("*.py"):
            wanted = f"{package}/{source.relative_to(ROOT / folder).as_posix()}"
            assert wanted in names, f"{wanted} is missing from the wheel (list its package in pyproject.toml)"
        for style in (ROOT / folder).rglob("*.tcss"):
            wanted = f"{package}/{style.relative_to(ROOT / folder).as_posix()}"
            assert wanted in names, f"{wanted} is missing from the wheel (package data)"
    entry = wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info/entry_points.txt"
    assert "courier = courier.tui.cli.main:main" in zipfile.ZipFile(wheel).read(entry).decode()
