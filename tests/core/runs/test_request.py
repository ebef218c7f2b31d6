"""The run-selection rule (RunRequest.from_selection): one day, one period [from, to) or all data, with one
set of messages for `courier run`, `courier groups run` and the TUI's run dialog."""

from __future__ import annotations

from datetime import date

import pytest
from courier.core.errors import ConfigError
from courier.core.runs.request import RunRequest, SelectionError
from courier.core.types import RunMode

CHOOSE_ONE = "choose exactly one of a day, a period, or all available data"

D1, D2 = date(2026, 11, 1), date(2026, 11, 3)


def test_each_selection_gives_its_mode_and_bounds() -> None:
    day = RunRequest.from_selection("opt", day=D1, skip_missing=True)
    assert (day.mode, day.days(), day.bounds(), day.skip_missing) == ("day", [D1], (D1, date(2026, 11, 2)), True)
    period = RunRequest.from_selection("opt", from_day=D1, to_day=D2)
    assert (period.mode, len(period.days()), period.bounds()) == ("period", 2, (D1, D2))
    everything = RunRequest.from_selection("opt", all_=True, group_name="g", group_run="gr-1")
    assert (everything.mode, everything.bounds(), everything.group_name) == ("all", (None, None), "g")


@pytest.mark.parametrize("selection", [{}, {"day": D1, "all_": True}, {"day": D1, "from_day": D1, "to_day": D2},
                                       {"to_day": D2, "all_": True}])
def test_none_or_several_selections_are_one_error(selection: dict[str, object]) -> None:
    with pytest.raises(SelectionError) as err:
        RunRequest.from_selection("opt", **selection)  # type: ignore[arg-type]
    assert err.value.message == CHOOSE_ONE and "to a day (exclusive)" in (err.value.hint or "")
    assert "--" not in err.value.message + (err.value.hint or "")  # the engine names no face's flags
    assert err.value.modes == tuple(RunMode)  # so each face can name the selections it offers


def test_a_face_that_offers_fewer_selections_hears_only_of_those() -> None:
    """`courier files --remote` lists day by day: a day or a period, never all."""
    with pytest.raises(SelectionError) as err:
        RunRequest.from_selection("opt", day=D1, from_day=D1, to_day=D2, modes=(RunMode.DAY, RunMode.PERIOD))
    assert err.value.message == "choose exactly one of a day or a period"
    assert "all" not in (err.value.hint or "")
    with pytest.raises(SelectionError):  # a selection the face does not offer is none
        RunRequest.from_selection("opt", all_=True, modes=(RunMode.DAY, RunMode.PERIOD))


@pytest.mark.parametrize(("selection", "message"), [
    ({"from_day": D1}, "a period needs both a from day and a to day"),
    ({"from_day": D2, "to_day": D1}, "to 2026-11-01 is not after from 2026-11-03"),
    ({"day": date(1969, 12, 31)}, "outside the dates courier loads"),
    ({"mode": "day"}, "a day run needs a day"),  # a face that picks the mode first (the run dialog)
    ({"mode": "period", "to_day": D2}, "a period needs both a from day and a to day"),
    ({"mode": "all", "day": D1}, CHOOSE_ONE),
])
def test_a_selection_is_checked_with_the_modes_own_words(selection: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RunRequest.from_selection("opt", **selection)  # type: ignore[arg-type]
