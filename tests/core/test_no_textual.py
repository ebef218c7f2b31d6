"""The engine never imports Textual: it must run headless under cron and systemd."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import courier.core

ROOT = Path(__file__).resolve().parents[2]


def test_importing_every_core_module_does_not_import_textual() -> None:
    modules = [m.name for m in pkgutil.walk_packages(courier.core.__path__, "courier.core.")]
    assert len(modules) >= 30
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported textual modules: {out.stdout.strip()}"


def test_cli_help_does_not_import_textual() -> None:
    code = (
        "import sys\nfrom courier.tui.cli.main import cli\n"
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
