"""The error family's shared helpers: one "did you mean", one first line, a structured fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from courier.core.errors import (
    ConfigError,
    Fix,
    FixKind,
    NotFound,
    did_you_mean,
    first_line,
    not_found,
)

ROOT = Path(__file__).resolve().parents[2]


def test_did_you_mean_quotes_the_closest_choices_or_says_nothing() -> None:
    assert did_you_mean("optimizly", ["optimizely", "crm"]) == "did you mean 'optimizely'?"
    assert did_you_mean("emial", ["email", "email2", "mail"], n=2) == "did you mean 'email', 'email2'?"
    assert did_you_mean("OPTIMIZLY", ["optimizely"]) is None
    assert did_you_mean("OPTIMIZLY", ["optimizely"], fold_case=True) == "did you mean 'optimizely'?"
    assert did_you_mean("zzz", ["optimizely"]) is None


def test_not_found_falls_back_and_appends() -> None:
    near = not_found("no courier named 'optimizly'", "optimizly", ["optimizely"], otherwise="see the list")
    assert isinstance(near, NotFound) and near.hint == "did you mean 'optimizely'?"
    far = not_found("no courier named 'x'", "x", ["optimizely"], otherwise="see the list")
    assert far.hint == "see the list"
    listed = not_found("no group 'daly'", "daly", ["daily"], then="`courier groups list` lists them")
    assert listed.hint == "did you mean 'daily'? `courier groups list` lists them"


def test_first_line_of_an_exception_or_a_text() -> None:
    assert first_line(ValueError("one\ntwo")) == "one"
    assert first_line(ValueError()) == "ValueError"
    assert first_line("Error running load-operations task\nCannot find required feeds") == \
        "Error running load-operations task"
    assert first_line("") == ""


def test_a_fix_travels_beside_the_message_and_reads_in_no_face_words() -> None:
    fix = Fix(FixKind.TURN_ON, "skip_missing", why="to continue past them")
    error = ConfigError("missing required files", hint="wait for the export", fix=fix)
    assert error.fix is fix and error.hint == "wait for the export"
    assert error.one_line() == "missing required files (wait for the export; turn on 'skip missing' to continue past them)"
    assert "--" not in error.one_line()
    assert Fix(FixKind.GIVE, "day", "YYYY-MM-DD").words() == "give day YYYY-MM-DD"


@pytest.mark.parametrize("pattern", [r"\bdifflib\b", r"get_close_matches", r"splitlines\(\)\[0\]"])
def test_one_helper_each_for_did_you_mean_and_first_lines(pattern: str) -> None:
    """core/errors.py owns "did you mean" and first lines; nothing else in core/ or tui/ rolls its own."""
    found = [f"{path.relative_to(ROOT)}:{n}" for folder in ("core", "tui") for path in (ROOT / folder).rglob("*.py")
             if path != ROOT / "core" / "errors.py"
             for n, line in enumerate(path.read_text().splitlines(), 1) if re.search(pattern, line)]
    assert found == []
