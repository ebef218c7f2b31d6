"""Display helpers shared by the CLI and the TUI (no Textual import: the CLI uses them too)."""

from __future__ import annotations


def human_bytes(size: float) -> str:
    """1536 -> '1.5 KB'; bytes without decimals."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
