"""Open the Textual app (imported only when the TUI is wanted)."""

from __future__ import annotations

from core.workspace import Workspace


def open_tui(workspace: Workspace) -> None:
    from tui.app import CourierApp

    CourierApp(workspace).run()
