"""courier's engine: everything the TUI and the CLI do goes through here.

The public API is `from courier.core import Workspace` (see courier.core.api). It is resolved on
first use, so importing one engine module (`courier.core.errors`, say) stays cheap. This package never
imports textual (tests/test_layers.py enforces it), so the engine runs headless under cron and systemd.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["Workspace"]

def __getattr__(name: str) -> Any:
    if name == "Workspace":
        return importlib.import_module("courier.core.api").Workspace
    raise AttributeError(f"module 'courier.core' has no attribute {name!r}")
