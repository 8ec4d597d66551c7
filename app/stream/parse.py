"""Parsing of the `deloton` topic's messages and lines (docs/specification.md#the-stream), pure and strict."""
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime

from app.domain.rider import date_from_epoch_ms, parse_rider

MAX_RAW = 4096
BOUNDS = {"heart_rate": (0, 250), "rpm": (0, 300), "power": (0, 5000), "resistance": (0, 1000)}
BOUNDARIES = {"--------- beginning of main": "beginning of main",
              "--------- beginning of a new ride": "beginning of a new ride"}
NUMBER = r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
PREFIX = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) ([^:]+): (.*)", re.DOTALL | re.ASCII)
RIDE = re.compile(rf"\[INFO\]: Ride - duration = ({NUMBER}); resistance = ([-+]?\d+)", re.ASCII)
TELEMETRY = re.compile(rf"\[INFO\]: Telemetry - hrt = ([-+]?\d+); rpm = ([-+]?\d+); power = ({NUMBER})", re.ASCII)
# The two reading lines make up nearly all of the stream: one anchored pattern each, tried first.
TS_DEVICE = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) [^:]+: "
RIDE_LINE = re.compile(TS_DEVICE + RIDE.pattern, re.ASCII)
TELEMETRY_LINE = re.compile(TS_DEVICE + TELEMETRY.pattern, re.ASCII)
# The same two lines matched on the raw message value in one go, for values that are exactly
# {"log": "<line>"} (optionally ending in \n) with nothing JSON would unescape: the bikes' own
# form, so nearly every message skips json.loads. Its minutes and seconds are checked here too, and
# a zero fraction (which the live store writes without it) is left to the general path, as is any
# other value.
UNSIGNED = rb"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
READING_VALUE = re.compile(
    rb'\{"log": ?"(\d{4}-\d\d-\d\d \d\d:[0-5]\d:[0-5]\d\.(?!000000)\d{6}) [^:"\\\x00-\x1f\x7f-\xff]+: \[INFO\]: '
    rb"(?:Telemetry - hrt = (\d+); rpm = (\d+); power = (%s)|Ride - duration = (%s); resistance = (\d+))"
    rb'(?:\\n)?"\}' % (UNSIGNED, UNSIGNED))
SYSTEM = "[SYSTEM] data = "
GETTING_USER = "Getting user data from server.."


class Quarantined(ValueError):
    """A message that cannot be used; its text is the quarantine reason."""


@dataclass(frozen=True, slots=True)
class Boundary:
    """A line that ends the bike's ride in progress."""

    kind: str


@dataclass(frozen=True, slots=True)
class System:
    """A [SYSTEM] line: a ride starts at `ts` (live store text) with this rider."""

    ts: str
    rider: dict
    when: datetime


@dataclass(slots=True)
class RideHalf:
    """The first half of one second of riding."""

    ts: str
    duration_s: int
    resistance: int


@dataclass(slots=True)
class TelemetryHalf:
    """The second half of one second of riding."""

    ts: str
    heart_rate: int
    rpm: int
    power: float


def parse_value(raw: bytes | None):
    """The parsed log line of a message value: parse_line(decode_value(raw)), reading lines faster."""
    match = READING_VALUE.fullmatch(raw) if raw is not None else None
    if match is not None:
        # Nearly every message: checked and built here in one go (the pattern allows only unsigned
        # numbers and valid minutes and seconds; the hour is one datetime has accepted before).
        # Anything out of bounds, or a new hour, takes the general path, which says why it is bad.
        ts, heart_rate, rpm, power, duration, resistance = match.groups()
        if ts[:13] in _VALID_HOURS:
            if heart_rate is not None:
                heart_rate, rpm, power = int(heart_rate), int(rpm), float(power)
                if heart_rate <= 250 and rpm <= 300 and power <= 5000:  # inf fails this too
                    return TelemetryHalf(ts.decode() + "+00:00", heart_rate, rpm, power)
            else:
                seconds, resistance = float(duration), int(resistance)
                if seconds < 10_000_000 and resistance <= 1000:
                    return RideHalf(ts.decode() + "+00:00", int(seconds), resistance)
    return parse_line(decode_value(raw))


