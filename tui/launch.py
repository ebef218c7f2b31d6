"""Open the Textual app (imported only when the TUI is wanted)."""

from __future__ import annotations

from courier.core.catalog.workspace import Workspace


def open_tui(workspace: Workspace) -> None:
    from courier.tui.app import CourierApp

    CourierApp(workspace).run()
