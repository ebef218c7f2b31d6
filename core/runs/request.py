"""What a run is asked to do: one courier over one date selection (a day, a period [from, to), or all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from courier.core.dates import check_day, check_period
from courier.core.errors import ConfigError, Fix, FixKind
from courier.core.types import RunMode

MODES: tuple[RunMode, ...] = tuple(RunMode)


@dataclass
class RunRequest:
    courier: str
    mode: RunMode = RunMode.DAY
    day: date | None = None
    from_day: date | None = None
    to_day: date | None = None  # exclusive, as Amperity's time periods are
    skip_missing: bool = False
    group_name: str | None = None
    group_run: str | None = None
    wait_until: float | None = None  # epoch seconds: poll for missing files/markers until then

    def __post_init__(self) -> None:
        self._coerce_mode()

    def _coerce_mode(self) -> None:
        """Callers may say "day" (also by setting it later); a mode that is no RunMode stays for validate() to refuse."""
        if not isinstance(self.mode, RunMode) and self.mode in RunMode._value2member_map_:
            self.mode = RunMode(self.mode)

    def validate(self) -> None:
        self._coerce_mode()
        if not isinstance(self.mode, RunMode):
            raise ConfigError(f"unknown run mode {self.mode!r}", hint="use a day, a period or all available data")
        if self.mode is RunMode.DAY:
            if self.day is None:
                raise ConfigError("a day run needs a day", fix=Fix(FixKind.GIVE, "day", "YYYY-MM-DD"))
            check_day(self.day)
        if self.mode is RunMode.PERIOD:
            if self.from_day is None or self.to_day is None:
                raise ConfigError("a period needs both a from day and a to day",
                                  hint="from is inclusive, to exclusive",
                                  fix=Fix(FixKind.GIVE, "from_day" if self.from_day is None else "to_day", "YYYY-MM-DD"))
            if self.to_day <= self.from_day:
                raise ConfigError(f"to {self.to_day} is not after from {self.from_day}",
                                  hint="from is inclusive and to exclusive: from 2026-11-01 to 2026-11-02 is one day")
            check_period(self.from_day, self.to_day)

    def days(self) -> list[date]:
        if self.mode == RunMode.DAY:
            assert self.day is not None
            return [self.day]
        if self.mode == RunMode.PERIOD:
            assert self.from_day is not None and self.to_day is not None
            return [self.from_day + timedelta(days=i) for i in range((self.to_day - self.from_day).days)]
        return []
