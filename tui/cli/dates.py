"""Parsing the dates operators type: one clear line when a date is wrong."""

from __future__ import annotations

from datetime import date

import click
from courier.core.dates import FIELDS, check_day


class DayType(click.ParamType):
    """A `YYYY-MM-DD` day, or `today` / `yesterday` (UTC), within core.dates' bounds (else one
    `error:` line, exit 2)."""

    name = "YYYY-MM-DD"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip().lower()
        from datetime import UTC, datetime, timedelta

        today = datetime.now(UTC).date()
        if text == "today":
            return today
        if text == "yesterday":
            return today - timedelta(days=1)
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date; use YYYY-MM-DD (e.g. 2026-11-03), today or yesterday", param, ctx)
        name = param.name if param is not None else None  # --from fills from_day, --to to_day
        setting = name if name is not None and name in FIELDS else "day"
        return check_day(day, setting, exclusive_end=setting == "to_day")


DAY = DayType()
