"""Parsing of the `deloton` topic's messages and log lines (CONTRACT section 1), pure and strict."""
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime

from app.domain.rider import parse_rider

MAX_RAW = 4096
BOUNDS = {"heart_rate": (0, 250), "rpm": (0, 300), "power": (0, 5000), "resistance": (0, 1000)}
BOUNDARIES = {"--------- beginning of main": "beginning of main",
              "--------- beginning of a new ride": "beginning of a new ride"}
NUMBER = r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
PREFIX = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) ([^:]+): (.*)", re.DOTALL | re.ASCII)
RIDE = re.compile(rf"\[INFO\]: Ride - duration = ({NUMBER}); resistance = ([-+]?\d+)", re.ASCII)
TELEMETRY = re.compile(rf"\[INFO\]: Telemetry - hrt = ([-+]?\d+); rpm = ([-+]?\d+); power = ({NUMBER})", re.ASCII)
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


@dataclass(frozen=True, slots=True)
class RideHalf:
    """The first half of one second of riding."""

    ts: str
    duration_s: int
    resistance: int


@dataclass(frozen=True, slots=True)
class TelemetryHalf:
    """The second half of one second of riding."""

    ts: str
    heart_rate: int
    rpm: int
    power: float


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
    except ValueError:
        raise Quarantined("message value is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("log"), str):
        raise Quarantined('message value has no string "log"')
    return data["log"]


def parse_line(line: str):
    """One log line as Boundary, System, RideHalf or TelemetryHalf; Quarantined when it fits no row."""
    line = line.strip()
    if line in BOUNDARIES:
        return Boundary(BOUNDARIES[line])
    match = PREFIX.fullmatch(line)
    if match is None:
        raise Quarantined("line fits no known form")
    ts, rest = match.group(1), match.group(3)
    when = _timestamp(ts)
    text = ts + "+00:00" if not ts.endswith(".000000") else when.isoformat(sep=" ") + "+00:00"
    if rest.startswith("[INFO]: Ride"):
        return _ride(text, rest)
    if rest.startswith("[INFO]: Telemetry"):
        return _telemetry(text, rest)
    if rest.startswith(SYSTEM):
        return System(text, parse_system_json(rest[len(SYSTEM):]), when)
    if rest == GETTING_USER:
        return Boundary("getting user data")
    raise Quarantined("line fits no known form")


def _timestamp(ts: str) -> datetime:
    try:
        return datetime.fromisoformat(ts)
    except ValueError:
        raise Quarantined(f"impossible timestamp {ts!r}") from None


def _ride(ts: str, rest: str) -> RideHalf:
    match = RIDE.fullmatch(rest)
    if match is None:
        raise Quarantined("malformed Ride line")
    duration = float(match.group(1))
    if not math.isfinite(duration) or not 0 <= duration < 10_000_000:
        raise Quarantined(f"duration out of bounds: {match.group(1)}")
    resistance = int(match.group(2))
    _check("resistance", resistance)
    return RideHalf(ts, int(duration), resistance)


def _telemetry(ts: str, rest: str) -> TelemetryHalf:
    match = TELEMETRY.fullmatch(rest)
    if match is None:
        raise Quarantined("malformed Telemetry line")
    heart_rate, rpm, power = int(match.group(1)), int(match.group(2)), float(match.group(3))
    _check("heart_rate", heart_rate)
    _check("rpm", rpm)
    _check("power", power)
    return TelemetryHalf(ts, heart_rate, rpm, power)


def _check(name: str, value) -> None:
    low, high = BOUNDS[name]
    if not low <= value <= high:  # NaN fails this too
        raise Quarantined(f"{name} out of bounds: {value}")


def parse_system_json(text: str) -> dict:
    """The rider of a [SYSTEM] line, checked to be usable; Quarantined when it is not."""
    try:
        data = json.loads(text)
    except ValueError:
        raise Quarantined("broken [SYSTEM] JSON") from None
    if not isinstance(data, dict):
        raise Quarantined("[SYSTEM] JSON is not an object")
    if type(data.get("user_id")) is not int:
        raise Quarantined("[SYSTEM] JSON has no integer user_id")
    serial = data.get("bike_serial")
    if serial is not None and not isinstance(serial, str):
        raise Quarantined("[SYSTEM] JSON bike_serial is not text")
    for name in ("date_of_birth", "account_create_date", "height_cm", "weight_kg"):
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise Quarantined(f"[SYSTEM] JSON {name} is not a number")
    try:
        parse_rider(data)
    except (ValueError, TypeError, OverflowError) as exc:
        raise Quarantined(f"[SYSTEM] JSON unusable: {exc}"[:200]) from None
    return data


def raw_text(raw: bytes | None) -> str | None:
    """The raw value for the quarantine: at most 4 KiB, undecodable bytes as \\x escapes."""
    if raw is None:
        return None
    return raw[:MAX_RAW].decode("utf-8", errors="backslashreplace")


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
    return key
