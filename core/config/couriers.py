"""Couriers: S3 settings + entities list + load operations, validated on save, stored in the catalog.

Saving checks everything that can be checked offline (the credential exists, bucket/region/
endpoint shapes, both JSON documents, patterns compile, load operations name known file tags and
known feeds). Load operations naming feeds that do not exist are rejected unless every unknown id
is an obvious placeholder (`df-xxxxxx`): those are kept with a warning, as pull-from-optimizely.txt
step 7 relies on. `validate_courier` adds what needs the network: credentials and, for a day,
whether each entity's pattern finds something.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from courier.core import optimizely
from courier.core.catalog.catalog import Catalog, now
from courier.core.config.entities import Entity, entity_warnings, load_entities_json, parse_entities
from courier.core.config.load_operations import (
    Operation,
    is_placeholder,
    load_operations_json,
    parse_load_operations,
    placeholder_warning,
    unknown_feeds,
)
from courier.core.errors import ConfigError, CourierError, Fix, FixKind, not_found
from courier.core.text import iso_utc
from courier.core.types import Check

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+-[0-9]{1,2}$")
DEFAULT_REGION = "us-east-1"
_FIELDS = ("credential", "bucket", "prefix", "region", "endpoint_url", "entities", "optimizely_account",
           "load_operations")


@dataclass(frozen=True)
class Courier:
    """One courier as stored: S3 settings plus both JSON documents (raw and parsed)."""

    name: str
    credential: str
    bucket: str
    prefix: str
    region: str
    endpoint_url: str | None
    entities: list[Entity]
    entities_json: list[Any]
    load_operations: dict[str, list[Operation]]
    load_operations_json: dict[str, Any]
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def tags(self) -> list[str]:
        """File tags in entities-list order, without repeats."""
        return list(dict.fromkeys(e.tag for e in self.entities))


@dataclass
class ValidationReport:
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)


# ---- S3 settings ---------------------------------------------------------------------------------

def check_name(name: str) -> None:
    if not _NAME.fullmatch(name or ""):
        raise ConfigError(f"courier name {name!r} is not valid",
                          hint="use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")


def check_bucket(bucket: str) -> None:
    """S3's bucket naming rules, so a typo fails on save rather than in the first run."""
    if bucket.startswith("s3://"):
        rest = bucket[5:].split("/", 1)
        folders = f"put {rest[1]!r} in the prefix" if len(rest) > 1 and rest[1] else None
        raise ConfigError(f"bucket {bucket!r} is a URL, not a bucket name", hint=folders,
                          fix=Fix(FixKind.GIVE, "bucket", rest[0]))
    if "/" in bucket:
        name, prefix = bucket.split("/", 1)
        raise ConfigError(f"bucket {bucket!r} contains '/'", hint=f"put {prefix!r} in the prefix",
                          fix=Fix(FixKind.GIVE, "bucket", name))
    rules = "3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"
    if not _BUCKET.fullmatch(bucket) or ".." in bucket or ".-" in bucket or "-." in bucket:
        raise ConfigError(f"bucket name {bucket!r} is not a valid S3 bucket name", hint=rules)
    try:
        ipaddress.IPv4Address(bucket)
    except ValueError:
        pass
    else:
        raise ConfigError(f"bucket name {bucket!r} looks like an IP address", hint=rules)


def check_region(region: str) -> None:
    if not _REGION.fullmatch(region):
        raise ConfigError(f"region {region!r} is not an AWS region name",
                          hint="e.g. us-east-1 (Optimizely's export bucket), eu-west-1")


