"""The eight onboarding steps of pull-from-optimizely.txt, judged from the workspace's real state.

Pure logic over the catalog (no Textual) so it can be tested without a UI: each step is done, the
suggested next one, open (possible now, not first in line) or blocked (with the reason).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from courier.core.catalog.catalog import Catalog


class StepStatus(StrEnum):
    DONE = "done"
    NEXT = "next"  # the one step suggested now
    OPEN = "open"  # possible now, not first in line
    BLOCKED = "blocked"  # an earlier step must be done first (the detail says which)


DONE, NEXT, OPEN, BLOCKED = StepStatus.DONE, StepStatus.NEXT, StepStatus.OPEN, StepStatus.BLOCKED


@dataclass(frozen=True)
class Step:
    """One checklist row: what to do, why, where, and how far along it is."""

    number: int
    key: str
    title: str
    explanation: str
    action: str  # the app action that opens the screen doing this step
    status: StepStatus = OPEN
    detail: str = ""  # what was detected, or why the step is blocked


STEPS: list[Step] = [
    Step(1, "details", "Get details",
         "Collect what Optimizely gives you: the IAM access key and secret (or a role ARN, or an "
         "Optimizely API token) and the bucket name. Store them as a credential; secrets are kept "
         "encrypted in the workspace.", "credentials"),
    Step(2, "s3", "Review S3 requirements",
         "The export lives in optimizely-events-data under v1/account_id=<id>/type=.../date=.../ and a "
         "day is ready when _SUCCESS appears. Files are KMS-encrypted: run Test connection to prove "
         "identity, list and read access.", "credentials"),
    Step(3, "courier", "Add courier",
         "A courier names the bucket, prefix and region and lists the files to pull (the entities "
         "list). Use the Optimizely preset with your account id; leave load operations empty {} or "
         "use a placeholder such as df-xxxxxx.", "courier_setup"),
    Step(4, "samples", "Get sample files",
         "Run the courier for one day without load operations. The run lands the day's files (it may "
         "fail on a placeholder feed id, which is expected) so feeds can learn their schema.", "run"),
    Step(5, "feeds", "Add feeds",
         "Make one feed per file type (Optimizely:Decisions, Optimizely:Conversions) from a landed "
         "sample: pick the primary key, semantic tags and the last-updated field, then Activate to "
         "create the domain table.", "files"),
    Step(6, "load_operations", "Add load operations",
         "Point the courier's load operations at the real feed ids (load decisions, load conversions), "
         "replacing any placeholder. Use load alone for a daily courier: truncate + load replaces the "
         "whole table on every run, so re-running one day would leave only that day.", "courier_setup"),
    Step(7, "run", "Run courier",
         "Run the courier again for a day, a period or all data. This time files are loaded into the "
         "domain tables and the run ends with a notification such as 'Completed in 5 seconds'.", "run"),
    Step(8, "group", "Add to courier group",
         "Put the courier in a courier group with a cron schedule and time zone so the scheduler runs "
         "it unattended (check the expression on the cron screen first).", "groups"),
]


@dataclass(frozen=True)
class WorkspaceFacts:
    """The few facts the checklist needs, read from the catalog in one go."""

    credentials: int = 0
    access_checked: bool = False
    couriers: int = 0
    landed_files: int = 0
    feeds: int = 0
    active_feeds: int = 0
    wired_couriers: int = 0  # couriers whose load operations only name existing feeds (and some)
    placeholder_couriers: int = 0
    loaded_runs: int = 0  # succeeded runs that loaded at least one file into a feed
    grouped_couriers: int = 0


def load_operation_feed_ids(text: str | None) -> list[str]:
    """Feed ids named by a courier's load operations JSON (empty on {} or unreadable JSON)."""
    try:
        value: Any = json.loads(text or "{}")
    except json.JSONDecodeError:
        return []
    return [str(k) for k in value] if isinstance(value, dict) else []


def _group_couriers(settings: str | None) -> list[str]:
    try:
        value = json.loads(settings or "{}")
    except json.JSONDecodeError:
        return []
    couriers = value.get("couriers", []) if isinstance(value, dict) else []
    return [str(c) for c in couriers] if isinstance(couriers, list) else []


