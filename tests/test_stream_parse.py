"""Parsing the stream: the recordings, every line type, and bad input quarantined with a reason."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.stream.parse import (READING_VALUE, Boundary, Quarantined, RideHalf, System, TelemetryHalf,
                              decode_key, decode_value, parse_line, parse_value, raw_text)
from tests.stream_helpers import DATA

TS = "2022-07-06 23:29:36.435842"


def system_line(**rider) -> str:
    data = {"user_id": 7, "name": "Ann Lee", "gender": "female", "address": "1 A road,Leeds,LS1 1AA",
            "date_of_birth": 273715200000, "email_address": "a@b.c", "height_cm": 160,
            "weight_kg": 60, "account_create_date": 1647993600000, "bike_serial": "SN0000",
            "original_source": "direct", **rider}
    return f"{TS} mendoza v9: [SYSTEM] data = {json.dumps(data, ensure_ascii=False)}"


def test_the_topic_start_recording_parses_without_a_single_quarantined_line():
    rows = (DATA / "recorded-topic-start-2022-07-06.jsonl").read_bytes().splitlines()
    lines = [parse_line(decode_value(row)) for row in rows]
    assert [type(line) for line in lines[:4]] == [Boundary, Boundary, Boundary, System]
    assert lines[3].rider["user_id"] == 100
    halves = lines[4:]
    assert len(halves) == 996
    assert [h.duration_s for h in halves if isinstance(h, RideHalf)] == list(range(1, 499))


def test_the_snippets_parse_without_a_single_quarantined_line():
    lines = [parse_line(row) for row in (DATA / "recorded-snippets-2022-10-03.log").read_text().splitlines()]
    systems = [line for line in lines if isinstance(line, System)]
    assert len(lines) == 201 and len(systems) == 9
    assert {s.rider["user_id"] for s in systems} == {4526, 4527}
    assert any(isinstance(line, RideHalf) and line.resistance == 151 for line in lines)


def test_a_reading_keeps_its_values_and_the_time_in_the_live_store_form():
    ride = parse_line(f"  {TS} mendoza v9: [INFO]: Ride - duration = 12.0; resistance = 30\n")
    telemetry = parse_line(f"{TS} mendoza v9: [INFO]: Telemetry - hrt = 117; rpm = 40; "
                           f"power = 9.737739856000001")
    assert ride == RideHalf("2022-07-06 23:29:36.435842+00:00", 12, 30)
    assert telemetry == TelemetryHalf("2022-07-06 23:29:36.435842+00:00", 117, 40, 9.737739856000001)
    whole_second = parse_line("2022-07-06 23:29:36.000000 x: [INFO]: Ride - duration = 1.9; resistance = 0")
    assert whole_second == RideHalf("2022-07-06 23:29:36+00:00", 1, 0)


@pytest.mark.parametrize("name", ["Mr Stuart Austin", "Dr. Anna-Marie Smith-Jones", "Zoë Ødegaard",
                                  "Prof Siobhán Ó Súilleabháin", "李 小龍"])
def test_system_lines_with_titles_hyphens_and_any_unicode(name):
    line = parse_line(system_line(name=name, date_of_birth=-842140800000))
    assert line.rider["name"] == name and line.rider["date_of_birth"] == -842140800000


@pytest.mark.parametrize("text", ["--------- beginning of main", "--------- beginning of a new ride",
                                  f"{TS} mendoza v9: Getting user data from server.."])
def test_boundary_lines(text):
    assert isinstance(parse_line(text + "\n"), Boundary)


@pytest.mark.parametrize("value, reason", [
    (b"\xff\xfe", "not UTF-8"),
    (b"not json", "not JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not JSON"),  # nested past Python's recursion limit
    (b'{"log": "2022-07-06 23:29:36.435842 d\\ud800: Getting user data from server.."}', "unpaired surrogate"),
    (b'{"log": 5}', 'no string "log"'),
    (b'["log"]', 'no string "log"'),
    (None, "empty"),
])
def test_bad_message_values_are_quarantined_with_a_reason(value, reason):
    with pytest.raises(Quarantined, match=reason):
        decode_value(value)


@pytest.mark.parametrize("line, reason", [
    ("hello", "fits no known form"),
    (f"{TS} mendoza v9: [INFO]: Ride - duration = x; resistance = 30", "malformed Ride"),
    (f"{TS} mendoza v9: [INFO]: Telemetry - hrt = 1; rpm = 1", "malformed Telemetry"),
    (f"{TS} mendoza v9: [INFO]: Telemetry - hrt = 251; rpm = 40; power = 1.0", "heart_rate out of bounds"),
    (f"{TS} mendoza v9: [INFO]: Telemetry - hrt = 100; rpm = 301; power = 1.0", "rpm out of bounds"),
    (f"{TS} mendoza v9: [INFO]: Telemetry - hrt = 100; rpm = 40; power = 5000.5", "power out of bounds"),
    (f"{TS} mendoza v9: [INFO]: Ride - duration = 3.0; resistance = 1001", "resistance out of bounds"),
    (f"{TS} mendoza v9: [INFO]: Ride - duration = -1.0; resistance = 10", "duration out of bounds"),
    ("2022-13-06 23:29:36.435842 mendoza v9: Getting user data from server..", "impossible timestamp"),
    (f"{TS} mendoza v9: [SYSTEM] data = {{broken", "broken \\[SYSTEM\\] JSON"),
    (f"{TS} mendoza v9: [SYSTEM] data = []", "not an object"),
    (system_line(user_id="7"), "integer user_id"),
    (system_line(date_of_birth="1990-01-01"), "date_of_birth is not a number"),
    (system_line(date_of_birth=10**30), "unusable"),
    (system_line(gender={}), "gender is not text"),
    (system_line(email_address=5), "email_address is not text"),
    (system_line(bike_serial="SN\ud800"), "unpaired surrogate"),
    (f"{TS} mendoza v9: [SYSTEM] data = " + "[" * 100_000, "broken \\[SYSTEM\\] JSON"),
])
def test_bad_lines_are_quarantined_with_a_reason(line, reason):
    with pytest.raises(Quarantined, match=reason):
        parse_line(line)


def test_keys_and_raw_values_for_the_quarantine():
    assert decode_key(None) is None and decode_key(b"SD2e4219ce4a") == "SD2e4219ce4a"
    with pytest.raises(Quarantined, match="key is not UTF-8"):
        decode_key(b"\xff")
    assert raw_text(b"a\xffb") == "a\\xffb"
    assert len(raw_text(b"x" * 10000)) == 4096


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_parsed_or_quarantined_never_raised(value):
    try:
        parse_line(decode_value(value))
    except Quarantined:
        pass


LINE_LIKE = st.one_of(
    st.text(max_size=120),
    st.builds(lambda d, r: f"{TS} d: [INFO]: Ride - duration = {d}; resistance = {r}",
              st.one_of(st.floats(allow_nan=True), st.text(max_size=5)), st.integers()),
    st.builds(lambda h, r, p: f"{TS} d: [INFO]: Telemetry - hrt = {h}; rpm = {r}; power = {p}",
              st.integers(), st.integers(), st.floats(allow_nan=True, allow_infinity=True)),
    st.builds(lambda data: f"{TS} d: [SYSTEM] data = {json.dumps(data)}",
              st.dictionaries(st.sampled_from(["user_id", "name", "date_of_birth", "bike_serial",
                                               "gender", "account_create_date", "address"]),
                              st.one_of(st.integers(), st.floats(), st.text(max_size=8), st.none(),
                                        st.booleans()))),
)


@settings(max_examples=400, deadline=None)
@given(LINE_LIKE)
def test_any_line_in_a_json_value_is_parsed_or_quarantined_never_raised(line):
    value = json.dumps({"log": line + "\n"}).encode()
    try:
        parsed = parse_line(decode_value(value))
    except Quarantined:
        return
    assert isinstance(parsed, Boundary | System | RideHalf | TelemetryHalf)


def outcome(parse, value):
    """What a parser makes of a value: the line, or the quarantine reason."""
    try:
        return parse(value)
    except Quarantined as exc:
        return f"quarantined: {exc}"


# Mostly numbers a bike sends, so that most examples are good readings; then the odd ones.
NUMBER_TEXT = st.one_of(st.integers(0, 250).map(str), st.integers(0, 250).map(str),
                        st.floats(0, 300).map(str), st.integers(-5, 6000).map(str),
                        st.floats(allow_nan=True, allow_infinity=True).map(str),
                        st.sampled_from(["1e2", "2.", "+3", "-0", "007", "1e999", "x"]))
READING_VALUES = st.builds(
    lambda stamp, device, line, end, space: (
        f'{{"log":{space}{json.dumps(f"{stamp} {device}: [INFO]: {line}{end}", ensure_ascii=False)}}}'
        .encode()),
    st.sampled_from([TS, "2022-07-06 23:29:36.000000", "2022-02-30 10:00:00.500000", "2022-07-06 24:00:00.1",
                     "2022-07-06 23:60:36.435842", "2022-07-06 23:29:60.435842", "2022-07-06 23:59:59.999999"]),
    st.sampled_from(["mendoza v9", "v9", "bike é", 'say "hi"', "a\\b", "tab\t"]),
    st.one_of(st.builds("Ride - duration = {}; resistance = {}".format, NUMBER_TEXT, NUMBER_TEXT),
              st.builds("Telemetry - hrt = {}; rpm = {}; power = {}".format,
                        NUMBER_TEXT, NUMBER_TEXT, NUMBER_TEXT)),
    st.sampled_from(["\n", "", " ", "\r\n", "\n\n"]),
    st.sampled_from([" ", "", "  "]))


@settings(max_examples=500, deadline=None)
@given(READING_VALUES)
def test_the_fast_path_for_readings_gives_what_the_general_path_gives(value):
    assert outcome(parse_value, value) == outcome(lambda v: parse_line(decode_value(v)), value)


def test_the_bikes_own_reading_values_take_the_fast_path():
    rows = (DATA / "recorded-topic-start-2022-07-06.jsonl").read_bytes().splitlines()
    readings = [row for row in rows if b"[INFO]" in row]
    assert len(readings) == 2 * 498 and all(READING_VALUE.fullmatch(row) for row in readings)
    assert [parse_value(row) for row in readings] == [parse_line(decode_value(row)) for row in readings]
