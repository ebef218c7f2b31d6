"""The footer: the keys that work now, with Help and Quit pinned on the right, and no key cut in
half: at 80 columns the screen keys that do not fit whole are left out (the palette, ctrl+p, and
F1 still list them), never the way to get help or out."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

PINNED_ACTIONS = ("help", "request_quit")  # app.help, app.quit (q, or ctrl+q while a field takes q)


def key_width(key: FooterKey) -> int:
    """Cells a footer key takes: its key and description with their padding (Textual's defaults)."""
    return cell_len(key.key_display) + 2 + (cell_len(key.description) + 1 if key.description else 0)


class CourierFooter(Footer):
    """Textual's footer with Help, Quit and the palette key at the right edge."""

    DEFAULT_CSS = """
    CourierFooter > #footer-gap { width: 1fr; height: 1; }
    CourierFooter > FooterKey.-palette { border-left: vkey $foreground 20%; padding-right: 1; }
    """

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._composed_keys = self._keys_now()
        keys = [k for k in super().compose() if isinstance(k, FooterKey)]
        palette = [k for k in keys if k.has_class("-command-palette")]
        for key in palette:
            key.remove_class("-command-palette")
            key.add_class("-palette")
        pinned = self._pinned()
        self._composed_width = self.app.size.width
        room = self.app.size.width - sum(key_width(k) for k in pinned) - sum(key_width(k) + 2 for k in palette)
        for key in keys:
            if key in palette or key.action in PINNED_ACTIONS:
                continue
            room -= key_width(key)
            if room < 0:
                break  # the rest would be cut off: leave them out whole
            yield key
        yield Static("", id="footer-gap")  # pushes Help, Quit and the palette key to the right edge
        yield from pinned
        yield from palette

    def _pinned(self) -> list[FooterKey]:
        """Help, then Quit, each by its shortest key that works now (f1 rather than ?, q rather than
        ctrl+q unless a text field takes the q)."""
        chosen: list[FooterKey] = []
        active = self.screen.active_bindings
        for action in PINNED_ACTIONS:
            candidates: list[tuple[Binding, bool, str]] = [
                (a.binding, a.enabled, a.tooltip) for a in active.values() if a.binding.action == action]
            if not candidates:
                continue
            binding, enabled, tooltip = min(candidates, key=lambda c: len(c[0].key))
            key = FooterKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                            disabled=not enabled, tooltip=tooltip or binding.description)
            chosen.append(key.data_bind(compact=Footer.compact))
        return chosen

    _composed_width = 0
    _composed_keys: tuple[Any, ...] | None = None

    def _keys_now(self) -> tuple[Any, ...]:
        """What the footer would show: each active binding's key, label, action, state and tooltip."""
        return tuple((b.key, self.app.get_key_display(b), b.description, b.action, b.show, enabled, tooltip)
                     for b, enabled, tooltip in ((a.binding, a.enabled, a.tooltip)
                                                 for a in self.screen.active_bindings.values()))

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Recompose only when the keys changed: focus moving back from a modal (help, say) leaves
        them as they were, and rebuilding a dozen keys is most of what closing help costs."""
        if self._composed_keys is not None and screen is self.screen and self._keys_now() == self._composed_keys:
            return
        super().bindings_changed(screen)

    def on_resize(self) -> None:
        if self.app.size.width != self._composed_width:  # what fits follows the terminal's width
            self.call_after_refresh(self.recompose)