def read_facts(catalog: Catalog, *, checked_credentials: Iterable[str] = ()) -> WorkspaceFacts:
    """Count what exists; `checked_credentials` are those that passed Test connection this session."""

    def count(sql: str) -> int:
        row = catalog.one(sql)
        return int(row[0]) if row else 0

    credential_names = {r["name"] for r in catalog.all("SELECT name FROM credentials")}
    feed_ids = {r["id"] for r in catalog.all("SELECT id FROM feeds")}
    couriers = catalog.all("SELECT name, load_operations FROM couriers")
    wired = placeholder = 0
    for row in couriers:
        ids = load_operation_feed_ids(row["load_operations"])
        if ids and all(i in feed_ids for i in ids):
            wired += 1
        if any(i not in feed_ids for i in ids):
            placeholder += 1
    courier_names = {r["name"] for r in couriers}
    grouped: set[str] = set()
    for row in catalog.all("SELECT settings FROM groups"):
        grouped.update(c for c in _group_couriers(row["settings"]) if c in courier_names)
    landed = count("SELECT COUNT(*) FROM ledger")
    return WorkspaceFacts(
        credentials=len(credential_names),
        access_checked=bool(credential_names & set(checked_credentials)) or landed > 0,
        couriers=len(couriers),
        landed_files=landed,
        feeds=len(feed_ids),
        active_feeds=count("SELECT COUNT(*) FROM feeds WHERE active = 1"),
        wired_couriers=wired,
        placeholder_couriers=placeholder,
        loaded_runs=count("SELECT COUNT(*) FROM runs r WHERE r.status = 'succeeded' AND EXISTS "
                          "(SELECT 1 FROM loaded_files l WHERE l.run_id = r.id)"),
        grouped_couriers=len(grouped),
    )


def judge(facts: WorkspaceFacts) -> list[Step]:
    """Give every step its status: done from the facts, blocked by a missing prerequisite."""
    done = {
        "details": facts.credentials > 0,
        "s3": facts.access_checked,
        "courier": facts.couriers > 0,
        "samples": facts.landed_files > 0,
        "feeds": facts.active_feeds > 0,
        "load_operations": facts.wired_couriers > 0,
        "run": facts.loaded_runs > 0,
        "group": facts.grouped_couriers > 0,
    }
    blockers = {
        "details": None,
        "s3": None if done["details"] else "add a credential first (step 1)",
        "courier": None if done["details"] else "add a credential first (step 1)",
        "samples": None if done["courier"] else "add a courier first (step 3)",
        "feeds": None if done["samples"] else "land sample files first (step 4)",
        "load_operations": None if done["feeds"] else "activate a feed first (step 5)",
        "run": None if done["load_operations"] else "wire load operations to a feed first (step 6)",
        "group": None if done["courier"] else "add a courier first (step 3)",
    }
    details = {
        "details": f"{facts.credentials} credential(s)",
        "s3": "access confirmed" if done["s3"] else "no successful Test connection yet",
        "courier": f"{facts.couriers} courier(s)",
        "samples": f"{facts.landed_files} landed file(s)",
        "feeds": f"{facts.active_feeds} of {facts.feeds} feed(s) active",
        "load_operations": (f"{facts.placeholder_couriers} courier(s) still name a placeholder feed"
                            if facts.placeholder_couriers and not done["load_operations"]
                            else f"{facts.wired_couriers} courier(s) wired to feeds"),
        "run": f"{facts.loaded_runs} run(s) loaded data",
        "group": f"{facts.grouped_couriers} courier(s) in a group",
    }
    steps: list[Step] = []
    next_given = False
    status: StepStatus
    for step in STEPS:
        if done[step.key]:
            status, detail = DONE, details[step.key]
        elif blockers[step.key]:
            status, detail = BLOCKED, str(blockers[step.key])
        elif not next_given:
            status, detail, next_given = NEXT, details[step.key], True
        else:
            status, detail = OPEN, details[step.key]
        steps.append(Step(step.number, step.key, step.title, step.explanation, step.action, status, detail))
    return steps


def onboarding_steps(catalog: Catalog, *, checked_credentials: Iterable[str] = ()) -> list[Step]:
    """The checklist for this workspace, in order."""
    return judge(read_facts(catalog, checked_credentials=checked_credentials))


def next_step(steps: list[Step]) -> Step | None:
    return next((s for s in steps if s.status == NEXT), None)