def check_endpoint_url(url: str) -> list[str]:
    """An http(s) URL without credentials or a path; returns warnings (plain HTTP off this machine).
    A URL with a password is refused without echoing it."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ConfigError("the endpoint URL must not contain a user name or password",
                          hint="put keys in a credential (`courier credentials add`), not in the URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"endpoint URL {url!r} is not an http(s) URL",
                          hint="e.g. https://s3.example.com or http://127.0.0.1:9000")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"endpoint URL {url!r} has a path or query",
                          hint="give only scheme, host and port; the bucket and its folders have their own settings")
    try:
        parts.port  # noqa: B018 - validates the port number
    except ValueError:
        raise ConfigError(f"endpoint URL {url!r} has an invalid port", hint="a port is 1-65535") from None
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return [f"endpoint {url} uses plain HTTP: keys and data travel unencrypted"]
    return []


def check_prefix(prefix: str) -> None:
    if prefix.startswith("s3://"):
        raise ConfigError(f"prefix {prefix!r} is a URL", hint="give only the folder path here; the bucket has its own setting")
    if "*" in prefix:
        raise ConfigError(f"courier prefix {prefix!r} contains '*'",
                          hint="the prefix is a plain S3 key prefix; put wildcards in the entities' file patterns")


# ---- reading and writing -------------------------------------------------------------------------

def courier_from_row(row: Any) -> Courier:
    name = row["name"]
    try:
        entities_json = json.loads(row["entities"])
        entities = parse_entities(entities_json)
        ops_json = json.loads(row["load_operations"])
        ops = parse_load_operations(ops_json, {e.tag for e in entities})
    except CourierError as exc:
        raise ConfigError(f"courier {name!r} has an invalid stored configuration: {exc}",
                          hint=f"edit courier {name!r}: save a valid entities list or load operations") from None
    return Courier(
        name=name, credential=row["credential"], bucket=row["bucket"], prefix=row["prefix"],
        region=row["region"], endpoint_url=row["endpoint_url"], entities=entities,
        entities_json=entities_json, load_operations=ops, load_operations_json=ops_json,
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


def _names(catalog: Catalog, table: str) -> list[str]:
    return [r["name"] for r in catalog.all(f"SELECT name FROM {table} ORDER BY name")]  # noqa: S608


def get_courier(catalog: Catalog, name: str) -> Courier:
    row = catalog.one("SELECT * FROM couriers WHERE name = ?", (name,))
    if row is None:
        names = _names(catalog, "couriers")
        raise not_found(f"no courier named {name!r}", name, names,
                        otherwise="see `courier couriers list`" if names else "add one with `courier couriers add`")
    return courier_from_row(row)


def list_couriers(catalog: Catalog) -> list[Courier]:
    return [courier_from_row(row) for row in catalog.all("SELECT * FROM couriers ORDER BY name")]


def _check_credential(catalog: Catalog, credential: str) -> None:
    if catalog.one("SELECT 1 FROM credentials WHERE name = ?", (credential,)):
        return
    names = _names(catalog, "credentials")
    raise not_found(f"no credential named {credential!r}", credential, names,
                    otherwise=f"known credentials: {', '.join(names)}" if names else "add one with `courier credentials add`")


def _entities_source(changes: dict[str, Any]) -> list[Any] | None:
    """The raw entities list from exactly one of: JSON or an Optimizely account id (the preset)."""
    given = [k for k in ("entities", "optimizely_account") if changes.get(k)]
    if len(given) > 1:
        raise ConfigError("give only one of --entities, --optimizely-account and --optimizely-from-token",
                          hint="each one sets the whole entities list")
    if not given:
        return None
    if given[0] == "entities":
        return load_entities_json(changes["entities"])
    return optimizely.preset_entities(optimizely.validate_account_id(str(changes["optimizely_account"])))


def missing_feeds(catalog: Catalog, ops: dict[str, list[Operation]]) -> tuple[list[str], list[str]]:
    """Feed ids that do not exist: (real-looking ones, which are rejected; placeholders, which warn)."""
    missing = unknown_feeds(ops, [r["id"] for r in catalog.all("SELECT id FROM feeds")])
    return [f for f in missing if not is_placeholder(f)], [f for f in missing if is_placeholder(f)]


def _validated(catalog: Catalog, s: dict[str, Any]) -> tuple[list[Entity], dict[str, list[Operation]], list[str]]:
    """Every offline check; returns the parsed documents and the warnings to show."""
    warnings: list[str] = []
    _check_credential(catalog, s["credential"])
    if not s.get("bucket"):
        raise ConfigError("a courier needs a bucket", hint="Optimizely's is optimizely-events-data",
                          fix=Fix(FixKind.GIVE, "bucket", "NAME"))
    check_bucket(s["bucket"])
    check_prefix(s["prefix"])
    check_region(s["region"])
    if s["endpoint_url"]:
        warnings += check_endpoint_url(s["endpoint_url"])
    if s["entities_json"] is None:
        raise ConfigError("a courier needs an entities list",
                          hint="give an entities list, or an Optimizely account ID for the preset")
    entities = parse_entities(s["entities_json"])
    warnings += entity_warnings(entities)
    ops = parse_load_operations(s["load_operations_json"], {e.tag for e in entities})
    real, placeholders = missing_feeds(catalog, ops)
    if real:
        listed = ", ".join(f'"{f}"' for f in real)
        raise ConfigError(
            f"feed {listed} does not exist" if len(real) == 1 else f"feeds {listed} do not exist",
            where=f"load operations /{real[0]}",
            hint="add the feed first (`courier feeds add`), or use {} or a placeholder such as df-xxxxxx until it exists",
        )
    warnings += [placeholder_warning(feed_id) for feed_id in placeholders]
    return entities, ops, warnings


def _save(catalog: Catalog, name: str, s: dict[str, Any], *, insert: bool) -> tuple[Courier, list[str]]:
    _entities, _ops, warnings = _validated(catalog, s)
    stamp = now()
    values = (s["credential"], s["bucket"], s["prefix"], s["region"], s["endpoint_url"] or None,
              json.dumps(s["entities_json"], ensure_ascii=False), json.dumps(s["load_operations_json"], ensure_ascii=False))
    if insert:
        catalog.execute(
            "INSERT INTO couriers (credential, bucket, prefix, region, endpoint_url, entities, load_operations,"
            " name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (*values, name, stamp, stamp))
    else:
        catalog.execute(
            "UPDATE couriers SET credential = ?, bucket = ?, prefix = ?, region = ?, endpoint_url = ?,"
            " entities = ?, load_operations = ?, updated_at = ? WHERE name = ?", (*values, stamp, name))
    return get_courier(catalog, name), warnings


def add_courier(
    catalog: Catalog, name: str, *, credential: str, bucket: str | None = None, prefix: str = "",
    region: str | None = None, endpoint_url: str | None = None, entities: str | list[Any] | None = None,
    optimizely_account: str | None = None, load_operations: str | dict[str, Any] | None = None,
) -> tuple[Courier, list[str]]:
    """Validate and store a new courier; returns it with the warnings an operator should see."""
    check_name(name)
    if catalog.one("SELECT 1 FROM couriers WHERE name = ?", (name,)):
        raise ConfigError(f"courier {name!r} already exists",
                          hint=f"change it with `courier couriers edit {name}`, or choose another name")
    changes = {"entities": entities, "optimizely_account": optimizely_account}
    s: dict[str, Any] = {"credential": credential, "bucket": bucket, "prefix": prefix or "",
                         "region": region or DEFAULT_REGION, "endpoint_url": endpoint_url or None}
    s["entities_json"] = _entities_source(changes)
    s["load_operations_json"] = load_operations_json(load_operations if load_operations is not None else {})
    return _save(catalog, name, s, insert=True)


def edit_courier(catalog: Catalog, name: str, **changes: Any) -> tuple[Courier, list[str]]:
    """Change some settings; the whole courier is validated again (new entities vs old load operations)."""
    unknown = set(changes) - set(_FIELDS)
    if unknown:
        raise TypeError(f"edit_courier() got unexpected settings: {', '.join(sorted(unknown))}")
    changes = {k: v for k, v in changes.items() if v is not None and v is not False}
    if "endpoint_url" in changes and changes["endpoint_url"] == "":
        changes["endpoint_url"] = None
        clear_endpoint = True
    else:
        clear_endpoint = False
    if not changes and not clear_endpoint:
        raise ConfigError("nothing to change", hint="give at least one setting, e.g. --load-operations FILE")
    old = get_courier(catalog, name)
    s: dict[str, Any] = {
        "credential": changes.get("credential", old.credential), "bucket": changes.get("bucket", old.bucket),
        "prefix": changes.get("prefix", old.prefix), "region": changes.get("region", old.region),
        "endpoint_url": None if clear_endpoint else changes.get("endpoint_url", old.endpoint_url),
        "entities_json": old.entities_json,
    }
    new_entities = _entities_source(changes)
    if new_entities is not None:
        s["entities_json"] = new_entities
    if "load_operations" in changes:
        s["load_operations_json"] = load_operations_json(changes["load_operations"])
    else:
        s["load_operations_json"] = old.load_operations_json
    return _save(catalog, name, s, insert=False)


def remove_courier(catalog: Catalog, name: str) -> None:
    """Delete a courier no courier group uses; its landed files and run history stay."""
    get_courier(catalog, name)
    users = [row["name"] for row in catalog.all("SELECT name, settings FROM groups ORDER BY name")
             if name in _group_couriers(row["settings"])]
    if users:
        raise ConfigError(f"courier {name!r} is in courier group{'s' if len(users) > 1 else ''} {', '.join(users)}",
                          hint="remove it from the group first (`courier groups edit`)")
    catalog.execute("DELETE FROM couriers WHERE name = ?", (name,))


def _group_couriers(settings_text: str) -> set[str]:
    """Courier names in a group's settings (courier.core.schedule.groups stores them as a list of names)."""
    try:
        listed = json.loads(settings_text).get("couriers", [])
    except (ValueError, AttributeError):
        return set()
    return {item if isinstance(item, str) else str(item.get("courier", "")) for item in listed
            if isinstance(item, str | dict)}


def courier_to_json(c: Courier) -> dict[str, Any]:
    """The JSON view for `show --json`/`list --json`: both documents in Amperity's shapes."""
    return {
        "name": c.name, "credential": c.credential, "bucket": c.bucket, "prefix": c.prefix,
        "region": c.region, "endpoint_url": c.endpoint_url, "entities": c.entities_json,
        "load_operations": c.load_operations_json, "created_at": iso_utc(c.created_at), "updated_at": iso_utc(c.updated_at),
    }

