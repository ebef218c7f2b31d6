"""Stand-ins for heavy third-party modules (DuckDB, pyarrow), imported on first attribute access.

A landing-only run and `courier --help` go through modules that also load and read files; a
stand-in lets those modules name `duckdb` or `pa` at module level while only the code that uses
them pays for the import (DuckDB and pyarrow take a few hundred milliseconds to import). Use it as

    if TYPE_CHECKING:
        import duckdb
    else:
        duckdb = lazy.module("duckdb")

so type checkers see the real module. Nothing is put in `sys.modules` before the real import, and
a dotted name does not import its parent package early, which is why this is not
`importlib.util.LazyLoader` (that registers the module at once and imports the parents to find it).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any


class Deferred(ModuleType):
    """Stands in for the module of the same name; the first attribute read imports it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loaded(), name)

    def loaded(self) -> ModuleType:
        """The real module, imported now if it was not yet."""
        real = self.__dict__.get("_deferred_real")
        if real is None:
            real = importlib.import_module(self.__name__)
            self.__dict__["_deferred_real"] = real
        return real

    def __repr__(self) -> str:
        state = "imported" if "_deferred_real" in self.__dict__ else "not imported yet"
        return f"<deferred module {self.__name__!r} ({state})>"


def module(name: str) -> ModuleType:
    """`name` itself when already imported, else a stand-in that imports it on first use."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    return Deferred(name)
