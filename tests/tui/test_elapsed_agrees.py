"""The live view's "elapsed" and the run's "Completed in …" say the same number of seconds.

They disagreed at the end of short runs ("elapsed 0s" beside "Completed in 1 second"): the view cut
seconds off where the notification rounds them, and it timed the run between two events rather
than as the run's record does.
"""

from __future__ import annotations

import re

import pytest
from courier.core.runs.events import RunFinished, RunStarted
from courier.core.runs.records import notification_for
from courier.core.types import RunStatus
from courier.tui.widgets.progress_panel import RunState, human_duration


def seconds_in(text: str) -> int:
    """The seconds a duration text names: `1h 02m 03s` (the view) or `62 minutes 3 seconds` (the notification)."""
    total = 0
    for unit, factor in ((r"h\b|hours?", 3600), (r"m\b|minutes?", 60), (r"s\b|seconds?", 1)):
        found = re.search(rf"(\d+)\s*(?:{unit})", text)
        total += int(found.group(1)) * factor if found else 0
    return total


@pytest.mark.parametrize("seconds", [0.0, 0.4, 0.5001, 0.6, 1.49, 1.5001, 59.6, 61.4, 119.5001, 3599.7])
def test_whole_seconds_agree_with_the_notification(seconds: float) -> None:
    assert seconds_in(human_duration(seconds)) == seconds_in(notification_for(seconds))


def test_a_finished_run_shows_the_duration_its_record_counted() -> None:
    state = RunState()
    state.apply(RunStarted("wf-1", 1, 100.0, courier="c", mode="day", days=["2026-11-01"]))
    # the last event is written after the run's record: 0.3 s later than the duration it carries
    state.apply(RunFinished("wf-1", 2, 100.9, status=RunStatus.SUCCEEDED, notification=notification_for(0.6),
                            seconds=0.6))
    assert state.elapsed(now=500.0) == pytest.approx(0.6)
    assert human_duration(state.elapsed(now=500.0)) == "1s"
    assert seconds_in(state.notification or "") == 1


def test_an_event_from_an_older_version_without_a_duration_still_ends_the_clock() -> None:
    state = RunState()
    state.apply(RunStarted("wf-1", 1, 100.0, courier="c", mode="day", days=[]))
    state.apply(RunFinished("wf-1", 2, 102.0, status=RunStatus.FAILED, error="boom"))
    assert state.elapsed(now=500.0) == pytest.approx(2.0)
