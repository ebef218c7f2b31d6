"""What a run is asked to do: one courier over one date selection (a day, a period [from, to), or all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

from courier.core.dates import check_day, check_period
from courier.core.errors import ConfigError, Fix, FixKind
from courier.core.types import RunMode

MODES: tuple[RunMode, ...] = tuple(RunMode)
MODE_WORDS = {RunMode.DAY: "a day", RunMode.PERIOD: "a period", RunMode.ALL: "all available data"}
MODE_MEANING = {RunMode.DAY: "a day is that one day", RunMode.PERIOD: "a period runs from a day (inclusive) to a "
                "day (exclusive)", RunMode.ALL: "all is every day the bucket holds"}


def one_of(words: list[str]) -> str:
    """`a`, `a or b`, `a, b, or c`."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + ("," if len(words) > 2 else "") + f" or {words[-1]}"


class SelectionError(ConfigError):
    """Not exactly one date selection. It says which selections the face offered (`modes`), so each
    face names them its own way (the CLI its flags) instead of the engine naming any face's."""

    def __init__(self, modes: tuple[RunMode, ...]) -> None:
        self.modes = modes
        super().__init__(f"choose exactly one of {one_of([MODE_WORDS[m] for m in modes])}",
                         hint="; ".join(MODE_MEANING[m] for m in modes))


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

    @classmethod
    def from_selection(cls, courier: str, *, day: date | None = None, from_day: date | None = None,
                       to_day: date | None = None, all_: bool = False, mode: str | None = None,
                       skip_missing: bool = False, group_name: str | None = None, group_run: str | None = None,
                       wait_until: float | None = None, modes: tuple[RunMode, ...] = MODES) -> RunRequest:
        """The validated request for one date selection: a day, a period [from_day, to_day) or all data.

        The one selection rule every face uses (`courier run`, `courier groups run`, `courier files
        --remote`, the TUI's run dialog): exactly one of the selections the face offers (`modes`) is
        given, else SelectionError. A face that lets the operator pick the mode first (the dialog's
        radio buttons) passes `mode`, and the mode's own checks then say what is missing.
        """
        given = [name for name, chosen in (("day", day is not None),
                                           ("period", from_day is not None or to_day is not None),
                                           ("all", all_)) if chosen]
        offered = {m.value for m in modes}
        if mode is None:
            if len(given) != 1 or given[0] not in offered:
                raise SelectionError(modes)
            mode = given[0]
        elif set(given) - {mode}:
            raise SelectionError(modes)
        request = cls(courier, cast(RunMode, mode), day=day, from_day=from_day, to_day=to_day, skip_missing=skip_missing,
                      group_name=group_name, group_run=group_run, wait_until=wait_until)
        request.validate()
        return request

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

    def bounds(self) -> tuple[date | None, date | None]:
        """First day and exclusive end of the selection ((None, None) for all data)."""
        if self.mode == "day" and self.day is not None:
            return self.day, self.day + timedelta(days=1)
        if self.mode == "period":
            return self.from_day, self.to_day
        return None, None

    def days(self) -> list[date]:
        if self.mode == RunMode.DAY:
            assert self.day is not None
            return [self.day]
        if self.mode == RunMode.PERIOD:
            assert self.from_day is not None and self.to_day is not None
            return [self.from_day + timedelta(days=i) for i in range((self.to_day - self.from_day).days)]
        return []
