"""The entities list (Amperity's "load settings"): which files a courier pulls and how to read them.

The JSON shape is Amperity's (amperity-couriers.md §1.3): an array of objects with `object/type`,
`object/file-pattern`, `object/optional`, `object/land-as` {`file/tag`, `file/content-type`,
`file/header-rows`, `file/separator`, `file/quote`, `file/escape`}, plus courier's one extension
`object/ready-marker` (a pattern for the object, e.g. `_SUCCESS`, that must exist before that
date's files count as available). Every mistake is reported with the JSON pointer of the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from courier.core.config.documents import (
    check_keys,
    parse_json,
    schema_error,
    show,
    type_name,
)
from courier.core.errors import ConfigError
from courier.core.patterns.grammar import FilePattern
from courier.core.patterns.warnings import check as check_pattern
from courier.core.types import ContentType
from courier.core.warehouse.files import CONTENT_TYPES, parse_content_type

WHAT = "entities list"

OBJECT_KEYS = ("object/type", "object/file-pattern", "object/optional", "object/ready-marker",
               "object/land-as")
LAND_AS_KEYS = ("file/tag", "file/content-type", "file/header-rows", "file/separator", "file/quote",
                "file/escape")
ARCHIVE_KEYS = {
    "archive/contents": "archives are not supported yet",
    "archive/skip-missing-contents": "archives are not supported yet",
}

# File extensions that say what a file is; compression/encryption suffixes are looked through.
_EXTENSIONS = {
    ".parquet": ContentType.PARQUET,
    ".csv": ContentType.CSV,
    ".tsv": ContentType.TSV,
    ".tab": ContentType.TSV,
    ".psv": ContentType.PSV,
    ".ndjson": ContentType.NDJSON,
    ".jsonl": ContentType.NDJSON,
    ".json": ContentType.JSON,
}
_WRAPPERS = (".gz", ".gzip", ".bz2", ".zst", ".snappy", ".pgp", ".gpg", ".zip", ".tar", ".tgz")


@dataclass(frozen=True)
class Entity:
    """One file (or set of files, through `*`) a courier pulls for a date, landed under `tag`."""

    index: int
    file_pattern: str
    optional: bool
    ready_marker: str | None
    tag: str
    content_type: ContentType
    header_rows: int | None = None
    separator: str | None = None
    quote: str | None = None
    escape: str | None = None
    type: str = "file"

    @property
    def pointer(self) -> str:
        return f"/{self.index}"

    def pattern(self, prefix: str = "") -> FilePattern:
        """The compiled file pattern, joined to the courier prefix."""
        return FilePattern.parse(self.file_pattern, prefix=prefix)

    def marker_pattern(self, prefix: str = "") -> FilePattern | None:
        """The compiled ready-marker pattern, or None when this entity is not gated."""
        if self.ready_marker is None:
            return None
        return FilePattern.parse(self.ready_marker, prefix=prefix)


def load_entities_json(text_or_list: str | list[Any]) -> list[Any]:
    """The raw JSON list (parsed from text if needed), before validation."""
    value = parse_json(text_or_list, WHAT) if isinstance(text_or_list, str) else text_or_list
    if isinstance(value, dict):
        raise schema_error(WHAT, [], "expected a JSON array of entities, got an object",
                           hint="wrap the entity in [ ... ]")
    if not isinstance(value, list):
        raise schema_error(WHAT, [], f"expected a JSON array of entities, got {type_name(value)}")
    return value


def parse_entities(text_or_list: str | list[Any]) -> list[Entity]:
    """Validate an entities list (JSON text or already-parsed list) and return its entities."""
    items = load_entities_json(text_or_list)
    if not items:
        raise schema_error(WHAT, [], "is empty: a courier needs at least one entity",
                           hint="add an entity, or use an Optimizely account ID for the Optimizely preset")
    return [_parse_entity(index, item) for index, item in enumerate(items)]


def _parse_entity(index: int, item: Any) -> Entity:
    at: list[str | int] = [index]
    if not isinstance(item, dict):
        raise schema_error(WHAT, at, f"expected an object, got {type_name(item)}")
    check_keys(WHAT, at, item, OBJECT_KEYS, unsupported=ARCHIVE_KEYS)

    kind = _required(item, at, "object/type", 'add "object/type": "file"')
    if kind == "archive":
        raise schema_error(WHAT, [*at, "object/type"], "archives are not supported yet",
                           hint='unpack archives upstream and pull the files with "object/type": "file"')
    if kind != "file":
        raise schema_error(WHAT, [*at, "object/type"], f'expected "file", got {show(kind)}')

    file_pattern = _pattern(item, at, "object/file-pattern", required=True)
    assert file_pattern is not None
    ready_marker = _pattern(item, at, "object/ready-marker", required=False)

    optional = item.get("object/optional", False)
    if not isinstance(optional, bool):
        raise schema_error(WHAT, [*at, "object/optional"], f"expected true or false, got {show(optional)}")

    land_at: list[str | int] = [*at, "object/land-as"]
    land_as = _required(item, at, "object/land-as",
                        'add "object/land-as": {"file/tag": "...", "file/content-type": "..."}')
    if not isinstance(land_as, dict):
        raise schema_error(WHAT, land_at, f"expected an object, got {type_name(land_as)}")
    check_keys(WHAT, land_at, land_as, LAND_AS_KEYS)

    tag = _required(land_as, land_at, "file/tag", 'add "file/tag": "<name load operations use>"')
    if not isinstance(tag, str) or not tag.strip() or tag != tag.strip():
        raise schema_error(WHAT, [*land_at, "file/tag"],
                           f"expected a non-empty name without surrounding spaces, got {show(tag)}")

    content_type = _required(land_as, land_at, "file/content-type",
                             f"one of: {', '.join(CONTENT_TYPES)}")
    content_type = _check_content_type(content_type, [*land_at, "file/content-type"])

    header_rows = land_as.get("file/header-rows")
    if header_rows is not None and (isinstance(header_rows, bool) or header_rows not in (0, 1)):
        raise schema_error(WHAT, [*land_at, "file/header-rows"], f"expected 0 or 1, got {show(header_rows)}",
                           hint="1 when the first row holds column names, 0 when it does not")

    chars = {key: _single_char(land_as, land_at, key) for key in ("file/separator", "file/quote", "file/escape")}
    return Entity(
        index=index, file_pattern=file_pattern, optional=optional, ready_marker=ready_marker, tag=tag,
        content_type=content_type, header_rows=header_rows, separator=chars["file/separator"],
        quote=chars["file/quote"], escape=chars["file/escape"],
    )


def _required(obj: dict[str, Any], at: list[str | int], key: str, hint: str) -> Any:
    if key not in obj or obj[key] is None:
        raise schema_error(WHAT, at, f"missing required key {key!r}", hint=hint)
    return obj[key]


def _pattern(item: dict[str, Any], at: list[str | int], key: str, *, required: bool) -> str | None:
    """The pattern text, compiled once so its errors arrive with the pointer in front."""
    if item.get(key) is None:
        if required:
            raise schema_error(WHAT, at, f"missing required key {key!r}",
                               hint=f"add \"{key}\": \"'path/to/'yyyy-MM-dd'/*.parquet'\"")
        return None
    text = item[key]
    if not isinstance(text, str) or not text.strip():
        raise schema_error(WHAT, [*at, key], f"expected a non-empty pattern string, got {show(text)}")
    try:
        FilePattern.parse(text)
    except ConfigError as exc:
        raise schema_error(WHAT, [*at, key], str(exc), hint=exc.hint) from None
    return text


def _check_content_type(value: Any, at: list[str | int]) -> ContentType:
    """The one content-type check (courier.core.warehouse.files), with the key's pointer in front."""
    try:
        return parse_content_type(value)
    except ConfigError as exc:
        raise schema_error(WHAT, at, exc.message, hint=exc.hint) from None


