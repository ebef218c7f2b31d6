"""Time zones: IANA names validated with suggestions, searchable, labelled with their GMT offset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from courier.core.errors import ConfigError
from courier.core.schedule.timezones import all_zones, label, search, validate_timezone


def test_names_come_from_tzdata_without_the_posix_copies() -> None:
    zones = all_zones()
    assert "America/New_York" in zones and "Europe/London" in zones and "UTC" in zones
    assert not any(z.startswith(("posix/", "right/")) for z in zones)


@pytest.mark.parametrize(("text", "canonical"), [
    ("America/New_York", "America/New_York"), ("america/new_york", "America/New_York"),
    ("  utc ", "UTC"), ("EUROPE/LONDON", "Europe/London"),
])
def test_validate_accepts_exact_and_case_insensitive_names(text: str, canonical: str) -> None:
    assert validate_timezone(text) == canonical


@pytest.mark.parametrize(("text", "suggested"), [
    ("Amerca/New_Yrok", "America/New_York"), ("Europe/Londn", "Europe/London"), ("new york", "America/New_York"),
])
def test_near_misses_get_suggestions(text: str, suggested: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_timezone(text)
    assert str(info.value) == f"timezone: unknown time zone {text.strip()!r}"
    assert info.value.hint is not None and suggested in info.value.hint


def test_nonsense_gets_a_general_hint() -> None:
    with pytest.raises(ConfigError) as info:
        validate_timezone("qqqqqqq")
    assert "IANA" in (info.value.hint or "")


def test_labels_show_the_offset_at_a_moment() -> None:
    winter, summer = datetime(2025, 1, 15, tzinfo=UTC), datetime(2025, 7, 15, tzinfo=UTC)
    assert label("America/New_York", winter) == "(GMT-05:00) America/New_York"
    assert label("America/New_York", summer) == "(GMT-04:00) America/New_York"
    assert label("Asia/Kolkata", winter) == "(GMT+05:30) Asia/Kolkata"
    assert label("utc", winter) == "(GMT+00:00) UTC"


def test_search_for_the_picker() -> None:
    assert search("new york")[0] == "America/New_York"
    assert search("london")[0] == "Europe/London"
    assert search("UTC")[0] == "UTC"
    assert all("kolkata" in z.lower() for z in search("kolk"))
    assert search("Lodnon")  # fuzzy fallback when nothing contains the text
    assert len(search("", limit=10)) == 10
    assert len(search("america", limit=None)) > 50
