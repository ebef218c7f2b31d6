"""One rendering for the engine's check lists (Test connection, courier Validate)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from courier.core.text import printable
from rich.text import Text


def checks_text(checks: Iterable[Any], verdict: str, ok: bool, warnings: Iterable[str] = ()) -> Text:
    """✓ / ✗ / – (not run) per check, warnings, then the verdict line in green or red."""
    text = Text()
    for check in checks:
        if check.ok:
            mark, style = "✓", "green"
        elif getattr(check, "ran", True):
            mark, style = "✗", "red"
        else:
            mark, style = "–", "dim"
        # names, details and warnings quote keys, tags and S3's error texts: controls escaped
        text.append(f"{mark} {printable(check.name)}: ", style=f"bold {style}")
        text.append(f"{printable(check.detail)}\n")
    for warning in warnings:
        text.append(f"! {printable(warning)}\n", style="yellow")
    text.append(printable(verdict), style="bold green" if ok else "bold red")
    return text