def _single_char(land_as: dict[str, Any], at: list[str | int], key: str) -> str | None:
    value = land_as.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 1:
        raise schema_error(WHAT, [*at, key], f"expected a single character, got {show(value)}",
                           hint='write a backslash as "\\\\" and a tab as "\\t"')
    return value


def entity_warnings(entities: list[Entity]) -> list[str]:
    """Things that parse but probably are not what the operator meant, each with its pointer."""
    out: list[str] = []
    for entity in entities:
        for key, text in (("object/file-pattern", entity.file_pattern), ("object/ready-marker", entity.ready_marker)):
            if text is None:
                continue
            for warning in check_pattern(FilePattern.parse(text)):
                advice = f"; {warning.suggestion}" if getattr(warning, "suggestion", None) else ""
                out.append(f"{WHAT} {entity.pointer}/{key}: {warning.message}{advice}")
        implied = implied_content_type(entity.file_pattern)
        if implied and not _compatible(implied, entity.content_type):
            out.append(f"{WHAT} {entity.pointer}/object/land-as/file/content-type: the pattern names "
                       f"{implied} files but the content type is {entity.content_type}")
        if not entity.content_type.delimited:
            for key, value in (("file/header-rows", entity.header_rows), ("file/separator", entity.separator),
                               ("file/quote", entity.quote), ("file/escape", entity.escape)):
                if value is not None:
                    out.append(f"{WHAT} {entity.pointer}/object/land-as/{key}: ignored for {entity.content_type}")
    return out


def implied_content_type(pattern_text: str) -> ContentType | None:
    """The content type a pattern's file extension implies (`.csv.gz` -> text/csv), if any."""
    name = pattern_text.replace("'", "").rstrip().lower()
    if name.endswith("/"):
        return None  # a directory form (Parquet parts one level below): no extension to judge
    name = name.rsplit("/", 1)[-1]
    changed = True
    while changed:
        changed = False
        for suffix in _WRAPPERS:
            if name.endswith(suffix) and name != suffix:
                name, changed = name[: -len(suffix)], True
    match = re.search(r"(\.[a-z0-9]+)$", name)
    return _EXTENSIONS.get(match.group(1)) if match else None


def _compatible(implied: ContentType, declared: ContentType) -> bool:
    return implied == declared or (implied.json and declared.json)
