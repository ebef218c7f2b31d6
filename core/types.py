"""The engine's closed vocabularies as StrEnums: what a run can be, what started it, what a file holds.

StrEnum members are their own string values, so they go into the catalog, events and `--json`
output unchanged and compare equal to the strings stored by earlier versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # a group fire that had nothing to do

    @property
    def finished(self) -> bool:
        return self is not RunStatus.RUNNING


class RunMode(StrEnum):
    """Which dates a run covers: one day, a period [from, to), or everything the source holds."""

    DAY = "day"
    PERIOD = "period"
    ALL = "all"


class Trigger(StrEnum):
    """What started a group run."""

    SCHEDULED = "scheduled"
    MANUAL = "manual"


class CredentialKind(StrEnum):
    IAM_CREDENTIAL = "iam-credential"
    AWS_PROFILE = "aws-profile"
    DEFAULT_CHAIN = "default-chain"
    OPTIMIZELY_TOKEN = "optimizely-token"


class ContentType(StrEnum):
    """The one table of file formats: entities lists, feeds and loads all read it."""

    PARQUET = "application/x-parquet"
    CSV = "text/csv"
    TSV = "text/tab-separated-values"
    PSV = "text/pipe-separated-values"
    NDJSON = "application/x-ndjson"
    JSON = "application/json"

    @property
    def separator(self) -> str | None:
        """The field separator of a delimited type, None for the others."""
        return {ContentType.CSV: ",", ContentType.TSV: "\t", ContentType.PSV: "|"}.get(self)

    @property
    def delimited(self) -> bool:
        return self.separator is not None

    @property
    def json(self) -> bool:
        return self in (ContentType.NDJSON, ContentType.JSON)


class CheckState(StrEnum):
    """How one check of a check list ended."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not-run"  # an earlier check failed, so this one was not tried


@dataclass(frozen=True)
class Check:
    """One line of a check list: Test connection (credentials), Validate (couriers), the TUI's lists.

    `hint` says what to do about a failure; `ran` is False when an earlier failure stopped the list.
    """

    name: str
    ok: bool
    detail: str
    ran: bool = True
    hint: str | None = None

    @property
    def state(self) -> CheckState:
        if self.ok:
            return CheckState.PASSED
        return CheckState.FAILED if self.ran else CheckState.NOT_RUN

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "ran": self.ran, "state": self.state, "detail": self.detail,
                "hint": self.hint}


# Amperity accepts these; courier does not read them (yet), so every face says so rather than "unknown".
UNSUPPORTED_CONTENT_TYPES = ("application/avro", "application/xml", "application/x-json-stream",
                             "application/ingest-pack+cbor")
