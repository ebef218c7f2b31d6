"""Errors for the JSON an operator types: where it is wrong (line/column or JSON pointer) and what was expected.

Entities lists and load operations are pasted or edited by hand, as in Amperity. A syntax error
names the line and column; a schema error names the JSON pointer of the offending key (written
readably: `/1/object/land-as/file/content-type`, the way the keys read, not RFC 6901's `~1`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from courier.core.errors import ConfigError, did_you_mean


class JsonSchemaError(ConfigError):
    """A ConfigError that also carries where in the document it happened (for the TUI's field)."""

    def __init__(self, message: str, hint: str | None = None, where: str | None = None, *,
                 pointer: str = "", line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, hint=hint, where=where)
        self.pointer = pointer
        self.line = line
        self.column = column


def parse_json(text: str, what: str) -> Any:
    """Parse `text`; a syntax error becomes one line with the line and column."""
    if not text.strip():
        raise JsonSchemaError("is empty", hint=_empty_hint(what), where=what, line=1, column=1)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonSchemaError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            hint="fix the JSON syntax there (keys and strings need double quotes; no trailing commas)",
            where=what, line=exc.lineno, column=exc.colno,
        ) from None


def _empty_hint(what: str) -> str:
    if what == "load operations":
        return "use {} to land files without loading them"
    return "paste a JSON array of entities, or use an Optimizely account ID for the preset"


def format_pointer(path: Sequence[str | int]) -> str:
    return "".join(f"/{part}" for part in path)


def schema_error(what: str, path: Sequence[str | int], message: str, hint: str | None = None) -> JsonSchemaError:
    """`entities list /1/object/land-as/file/content-type: expected one of ..., got ...`."""
    pointer = format_pointer(path)
    where = f"{what} {pointer}" if pointer else what
    return JsonSchemaError(message, hint=hint, where=where, pointer=pointer)


def type_name(value: Any) -> str:
    """JSON's name for a Python value, for 'expected X, got Y'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def show(value: Any) -> str:
    """A value as JSON, short enough for one line."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def check_keys(what: str, path: Sequence[str | int], obj: dict[str, Any], known: Iterable[str],
               *, unsupported: dict[str, str] | None = None) -> None:
    """Reject unknown keys, suggesting the closest known one (`file/tags` -> `file/tag`)."""
    known = list(known)
    for key in obj:
        if key in known:
            continue
        if unsupported and key in unsupported:
            raise schema_error(what, [*path, key], unsupported[key],
                               hint="remove this key; courier does not support it yet")
        hint = did_you_mean(key, known) or f"known keys: {', '.join(known)}"
        raise schema_error(what, [*path, key], "unknown key", hint=hint)

