"""The courier "validation test": what needs the network, kept apart from saving couriers.

The stored documents parse, the credential works against the bucket and prefix, and (with a
day) each entity's pattern finds at least one object — listing only that day's prefixes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import (
    Courier,
    ValidationReport,
    courier_from_row,
    get_courier,
    missing_feeds,
)
from courier.core.config.entities import entity_warnings
from courier.core.config.load_operations import placeholder_warning
from courier.core.errors import CourierError
from courier.core.source.access import run_access_check
from courier.core.source.aws import s3_client, translate_error
from courier.core.source.listing import list_days
from courier.core.types import Check


def validate_courier(catalog: Catalog, name: str, day: date | None = None) -> ValidationReport:
    """The operator's "validation test": the stored documents parse, the credential works against
    the bucket and prefix, and (with a day) each entity's pattern finds at least one object."""
    report = ValidationReport()
    row = catalog.one("SELECT * FROM couriers WHERE name = ?", (name,))
    if row is None:
        get_courier(catalog, name)  # raises NotFound with the closest name
    try:
        courier = courier_from_row(row)
    except CourierError as exc:
        report.checks.append(Check("configuration", False, exc.one_line()))
        return report
    report.checks.append(Check("entities list", True, f"{len(courier.entities)} "
                               f"entit{'y' if len(courier.entities) == 1 else 'ies'}: {', '.join(courier.tags)}"))
    report.warnings += entity_warnings(courier.entities)
    report.checks.append(_patterns_check(courier))
    report.checks.append(_load_operations_check(catalog, courier, report.warnings))
    credentials_ok = _credential_checks(catalog, courier, report)
    if day is not None:
        if credentials_ok:
            _day_checks(catalog, courier, day, report)
        else:
            report.checks.append(Check(f"files on {day.isoformat()}", False,
                                       "not checked: the credentials check failed"))
    return report


def _patterns_check(courier: Courier) -> Check:
    count = 0
    for entity in courier.entities:
        for key, compile_ in (("object/file-pattern", entity.pattern), ("object/ready-marker", entity.marker_pattern)):
            try:
                count += compile_(courier.prefix) is not None
            except CourierError as exc:
                return Check("file patterns", False, f"entities list {entity.pointer}/{key}: {exc.one_line()}")
    return Check("file patterns", True, f"{count} pattern{'s' if count != 1 else ''} compile"
                 + (f" under prefix {courier.prefix!r}" if courier.prefix else ""))


def _load_operations_check(catalog: Catalog, courier: Courier, warnings: list[str]) -> Check:
    ops = courier.load_operations
    if not ops:
        return Check("load operations", True, "{} (land files only)")
    real, placeholders = missing_feeds(catalog, ops)
    if real:
        return Check("load operations", False, f"unknown feed{'s' if len(real) > 1 else ''}: {', '.join(real)}")
    warnings += [placeholder_warning(feed_id) for feed_id in placeholders]
    names = [f"{f} (placeholder)" if f in placeholders else f for f in ops]
    return Check("load operations", True, f"{len(ops)} feed{'s' if len(ops) != 1 else ''}: {', '.join(names)}")


def _credential_checks(catalog: Catalog, courier: Courier, report: ValidationReport) -> bool:
    try:
        access = run_access_check(catalog, courier.credential, bucket=courier.bucket, prefix=courier.prefix,
                                  region=courier.region, endpoint_url=courier.endpoint_url)
    except CourierError as exc:
        report.checks.append(Check(f"credential {courier.credential}", False, exc.one_line()))
        return False
    for check in access.checks:
        if check.ran:
            report.checks.append(replace(check, name=f"credential {courier.credential}: {check.name}"))
    return bool(access.ok)


def _day_checks(catalog: Catalog, courier: Courier, day: date, report: ValidationReport) -> None:
    """List only the day's literal prefixes (courier.core.source.listing) and say which entity found nothing."""
    from botocore.exceptions import BotoCoreError, ClientError


    try:
        client = s3_client(catalog, courier.credential, region=courier.region, endpoint_url=courier.endpoint_url)
        listing = list_days(client, courier, [day])
    except CourierError as exc:
        report.checks.append(Check(f"files on {day.isoformat()}", False, exc.one_line()))
        return
    except (BotoCoreError, ClientError) as exc:
        error = translate_error(exc, action="list", bucket=courier.bucket, key=courier.prefix or None)
        report.checks.append(Check(f"files on {day.isoformat()}", False, error.one_line()))
        return
    for status in listing.days:
        name = f"files on {day.isoformat()} for {status.tag} (entity {status.entity_index})"
        found = f"{status.objects} object{'s' if status.objects != 1 else ''} match {status.looked_for}"
        if status.ready is not None:
            found += "; ready marker present" if status.ready else "; ready marker missing"
        if status.ready is False:
            report.warnings.append(f"entity {status.entity_index} ({status.tag}): no ready marker for "
                                   f"{day.isoformat()}: a run treats that day as not ready yet")
        if status.objects:
            report.checks.append(Check(name, True, found))
        elif status.optional:
            report.checks.append(Check(name, True, f"nothing matches {status.looked_for} (optional)"))
            report.warnings.append(f"entity {status.entity_index} ({status.tag}) is optional and found no object "
                                   f"on {day.isoformat()}")
        else:
            report.checks.append(Check(name, False, f"no object matches {status.looked_for}"))