def decode_value(raw: bytes | None) -> str:
    """The log line of a message value `{"log": "<line>"}`; Quarantined when it is anything else."""
    if raw is None:
        raise Quarantined("empty message value")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Quarantined("message value is not UTF-8") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise Quarantined("message value is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("log"), str):
        raise Quarantined('message value has no string "log"')
    if "\x00" in data["log"]:
        raise Quarantined("log line contains a NUL character")  # PostgreSQL text cannot hold it
    _check_encodable(data["log"], "log line")
    return data["log"]


def _check_encodable(text: str, what: str) -> None:
    """Quarantined when text holds an unpaired surrogate (a JSON \\ud800): no database can store it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Quarantined(f"{what} contains an unpaired surrogate") from None


def parse_line(line: str):
    """One log line as Boundary, System, RideHalf or TelemetryHalf; Quarantined when it fits no row."""
    line = line.strip()
    match = TELEMETRY_LINE.fullmatch(line)
    if match is not None:
        return _telemetry(*match.groups())
    match = RIDE_LINE.fullmatch(line)
    if match is not None:
        return _ride(*match.groups())
    if line in BOUNDARIES:
        return Boundary(BOUNDARIES[line])
    return _other_line(line)


def _other_line(line: str):
    """Lines other than well-formed readings: boundaries with a time, [SYSTEM], or bad ones."""
    match = PREFIX.fullmatch(line)
    if match is None:
        raise Quarantined("line fits no known form")
    ts, rest = match.group(1), match.group(3)
    when = _timestamp(ts)
    if rest.startswith("[INFO]: Ride"):
        raise Quarantined("malformed Ride line")
    if rest.startswith("[INFO]: Telemetry"):
        raise Quarantined("malformed Telemetry line")
    if rest.startswith(SYSTEM):
        return System(_text(ts, when), parse_system_json(rest[len(SYSTEM):]), when)
    if rest == GETTING_USER:
        return Boundary("getting user data")
    raise Quarantined("line fits no known form")


def _timestamp(ts: str) -> datetime:
    try:
        return datetime.fromisoformat(ts)
    except ValueError:
        raise Quarantined(f"impossible timestamp {ts!r}") from None


# The "YYYY-MM-DD HH" of timestamps datetime.fromisoformat has accepted: a <ts> of such an hour is
# valid when its minutes and seconds are (its digits are checked by the patterns). Parsing every
# reading's time was a tenth of the consumer's own work; a few hundred hours at a time are live.
_VALID_HOURS: set[bytes] = set()  # as bytes: parse_value looks up the raw value's
MAX_VALID_HOURS = 10_000


def _text(ts: str, when: datetime | None = None) -> str:
    """The live store's form of a valid <ts> (store.to_text of it as UTC), built without formatting."""
    if when is None:
        if ts[:13].encode() in _VALID_HOURS and ts[14:16] < "60" and ts[17:19] < "60" \
                and ts[-6:] != "000000":
            return ts + "+00:00"
        when = _timestamp(ts)
        if len(_VALID_HOURS) >= MAX_VALID_HOURS:
            _VALID_HOURS.clear()
        _VALID_HOURS.add(ts[:13].encode())
    if ts.endswith(".000000"):  # isoformat leaves out a zero fraction
        return when.isoformat(sep=" ") + "+00:00"
    return ts + "+00:00"


def _ride(ts: str, duration_text: str, resistance_text: str) -> RideHalf:
    duration, resistance = float(duration_text), int(resistance_text)
    if not math.isfinite(duration) or not 0 <= duration < 10_000_000:
        raise Quarantined(f"duration out of bounds: {duration_text}")
    if not 0 <= resistance <= 1000:
        _check("resistance", resistance)
    return RideHalf(_text(ts), int(duration), resistance)


def _telemetry(ts: str, hrt_text: str, rpm_text: str, power_text: str) -> TelemetryHalf:
    heart_rate, rpm, power = int(hrt_text), int(rpm_text), float(power_text)
    if not (0 <= heart_rate <= 250 and 0 <= rpm <= 300 and 0 <= power <= 5000):
        _check("heart_rate", heart_rate)
        _check("rpm", rpm)
        _check("power", power)
    return TelemetryHalf(_text(ts), heart_rate, rpm, power)


def _check(name: str, value) -> None:
    low, high = BOUNDS[name]
    if not low <= value <= high:  # NaN fails this too
        raise Quarantined(f"{name} out of bounds: {value}")


def parse_system_json(text: str) -> dict:
    """The rider of a [SYSTEM] line, checked to be usable; Quarantined when it is not."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise Quarantined("broken [SYSTEM] JSON") from None
    if not isinstance(data, dict):
        raise Quarantined("[SYSTEM] JSON is not an object")
    if "\\u0000" in text:  # a NUL in any field (PostgreSQL text cannot hold it)
        raise Quarantined("[SYSTEM] JSON contains a NUL character")
    _check_encodable(json.dumps(data, ensure_ascii=False), "[SYSTEM] JSON")
    user_id = data.get("user_id")
    if type(user_id) is not int or not -2**63 <= user_id < 2**63:
        raise Quarantined("[SYSTEM] JSON has no integer user_id")
    for name in ("bike_serial", "name", "gender", "address", "email_address", "original_source"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise Quarantined(f"[SYSTEM] JSON {name} is not text")  # the warehouse could not land it
    for name in ("date_of_birth", "account_create_date", "height_cm", "weight_kg"):
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise Quarantined(f"[SYSTEM] JSON {name} is not a number")
        if name.startswith(("date", "account")) and value is not None \
                and date_from_epoch_ms(value) is None:
            raise Quarantined(f"[SYSTEM] JSON unusable: {name} {value} is out of range")
    try:
        parse_rider(data)
    except (ValueError, TypeError, OverflowError) as exc:
        raise Quarantined(f"[SYSTEM] JSON unusable: {exc}"[:200]) from None
    return data


def raw_text(raw: bytes | None) -> str | None:
    """The raw value for the quarantine: at most 4 KiB, undecodable bytes as \\x escapes."""
    if raw is None:
        return None
    # NUL written as \x00 too: PostgreSQL's text cannot hold it.
    return raw[:MAX_RAW].decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


def decode_key(raw: bytes | None) -> str | None:
    """The bike serial of a message key (None when unkeyed); Quarantined when not UTF-8 text."""
    if raw is None:
        return None
    try:
        key = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Quarantined("message key is not UTF-8") from None
    if not key.strip():
        raise Quarantined("message key is blank")
    if "\x00" in key:
        raise Quarantined("message key contains a NUL character")
    return key
