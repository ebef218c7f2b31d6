"""What the forms offer to pick from: courier, credential and feed names, the S3 target a credential
is used with, and the sample the feed editor opens on. Cheap reads (names, not whole records)."""

from __future__ import annotations

from dataclasses import dataclass

from courier.core.catalog.catalog import Catalog


def courier_names(catalog: Catalog) -> list[str]:
    return [r["name"] for r in catalog.all("SELECT name FROM couriers ORDER BY name")]


def credential_names(catalog: Catalog) -> list[str]:
    return [r["name"] for r in catalog.all("SELECT name FROM credentials ORDER BY name")]


def feed_ids(catalog: Catalog) -> list[str]:
    return [r["id"] for r in catalog.all("SELECT id FROM feeds ORDER BY id")]


@dataclass(frozen=True)
class S3Target:
    """Where a courier reads: what Test connection of its credential should try."""

    bucket: str
    prefix: str
    region: str
    endpoint_url: str | None


def credential_target(catalog: Catalog, credential: str) -> S3Target | None:
    """The S3 settings of the first courier (by name) using `credential`, or None when none does."""
    row = catalog.one("SELECT bucket, prefix, region, endpoint_url FROM couriers WHERE credential = ?"
                      " ORDER BY name LIMIT 1", (credential,))
    if row is None:
        return None
    return S3Target(row["bucket"], row["prefix"] or "", row["region"] or "us-east-1", row["endpoint_url"] or None)


@dataclass(frozen=True)
class EditorStart:
    """What the feed editor opens on when none is asked for: a feed (with its sample) or a landed file."""

    sample: str
    feed_id: str | None


def feed_editor_start(catalog: Catalog) -> EditorStart | None:
    """The most recently changed feed, else the newest landed file (the first the files list shows);
    None when neither exists."""
    feed = catalog.one("SELECT id, sample FROM feeds ORDER BY updated_at DESC LIMIT 1")
    if feed:
        return EditorStart(feed["sample"], feed["id"])
    landed = catalog.one("SELECT key FROM ledger ORDER BY last_modified DESC, key DESC LIMIT 1")  # the list's first
    return EditorStart(landed["key"], None) if landed else None
