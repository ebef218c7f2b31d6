"""One rendering for the engine's check lists (Test connection, courier Validate)."""

from __future__ import annotations

from collections.abc import Iterable

from courier.core.text import printable
from courier.core.types import Check, CheckState
from rich.text import Text

MARKS = {CheckState.PASSED: ("✓", "green"), CheckState.FAILED: ("✗", "red"), CheckState.NOT_RUN: ("–", "dim")}


def checks_text(checks: Iterable[Check], verdict: str, ok: bool, warnings: Iterable[str] = ()) -> Text:
    """✓ / ✗ / – (not run) per check, warnings, then the verdict line in green or red."""
    text = Text()
    for check in checks:
        mark, style = MARKS[check.state]
        # names, details and warnings quote keys, tags and S3's error texts: controls escaped
        text.append(f"{mark} {printable(check.name)}: ", style=f"bold {style}")
        text.append(f"{printable(check.detail)}\n")
    for warning in warnings:
        text.append(f"! {printable(warning)}\n", style="yellow")
    text.append(printable(verdict), style="bold green" if ok else "bold red")
    return text
