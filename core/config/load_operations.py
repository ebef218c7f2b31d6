"""Load operations: which feed each landed file (by tag) goes to, and how (amperity-couriers.md §3).

Shape: `{feed-id: [{"type": "truncate"}, {"type": "load", "file": TAG}, ...]}`; `{}` lands files
without loading them. A feed id may be an obviously-incorrect placeholder (`df-xxxxxx`,
`DECISIONS-FEED-ID`) while feeds do not exist yet: the run lands files, then fails with
`Cannot find required feeds`, exactly as the Optimizely workflow (§2.3) relies on.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from courier.core.config.documents import (
    check_keys,
    parse_json,
    schema_error,
    show,
    type_name,
)
from courier.core.errors import did_you_mean

WHAT = "load operations"
TYPES = ("truncate", "load")
_KEYS = {"truncate": ("type",), "load": ("type", "file")}
_UNSUPPORTED = {"spark-sql": "spark-sql ingest queries are not supported yet"}


@dataclass(frozen=True)
class Operation:
    """One step for a feed: `truncate` (always first, wherever it appears) or `load` of a file tag."""

    type: str
    file: str | None = None

    def to_json(self) -> dict[str, str]:
        return {"type": self.type} if self.file is None else {"type": self.type, "file": self.file}


def load_operations_json(text_or_dict: str | dict[str, Any]) -> dict[str, Any]:
    """The raw JSON object (parsed from text if needed), before validation."""
    value = parse_json(text_or_dict, WHAT) if isinstance(text_or_dict, str) else text_or_dict
    if isinstance(value, list):
        raise schema_error(WHAT, [], "expected a JSON object {feed-id: [operations]}, got an array",
                           hint='e.g. {"df-xxxxxx": [{"type": "load", "file": "decisions"}]}, or {} to land only')
    if not isinstance(value, dict):
        raise schema_error(WHAT, [], f"expected a JSON object {{feed-id: [operations]}}, got {type_name(value)}",
                           hint="use {} to land files without loading them")
    return value


def parse_load_operations(text_or_dict: str | dict[str, Any],
                          tags: Collection[str] | None = None) -> dict[str, list[Operation]]:
    """Validate load operations; with `tags`, every `load.file` must be a tag of the entities list."""
    value = load_operations_json(text_or_dict)
    result: dict[str, list[Operation]] = {}
    for feed_id, ops in value.items():
        if not feed_id.strip():
            raise schema_error(WHAT, [feed_id], "a feed id must not be empty",
                               hint="use the feed's id, or a placeholder such as df-xxxxxx until it exists")
        if not isinstance(ops, list):
            raise schema_error(WHAT, [feed_id], f"expected an array of operations, got {type_name(ops)}",
                               hint='e.g. [{"type": "load", "file": "decisions"}]')
        if not ops:
            raise schema_error(WHAT, [feed_id], "expected at least one operation, got []",
                               hint='add {"type": "load", "file": TAG}, or remove the feed')
        result[feed_id] = [_parse_operation(feed_id, i, op, tags) for i, op in enumerate(ops)]
    return result


def _parse_operation(feed_id: str, index: int, op: Any, tags: Collection[str] | None) -> Operation:
    at: list[str | int] = [feed_id, index]
    if not isinstance(op, dict):
        raise schema_error(WHAT, at, f"expected an object, got {type_name(op)}")
    if "type" not in op:
        raise schema_error(WHAT, at, "missing required key 'type'", hint='expected "truncate" or "load"')
    kind = op["type"]
    if kind in _UNSUPPORTED:
        raise schema_error(WHAT, [*at, "type"], _UNSUPPORTED[kind], hint='use "truncate" and "load"')
    if kind not in TYPES:
        raise schema_error(WHAT, [*at, "type"], f'expected "truncate" or "load", got {show(kind)}',
                           hint=did_you_mean(kind, TYPES) if isinstance(kind, str) else None)
    check_keys(WHAT, at, op, _KEYS[kind])
    if kind == "truncate":
        return Operation("truncate")
    if "file" not in op:
        raise schema_error(WHAT, at, "missing required key 'file'",
                           hint=_tags_hint(tags) or "name the file/tag of an entity")
    file = op["file"]
    if not isinstance(file, str) or not file:
        raise schema_error(WHAT, [*at, "file"], f"expected a file tag (string), got {show(file)}",
                           hint=_tags_hint(tags))
    if tags is not None and file not in tags:
        raise schema_error(WHAT, [*at, "file"], f"{show(file)} is not a file/tag in the entities list",
                           hint=_tags_hint(tags, file))
    return Operation("load", file)


def _tags_hint(tags: Collection[str] | None, near: str | None = None) -> str | None:
    if tags is None:
        return None
    if not tags:
        return "the entities list has no tags"
    guess = did_you_mean(near, sorted(tags)) if near else None
    known = "known tags: " + ", ".join(sorted(tags))
    return f"{guess} {known}" if guess else known


def operations_to_json(ops: dict[str, list[Operation]]) -> dict[str, list[dict[str, str]]]:
    return {feed_id: [op.to_json() for op in steps] for feed_id, steps in ops.items()}


_X_SUFFIX = re.compile(r"^(?:[a-z]+-)?x+$", re.IGNORECASE)  # df-xxxxxx, DF-XXXX, xxxxxx
_TEMPLATE = re.compile(r"^(?:[A-Z0-9]+[-_])*FEED[-_]?ID$")  # FEED-ID, DECISIONS-FEED-ID, MY_FEED_ID
_BRACKETED = re.compile(r"^[<{\[].*[>}\]]$")  # <feed-id>, {feed_id}


def is_placeholder(feed_id: str) -> bool:
    """True for obviously-incorrect ids meant to be replaced once the feed exists."""
    text = feed_id.strip()
    return bool(_X_SUFFIX.match(text) or _TEMPLATE.match(text) or _BRACKETED.match(text))


def placeholder_warning(feed_id: str) -> str:
    """What an operator should know when saving or validating a placeholder feed id."""
    return (f"{feed_id} is a placeholder: the run will land files and then fail with "
            f'Cannot find required feeds: "{feed_id}" (replace it once the feed exists)')


def unknown_feeds(ops: dict[str, list[Operation]] | dict[str, Any], known_feed_ids: Iterable[str]) -> list[str]:
    """Feed ids the load operations name that do not exist, in the order they appear."""
    known = set(known_feed_ids)
    return [feed_id for feed_id in ops if feed_id not in known]


LOAD_ALONE_NOTE = ("Load alone upserts on the primary key: every run adds and updates rows and keeps the rest. "
                   "Truncate + load empties the table first on every run, so re-running one day would leave "
                   "only that day's rows.")


def merged_load_operations(existing: dict[str, Any], feed_id: str, tag: str, *,
                           truncate: bool = False) -> tuple[dict[str, Any], str | None]:
    """The courier's load operations with `feed_id` loading `tag`: `[load tag]`, or with `truncate`
    `[truncate, load tag]`.

    Load alone is the default because a daily courier must keep the days it loaded before (see
    LOAD_ALONE_NOTE); a placeholder's truncate (the documentation's example has one) is not carried
    over. A placeholder that loads the same file tag is replaced, as is the only entry when it is a
    placeholder; otherwise the feed is added. Returns (new operations, replaced placeholder). This is
    the onboarding step "add load operations": the TUI offers it after a feed is activated.
    """
    replaced = next((fid for fid, steps in existing.items() if is_placeholder(fid)
                     and any(isinstance(s, dict) and s.get("file") == tag for s in steps or [])), None)
    if replaced is None:
        replaced = next((fid for fid in existing if is_placeholder(fid)), None) if len(existing) == 1 else None
    steps: list[dict[str, str]] = ([{"type": "truncate"}] if truncate else []) + [{"type": "load", "file": tag}]
    new: dict[str, Any] = {}
    for fid, ops in existing.items():
        if fid == replaced:
            new[feed_id] = steps
        else:
            new[fid] = ops
    if feed_id not in new:
        new[feed_id] = steps
    return new, replaced
