"""The operator's keymap: keys remapped by binding id from a file in the user config dir (as Posting
does), and how a binding's keys read once that keymap is in force.

`~/.config/courier/keymap.toml` (or `keymap.json`; `$XDG_CONFIG_HOME` moves it) maps binding ids to
keys, e.g. `"app.explorer" = "ctrl+x"` or `"run.cancel" = ["x", "f8"]`. F1 lists the ids of the keys
that work where the focus is. The file is read once when the TUI opens; a file that does not parse
stops the TUI with one error line, an id no binding has is reported when the TUI opens.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import platformdirs
from courier.core.errors import ConfigError
from textual.binding import Binding, BindingType

KEYMAP_NAMES = ("keymap.toml", "keymap.json")


def keymap_path() -> Path | None:
    """The keymap file in the user config dir (TOML first, then JSON), or None when there is none."""
    folder = Path(platformdirs.user_config_dir("courier", appauthor=False))
    for name in KEYMAP_NAMES:
        path = folder / name
        if path.is_file():
            return path
    return None


def load_keymap(path: Path) -> dict[str, str]:
    """Binding id -> comma-separated keys, read from a TOML or JSON keymap file.

    Raises ConfigError naming the file (and the line for TOML and JSON syntax errors).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the keymap {path}: {exc}",
                          hint="fix its permissions or encoding (UTF-8), or remove the file") from None
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"keymap {path}, line {exc.lineno}, column {exc.colno}: {exc.msg}",
                              hint='write a JSON object such as {"app.explorer": "ctrl+x"}') from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"keymap {path}: {exc}",
                              hint='write one binding per line, e.g. "app.explorer" = "ctrl+x"') from None
    if not isinstance(data, dict):
        raise ConfigError(f"keymap {path}: the file must hold binding ids and keys",
                          hint='e.g. "app.explorer" = "ctrl+x"')
    return {str(binding_id): _keys(path, str(binding_id), value) for binding_id, value in data.items()}


def _keys(path: Path, binding_id: str, value: object) -> str:
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k.strip() for k in keys):
        raise ConfigError(f"keymap {path}: {binding_id} must be a key or a list of keys",
                          hint=f'e.g. "{binding_id}" = "ctrl+x" or ["f5", "ctrl+r"]')
    return ",".join(k.strip() for part in keys for k in part.split(",") if k.strip())


def unknown_ids(keymap: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """The ids in `keymap` that no binding has (sorted), so a typo does not pass unnoticed."""
    return sorted(set(keymap) - set(known))


def binding_ids(bindings: Iterable[BindingType]) -> list[str]:
    """The ids declared in a BINDINGS list."""
    return [b.id for b in bindings if isinstance(b, Binding) and b.id]


def remapped(binding: Binding, keymap: Mapping[str, str]) -> Binding:
    """`binding` with the keys the keymap gives its id (the key display then follows the new keys)."""
    if binding.id and binding.id in keymap:
        return binding.with_key(keymap[binding.id], key_display=None)
    return binding


def key_text(binding: Binding, keymap: Mapping[str, str], display: object) -> str:
    """How the keys of `binding` read with `keymap` in force, e.g. "^s" or "F1 / ?".

    `display` is the app's `get_key_display` (so the palette, help and footer spell keys alike).
    """
    live = remapped(binding, keymap)
    if live.key_display:
        return live.key_display
    show = display if callable(display) else (lambda b: b.key)
    return " / ".join(str(show(live.with_key(key.strip()))) for key in live.key.split(",") if key.strip())
