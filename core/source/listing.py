"""Remote listing: which objects a courier's patterns select for the requested days.

Cost follows the work: for each (entity, day) we list only the longest literal prefix that
covers both the day's files and its ready marker (for Optimizely `.../date=2026-11-03/`), so a
bucket holding a year of data costs no more to list for one day than a bucket holding one day.
Only "all available data" lists a whole dataset, because it has to discover the days.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from courier.core.config.couriers import Courier, get_courier
from courier.core.config.entities import Entity
from courier.core.optimizely import partition_of
from courier.core.patterns.grammar import FilePattern
from courier.core.source.aws import s3_client, translate_error
from courier.core.text import iso_utc


@dataclass(frozen=True)
class RemoteObject:
    bucket: str
    key: str
    size: int
    etag: str
    last_modified: datetime
    tag: str
    entity_index: int
    day: date
    partition: dict[str, str | None]
    ready: bool | None  # None: the entity has no ready marker

    def to_json(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket, "key": self.key, "size": self.size, "etag": self.etag,
            "last_modified": iso_utc(self.last_modified), "tag": self.tag, "day": self.day.isoformat(),
            "partition": self.partition, "ready": self.ready,
        }


@dataclass(frozen=True)
class DayStatus:
    """What one (entity, day) pair looks like at the source."""

    entity_index: int
    tag: str
    day: date
    objects: int
    ready: bool | None
    optional: bool
    looked_for: str

    @property
    def available(self) -> bool:
        return self.objects > 0 and self.ready is not False


@dataclass
class RemoteListing:
    objects: list[RemoteObject] = field(default_factory=list)
    days: list[DayStatus] = field(default_factory=list)
    requests: int = 0

    def newest_first(self) -> list[RemoteObject]:
        return sorted(self.objects, key=lambda o: (o.last_modified, o.key), reverse=True)

    def ready_by_day(self) -> dict[date, bool]:
        result: dict[date, bool] = {}
        for status in self.days:
            ok = status.ready is not False
            result[status.day] = result.get(status.day, True) and ok
        return result


def _periods(pattern: FilePattern, day: date) -> list[date | datetime]:
    """Hourly patterns are expanded into the day's 24 hours."""
    if pattern.granularity == "hour":
        start = datetime(day.year, day.month, day.day)
        return [start + timedelta(hours=h) for h in range(24)]
    return [day]


def _common_prefix(a: str, b: str) -> str:
    return os.path.commonprefix([a, b])


class Lister:
    """Lists S3 for one courier, counting requests (the listing-cost test reads the count)."""

    def __init__(self, client: Any, courier: Courier) -> None:
        self.client = client
        self.courier = courier
        self.requests = 0
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def list_under(self, prefix: str) -> list[dict[str, Any]]:
        """Objects under `prefix`, reusing a cached broader listing when one covers it."""
        for cached, objects in self._cache.items():
            if prefix.startswith(cached):
                return [o for o in objects if o["Key"].startswith(prefix)]
        found: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.courier.bucket, Prefix=prefix):
                self.requests += 1
                found.extend(page.get("Contents", []))
        except Exception as exc:  # noqa: BLE001 - a failed listing names the prefix it was listing

            raise translate_error(exc, action="ListObjectsV2", bucket=self.courier.bucket, key=prefix) from None
        self._cache[prefix] = found
        return found


def list_days(client: Any, courier: Courier, days: Iterable[date],
              entities: list[Entity] | None = None) -> RemoteListing:
    """The objects each entity selects on each day, plus each day's readiness."""
    lister = Lister(client, courier)
    listing = RemoteListing()
    entities = entities if entities is not None else courier.entities
    for day in sorted(set(days)):
        for entity in entities:
            pattern = FilePattern.parse(entity.file_pattern, prefix=courier.prefix)
            marker = FilePattern.parse(entity.ready_marker, prefix=courier.prefix) if entity.ready_marker else None
            found: list[dict[str, Any]] = []
            ready: bool | None = None
            for when in _periods(pattern, day):
                data_prefix = pattern.literal_prefix(when)
                prefix = data_prefix
                if marker is not None:
                    prefix = _common_prefix(data_prefix, marker.literal_prefix(when))
                objects = lister.list_under(prefix)
                if marker is not None:  # every period of the day must have its marker
                    marker_re = marker.regex(when)
                    has_marker = any(marker_re.fullmatch(o["Key"]) for o in objects)
                    ready = has_marker if ready is None else (ready and has_marker)
                data_re = pattern.regex(when)  # compiled once per period, not per key
                found += [o for o in objects if data_re.fullmatch(o["Key"])]
            listing.objects += [_remote(courier.bucket, o, entity, day, ready) for o in found]
            listing.days.append(DayStatus(entity.index, entity.tag, day, len(found), ready, entity.optional,
                                          pattern.render(day)))
    listing.requests = lister.requests
    return listing


def discover_days(client: Any, courier: Courier) -> tuple[list[date], int]:
    """Every date present under the patterns' literal prefixes (for "all available data")."""
    lister = Lister(client, courier)
    found: set[date] = set()
    for entity in courier.entities:
        pattern = FilePattern.parse(entity.file_pattern, prefix=courier.prefix)
        if not pattern.has_date:
            continue
        for obj in lister.list_under(pattern.undated_prefix()):
            when = pattern.date_of(obj["Key"])
            if when is not None:
                found.add(when.date() if isinstance(when, datetime) else when)
    return sorted(found), lister.requests


def _remote(bucket: str, obj: dict[str, Any], entity: Entity, day: date, ready: bool | None) -> RemoteObject:
    return RemoteObject(
        bucket=bucket, key=obj["Key"], size=int(obj["Size"]), etag=str(obj["ETag"]).strip('"'),
        last_modified=obj["LastModified"], tag=entity.tag, entity_index=entity.index, day=day,
        partition=partition_of(obj["Key"]), ready=ready,
    )


def list_remote(catalog: Any, courier_name: str, days: list[date]) -> RemoteListing:
    """Public entry for the CLI and TUI: resolve the courier and its credential, then list."""

    courier = get_courier(catalog, courier_name)
    client = s3_client(catalog, courier.credential, region=courier.region, endpoint_url=courier.endpoint_url)
    return list_days(client, courier, days)
