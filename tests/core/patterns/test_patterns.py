"""The file-pattern language: Joda date letters, quoting, anchored `*`, prefix join, reverse match."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from courier.core.errors import ConfigError
from courier.core.patterns.grammar import (
    Field,
    FilePattern,
    Lit,
    PatternError,
    PatternWarning,
    Star,
    join_prefix,
    lex,
)
from courier.core.patterns.warnings import check, serialize
from hypothesis import assume, given, settings
from hypothesis import strategies as st

APRIL_10 = date(2020, 4, 10)
OPTIMIZELY = "'v1/account_id=123/type=decisions/date='yyyy-MM-dd'/experiment=*/*.parquet'"
OPTIMIZELY_KEY = (
    "v1/account_id=123/type=decisions/date=2020-09-14/experiment=18786493712/part-00000-x.c000.snappy.parquet"
)


# --- examples from the spec -------------------------------------------------------------------


def test_optimizely_decisions_pattern_matches_its_day_only() -> None:
    p = FilePattern.parse(OPTIMIZELY)
    day = date(2020, 9, 14)
    assert p.matches(OPTIMIZELY_KEY, day)
    assert p.matches(OPTIMIZELY_KEY.replace("2020-09-14", "2020-09-15"), date(2020, 9, 15))
    assert not p.matches(OPTIMIZELY_KEY.replace("2020-09-14", "2020-09-15"), day)
    assert not p.matches(OPTIMIZELY_KEY, date(2020, 9, 15))
    extra = OPTIMIZELY_KEY.replace("/part-", "/nested/part-")
    assert not p.matches(extra, day)
    assert p.literal_prefix(day) == "v1/account_id=123/type=decisions/date=2020-09-14/experiment="
    assert p.undated_prefix() == "v1/account_id=123/type=decisions/date="
    assert p.render(day) == "v1/account_id=123/type=decisions/date=2020-09-14/experiment=*/*.parquet"
    assert p.date_of(OPTIMIZELY_KEY) == day
    assert p.granularity == "day" and p.has_date
    assert check(p) == []


RULE_5 = "'files/'yyyy'/'MM'/'dd'/customers-*.csv'"


@pytest.mark.parametrize("name", ["customers-.csv", "customers-1.csv", "customers-hello-world.csv"])
def test_rule_5_matches(name: str) -> None:
    p = FilePattern.parse(RULE_5)
    assert p.render(APRIL_10) == "files/2020/04/10/customers-*.csv"
    assert p.matches(f"files/2020/04/10/{name}", APRIL_10)


@pytest.mark.parametrize(
    "name", ["customers-.csv.0", "customers-0.json", "customers-0/1/file.csv", "customers.csv"]
)
def test_rule_5_non_matches(name: str) -> None:
    assert not FilePattern.parse(RULE_5).matches(f"files/2020/04/10/{name}", APRIL_10)


def test_several_wildcards_inside_quotes() -> None:
    p = FilePattern.parse("'responsys/outbound_files/*_STATE_'yyyyMMdd'_*.txt.gpg'")
    assert p.render(APRIL_10) == "responsys/outbound_files/*_STATE_20200410_*.txt.gpg"
    assert p.matches("responsys/outbound_files/acme_STATE_20200410_001.txt.gpg", APRIL_10)
    assert p.matches("responsys/outbound_files/_STATE_20200410_.txt.gpg", APRIL_10)
    assert not p.matches("responsys/outbound_files/acme_STATE_20200411_001.txt.gpg", APRIL_10)
    assert not p.matches("responsys/outbound_files/a/b_STATE_20200410_001.txt.gpg", APRIL_10)
    assert p.literal_prefix(APRIL_10) == "responsys/outbound_files/"
    assert p.date_of("responsys/outbound_files/acme_STATE_20200410_001.txt.gpg") == APRIL_10


def test_unquoted_slashes_and_unquoted_star_are_literal_and_wildcard() -> None:
    p = FilePattern.parse("'x/'yyyy/MM/dd'/*.ndjson'")
    assert p.render(APRIL_10) == "x/2020/04/10/*.ndjson"
    assert p.matches("x/2020/04/10/events.ndjson", APRIL_10)
    q = FilePattern.parse("'STREAM_ID/'yyyy-MM-dd'/'*'.cbor'")
    assert q.matches("STREAM_ID/2020-04-10/abc.cbor", APRIL_10)
    assert not q.matches("STREAM_ID/2020-04-10/a/bc.cbor", APRIL_10)


def test_doubled_quote_is_a_literal_quote_inside_and_outside_quotes() -> None:
    assert FilePattern.parse("'it''s/'yyyy").render(APRIL_10) == "it's/2020"
    assert FilePattern.parse("''yyyy''").render(APRIL_10) == "'2020'"
    assert FilePattern.parse("'''a'''").render(APRIL_10) == "'a'"
    assert FilePattern.parse("'it''s/'yyyy").date_of("it's/2020") == date(2020, 1, 1)


def test_leading_slash_is_dropped_because_keys_never_start_with_one() -> None:
    p = FilePattern.parse("'/path/to/CustomerRecords.csv'")
    assert p.render(APRIL_10) == "path/to/CustomerRecords.csv"
    assert p.matches("path/to/CustomerRecords.csv", APRIL_10)
    assert FilePattern.parse("/'a'").render(APRIL_10) == "a"


# --- prefix join ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "pattern", "joined", "rendered"),
    [
        ("v1/", "'a/'", "'v1/a/'", "v1/a/"),
        ("v1", "'/a/'", "'v1/a/'", "v1/a/"),
        ("v1//", "yyyy", "'v1/'yyyy", "v1/2020"),
        ("it's/", "'/'yyyy", "'it''s/'yyyy", "it's/2020"),
        ("v1/", "'''c'", "'v1/''c'", "v1/'c"),
        ("", "'/a'", "'/a'", "a"),
    ],
)
def test_prefix_joins_with_exactly_one_slash(prefix: str, pattern: str, joined: str, rendered: str) -> None:
    assert join_prefix(prefix, pattern) == joined
    assert FilePattern.parse(pattern, prefix=prefix).render(APRIL_10) == rendered
    assert FilePattern.parse(joined).render(APRIL_10) == rendered
    assert FilePattern.parse(pattern, prefix=prefix).text == pattern


def test_prefix_with_a_wildcard_is_refused() -> None:
    with pytest.raises(ConfigError, match="prefix"):
        FilePattern.parse("'a'", prefix="v*/")


def test_prefix_is_part_of_literal_and_undated_prefix() -> None:
    p = FilePattern.parse("'type=events/date='yyyy-MM-dd'/'", prefix="v1/account_id=9")
    assert p.undated_prefix() == "v1/account_id=9/type=events/date="
    assert p.literal_prefix(APRIL_10) == "v1/account_id=9/type=events/date=2020-04-10/"
    assert p.is_folder


# --- date letters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "when", "rendered"),
    [
        ("yyyy-MM-dd", date(2020, 4, 9), "2020-04-09"),
        ("yy/M/d", date(2020, 4, 9), "20/4/9"),
        ("YYYY-MM-dd", date(2020, 4, 9), "2020-04-09"),
        ("yyyy-DDD", date(2020, 4, 10), "2020-101"),
        ("yyyy-D", date(2020, 1, 5), "2020-5"),
        ("yyyy/MM/dd/HH", datetime(2020, 4, 9, 7), "2020/04/09/07"),
        ("yyyy/MM/dd/H", datetime(2020, 4, 9, 7), "2020/04/09/7"),
        ("yyyy/MM/dd/HH", date(2020, 4, 9), "2020/04/09/00"),
        ("MMM-yyyy", date(2020, 4, 9), "Apr-2020"),
        ("MMMM-yyyy", date(2020, 4, 9), "April-2020"),
    ],
)
def test_date_letters_render_like_joda(pattern: str, when: date, rendered: str) -> None:
    assert FilePattern.parse(pattern).render(when) == rendered


@pytest.mark.parametrize(
    ("pattern", "granularity"),
    [("'a/'yyyy/MM/dd/HH", "hour"), ("yyyy-MM-dd", "day"), ("yyyy-DDD", "day"), ("yyyy-MM", "month"),
     ("yyyy", "year"), ("'a.csv'", None), ("'a/'mm", None)],
)
def test_granularity_is_the_finest_date_field(pattern: str, granularity: str | None) -> None:
    p = FilePattern.parse(pattern)
    assert p.granularity == granularity
    assert p.has_date is (granularity is not None)


def test_minutes_are_not_pinned_by_a_run() -> None:
    p = FilePattern.parse("'logs/'yyyy/MM/dd/HH-mm'.json'")
    hour = datetime(2020, 4, 10, 13)
    assert p.render(hour) == "logs/2020/04/10/13-*.json"
    assert p.literal_prefix(hour) == "logs/2020/04/10/13-"
    assert p.matches("logs/2020/04/10/13-37.json", hour)
    assert not p.matches("logs/2020/04/10/13-60.json", hour)
    assert not p.matches("logs/2020/04/10/14-37.json", hour)
    assert p.date_of("logs/2020/04/10/13-37.json") == hour


def test_regex_is_anchored_and_stars_stay_in_one_segment() -> None:
    rx = FilePattern.parse("'a/'yyyy'/*.csv'").regex(APRIL_10)
    assert rx.fullmatch("a/2020/x.csv")
    assert rx.match("a/2020/x.csv.bak") is None
    assert rx.match("a/2020/x/y.csv") is None
    assert rx.search("z/a/2020/x.csv") is None


# --- reverse match ----------------------------------------------------------------------------


def test_date_of_returns_datetime_for_hourly_patterns() -> None:
    p = FilePattern.parse("'e/'yyyy/MM/dd/HH'/*.parquet'")
    assert p.date_of("e/2021/12/31/23/part-1.parquet") == datetime(2021, 12, 31, 23)
    assert isinstance(p.date_of("e/2021/12/31/00/x.parquet"), datetime)


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("'d/'yyyy-MM-dd", "d/2020-13-01", None),  # month 13
        ("'d/'yyyy-MM-dd", "d/2021-02-29", None),  # not a leap year
        ("'d/'yyyy-MM-dd", "d/2020-02-29", date(2020, 2, 29)),
        ("'d/'yyyy-MM-dd", "e/2020-02-29", None),  # does not match
        ("yyyy/MM/dd'/f_'yyyyMMdd", "2020/04/10/f_20200411", None),  # repeated fields disagree
        ("yyyy/MM/dd'/f_'yyyyMMdd", "2020/04/10/f_20200410", APRIL_10),
        ("yyyy-MM-dd'_'yy", "2020-04-10_21", None),
        ("yyyy-MM-dd'_'yy", "2020-04-10_20", APRIL_10),
        ("yyyy-MM'/'DDD", "2020-04/101", APRIL_10),
        ("yyyy-MM'/'DDD", "2020-05/101", None),  # day-of-year 101 is in April
        ("yyyy-DDD", "2021-366", None),
        ("yy-MM-dd", "69-01-02", date(1969, 1, 2)),
        ("yy-MM-dd", "68-01-02", date(2068, 1, 2)),
        ("yyyy-MM", "2020-04", date(2020, 4, 1)),
        ("yyyy", "2020", date(2020, 1, 1)),
        ("MM-dd", "04-10", None),  # no year: cannot be attributed
        ("'a.csv'", "a.csv", None),
        ("yyyy-MMM", "2020-Apr", date(2020, 4, 1)),
        ("yyyy-M-d", "2020-04-10", None),  # unpadded fields never print a leading zero
    ],
)
def test_date_of(pattern: str, key: str, expected: date | None) -> None:
    assert FilePattern.parse(pattern).date_of(key) == expected


# --- errors -----------------------------------------------------------------------------------


def test_unknown_letter_names_letter_position_and_how_to_quote() -> None:
    with pytest.raises(PatternError) as caught:
        FilePattern.parse("files/yyyy/MM/dd/*.csv")
    err = caught.value
    assert isinstance(err, ConfigError) and err.exit_code == 2
    assert "'f' at position 1" in str(err)
    assert err.position == 1
    assert err.hint == "quote literal text: 'files/'"


def test_unknown_letter_later_in_the_pattern() -> None:
    with pytest.raises(PatternError) as caught:
        FilePattern.parse("'x/'yyyy/MM/dd/customers-*.csv")
    assert caught.value.position == 16
    assert "'c' at position 16" in str(caught.value)
    assert caught.value.hint == "quote literal text: 'customers-*.csv'"


def test_supported_joda_letter_we_do_not_support_gets_a_specific_hint() -> None:
    with pytest.raises(PatternError) as caught:
        FilePattern.parse("yyyy/MM/dd/hh")
    assert "'h' at position 12" in str(caught.value)
    assert "clock-hour" in str(caught.value)
    assert "HH" in (caught.value.hint or "")


def test_unterminated_quote_names_where_it_opened() -> None:
    with pytest.raises(PatternError) as caught:
        FilePattern.parse("yyyy'/data.csv")
    assert "position 5" in str(caught.value) and "never closed" in str(caught.value)
    assert caught.value.position == 5
    assert "''" in (caught.value.hint or "")


@pytest.mark.parametrize("text", ["", "   ", "/", "'/'", "//"])
def test_empty_patterns_are_refused(text: str) -> None:
    with pytest.raises(PatternError):
        FilePattern.parse(text)


# --- warnings ---------------------------------------------------------------------------------


def test_day_of_year_where_day_of_month_was_meant() -> None:
    assert check(FilePattern.parse("'d/'YYYY-MM-DD'.csv'")) == [
        PatternWarning(
            "YYYY-MM-DD: D is day-of-year, so 2020-04-10 renders as 2020-04-101", "use 'yyyy-MM-dd'"
        )
    ]
    [single] = check(FilePattern.parse("yyyy/MM/D"))
    assert "D is day-of-year" in single.message and single.suggestion == "use 'yyyy/MM/d'"
    [padded] = check(FilePattern.parse("'x_'yyyy_DD'.csv'"))
    assert padded.message == "yyyy_DD: D is day-of-year, so 2020-04-10 renders as 2020_101"


def test_day_of_year_on_its_own_is_fine() -> None:
    assert check(FilePattern.parse("'x/'yyyy/DDD'/*.csv'")) == []


def test_entirely_quoted_pattern_with_a_date_placeholder() -> None:
    [w] = check(FilePattern.parse("'/path/to/decisions_YYYY-MM-DD.parquet'"))
    assert w.message == "the whole pattern is quoted, so YYYY-MM-DD is matched literally"
    assert w.suggestion == "put the date outside the quotes: '/path/to/decisions_'yyyy-MM-dd'.parquet'"
    fixed = FilePattern.parse(w.suggestion.split(": ", 1)[1])
    assert fixed.render(APRIL_10) == "path/to/decisions_2020-04-10.parquet"
    [w2] = check(FilePattern.parse("'files/yyyy/MM/dd/*.csv'"))
    assert "yyyy/MM/dd is matched literally" in w2.message


def test_minute_where_month_was_meant() -> None:
    warnings = check(FilePattern.parse("'a/'yyyy-mm-dd'/*.csv'"))
    assert warnings == [
        PatternWarning("yyyy-mm-dd: mm is the minute, not the month, so no month is in the key",
                       "use 'yyyy-MM-dd'")
    ]
    assert check(FilePattern.parse("yyyy-MM-dd'T'HH:mm")) == []


def test_no_date_is_an_info() -> None:
    [w] = check(FilePattern.parse("'/path/to/CustomerRecords.csv'"))
    assert w.level == "info" and "every run picks the same files" in w.message
    assert "yyyy" in w.suggestion


def test_touching_unpadded_fields_are_ambiguous() -> None:
    [w] = check(FilePattern.parse("'x/'yyyyMd"))
    assert w.message == "yyyyMd: M has no fixed width and touches d, so a key can be read more than one way"
    assert w.suggestion == "use 'yyyyMMdd'"
    [s] = check(FilePattern.parse("'x/'yyyy/MM/dd/*H"))
    assert s.message == "*H: H has no fixed width and touches *, so a key can be read more than one way"
    assert s.suggestion == "use '*HH'"
    assert check(FilePattern.parse("'x/'yyyyMMd")) == []


@pytest.mark.parametrize(
    ("pattern", "missing", "fix"),
    [("'x/'MM-dd", "no year", "add yyyy"), ("'x/'yyyy/dd", "no month", "add MM"),
     ("'x/'yyyy/MM/HH", "no day", "add dd")],
)
def test_incomplete_dates_are_warned(pattern: str, missing: str, fix: str) -> None:
    [w] = check(FilePattern.parse(pattern))
    assert missing in w.message and w.suggestion.startswith(fix)


def test_doc_examples_that_are_right_give_no_warning() -> None:
    deep = FilePattern.parse("'1234567890/0987654321/2.0/'yyyy'/'MM'/'dd'/*/*.gz'")
    assert deep.render(APRIL_10) == "1234567890/0987654321/2.0/2020/04/10/*/*.gz"
    assert deep.matches("1234567890/0987654321/2.0/2020/04/10/x/y.gz", APRIL_10)
    folder = FilePattern.parse("'path/to/file'-YYYY-MM-dd'.parquet/'")
    assert folder.render(APRIL_10) == "path/to/file-2020-04-10.parquet/" and folder.is_folder
    assert check(deep) == [] and check(folder) == []


# --- properties -------------------------------------------------------------------------------

SAFE = "abcxz_-.="
quoted_text = st.text(alphabet=SAFE + "'", min_size=1, max_size=6)
separators = st.sampled_from(["/", "-", "_", ".", "="])
literal = st.one_of(separators, quoted_text.map(lambda t: "'" + t.replace("'", "''") + "'"))
star = st.sampled_from(["*", "'*'"])


@st.composite
def dated_patterns(draw: st.DrawFn) -> tuple[str, bool, bool]:
    """(pattern text, hourly, uses two-digit year). Fields never touch, so keys read one way."""
    fields = [draw(st.sampled_from(["yyyy", "YYYY", "yy", "y"]))]
    fields += draw(st.sampled_from([["MM", "dd"], ["M", "d"], ["MMM", "dd"], ["MMMM", "d"], ["DDD"]]))
    hourly = draw(st.booleans())
    if hourly:
        fields.append(draw(st.sampled_from(["HH", "H"])))
    fields = draw(st.permutations(fields))
    parts: list[str] = [draw(st.one_of(st.just(""), literal, star))]
    for f in fields:
        parts += [draw(literal), f, draw(literal)]
        parts += draw(st.lists(st.one_of(literal, star), max_size=2))
    return "".join(parts), hourly, "yy" in fields


moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2099, 12, 31, 23))


def _fill(rendered: str, texts: list[str]) -> str:
    parts = rendered.split("*")
    return parts[0] + "".join(t + p for t, p in zip(texts, parts[1:], strict=True))


@settings(max_examples=200, deadline=None)
@given(dated_patterns(), moments, st.data())
def test_render_then_date_of_round_trips(case: tuple[str, bool, bool], when: datetime, data: st.DataObject) -> None:
    text, hourly, two_digit = case
    if two_digit:
        assume(1969 <= when.year <= 2068)
    p = FilePattern.parse(text)
    rendered = p.render(when)
    stars = rendered.count("*")
    texts = data.draw(st.lists(st.text(alphabet="abcxyz", max_size=5), min_size=stars, max_size=stars))
    key = _fill(rendered, texts)
    expected = when.replace(minute=0, second=0, microsecond=0) if hourly else when.date()
    assert p.date_of(key) == expected
    assert p.matches(key, when)
    assert not p.matches(key, when + (timedelta(hours=1) if hourly else timedelta(days=1)))


@settings(max_examples=200, deadline=None)
@given(dated_patterns(), moments, st.data())
def test_stars_match_any_segment_text_but_never_a_slash(
    case: tuple[str, bool, bool], when: datetime, data: st.DataObject
) -> None:
    p = FilePattern.parse(case[0])
    rendered = p.render(when)
    stars = rendered.count("*")
    segment = st.text(st.characters(exclude_characters="/"), max_size=8)
    texts = data.draw(st.lists(segment, min_size=stars, max_size=stars))
    assert p.matches(_fill(rendered, texts), when)
    if stars:
        at = data.draw(st.integers(0, stars - 1))
        texts[at] = data.draw(segment) + "/" + data.draw(segment)
        assert not p.matches(_fill(rendered, texts), when)


def _shape(units: list) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for u in units:
        if isinstance(u, Lit):
            out.append(("lit", u.char))
        elif isinstance(u, Star):
            out.append(("star",))
        else:
            out.append(("field", u.letter * u.count))
    return out


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab/'x.", max_size=8), st.lists(st.one_of(literal, star, st.just("yyyy")), max_size=5))
def test_join_prefix_text_parses_to_the_same_pattern(prefix: str, parts: list[str]) -> None:
    text = "".join(parts) + "'f'"
    joined = join_prefix(prefix, text)
    assert _shape(list(FilePattern.parse(joined).units)) == _shape(list(FilePattern.parse(text, prefix).units))


@given(st.lists(st.one_of(literal, star, st.sampled_from(["yyyy", "MM", "dd", "HH"])), max_size=6))
def test_serialize_round_trips_through_lex(parts: list[str]) -> None:
    units = lex("".join(parts))
    assert _shape(lex(serialize(units))) == _shape(units)


def test_units_are_exposed_for_callers() -> None:
    assert _shape(lex("'a*'yy")) == [("lit", "a"), ("star",), ("field", "yy")]
    assert isinstance(lex("yy")[0], Field)
