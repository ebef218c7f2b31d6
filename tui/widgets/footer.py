"""The footer: the keys that work now, with Help and Quit pinned on the right so a narrow terminal
(80 columns) cuts off screen keys, never the way to get help or out."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PINNED_ACTIONS = ("help", "request_quit")  # app.help, app.quit


class CourierFooter(Footer):
    """Textual's footer with Help, Quit and the palette key in one group docked right."""

    DEFAULT_CSS = """
    CourierFooter #footer-pinned { dock: right; width: auto; height: 1; background: $footer-background; }
    CourierFooter #footer-pinned FooterKey.-palette { border-left: vkey $foreground 20%; padding-right: 1; }
    """

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        pinned = [k for k in keys if isinstance(k, FooterKey) and k.action in PINNED_ACTIONS]
        palette = [k for k in keys if k.has_class("-command-palette")]
        for key in palette:
            key.remove_class("-command-palette")
            key.add_class("-palette")
        yield from (k for k in keys if k not in pinned and k not in palette)
        if pinned or palette:
            with HorizontalGroup(id="footer-pinned"):
                yield from pinned
                yield from palette
