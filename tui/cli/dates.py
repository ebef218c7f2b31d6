"""Parsing the dates operators type: one clear line when a date is wrong."""

from __future__ import annotations

from datetime import date

import click
from courier.core.dates import check_day


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
        where = param.opts[0] if param is not None and param.opts else "date"
        return check_day(day, where, exclusive_end=param is not None and param.name == "to_day")


DAY = DayType()
