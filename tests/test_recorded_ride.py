"""The recorded topic start (user 100, durations 1-498) closes out as one ride with hand-computed figures.

The ride goes through the consumer's own pipeline into the live store; the test's oracle reads the
recording's .log lines itself, as docs/specification.md#the-stream describes them, and computes the figures
by hand.
"""
import json
import math
import re
from contextlib import closing
from datetime import date, datetime, timezone

import pytest

from app.extensions import db
from app.live import store
from app.models import Ride, RideReading, User
from app.services.rides import closeout
from app.stream.pipeline import process_batch
from app.stream.rides import Settings
from tests.stream_helpers import DATA, messages

LOG = DATA / "recorded-topic-start-2022-07-06.log"
LINE = re.compile(r"^(\S+ \S+) [^:]+: (.*)$")
RIDE = re.compile(r"\[INFO\]: Ride - duration = ([\d.]+); resistance = (\d+)")
TELEMETRY = re.compile(r"\[INFO\]: Telemetry - hrt = (\d+); rpm = (\d+); power = ([\d.]+)")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def recorded_ride() -> tuple[datetime, dict, list[dict]]:
    """The start, the rider and the readings of the recording's one ride."""
    started_at, rider, readings, half = None, None, [], None
    for line in LOG.read_text(encoding="utf-8").splitlines():
        match = LINE.match(line.strip())
        if not match:
            continue
        when, message = match.groups()
        if message.startswith("[SYSTEM] data = "):
            started_at, rider = utc(when), json.loads(message.removeprefix("[SYSTEM] data = "))
        elif ride := RIDE.match(message):
            half = (utc(when), int(float(ride.group(1))), int(ride.group(2)))
        elif (telemetry := TELEMETRY.match(message)) and half:
            readings.append({"recorded_at": half[0], "duration_s": half[1], "resistance": half[2],
                             "heart_rate": int(telemetry.group(1)), "rpm": int(telemetry.group(2)),
                             "power": float(telemetry.group(3))})
            half = None
    return started_at, rider, readings


def by_hand(readings: list[dict], limit: float) -> dict:
    """The section 3 figures with plain Python, one reading at a time (the test's own oracle)."""
    hr = [r["heart_rate"] for r in readings if r["heart_rate"] > 0]
    zones = [0] * 5
    for beat in hr:
        zones[min(4, max(0, math.floor(beat / limit * 10) - 5))] += 1
    xs = [min(1.0, max(0.0, (beat - 60) / (limit - 60))) for beat in hr]
    energy = sum(r["power"] for r in readings) / 1000
    return {"avg_heart_rate": sum(hr) / len(hr), "min_heart_rate": min(hr),
            "max_heart_rate": max(r["heart_rate"] for r in readings),
            "avg_power": sum(r["power"] for r in readings) / len(readings),
            "max_rpm": max(r["rpm"] for r in readings), "energy_kj": energy,
            "calories_kcal": energy / (4.184 * 0.24), "zones": zones,
            "trimp": sum(x * 0.64 * math.exp(1.92 * x) for x in xs) / 60}


def test_the_recorded_topic_start_lands_as_one_ride_with_the_figures_by_hand(app):
    started_at, rider, readings = recorded_ride()
    assert len(readings) == 498 and started_at == utc("2022-07-06 23:29:35.935822")
    rows = (DATA / "recorded-topic-start-2022-07-06.jsonl").read_bytes().splitlines()
    with closing(store.connect(app.config["LIVE_DB_PATH"])) as conn:
        process_batch(conn, messages(rows + ["--------- beginning of a new ride"]), Settings())
        (key,) = conn.execute("SELECT started_at FROM rides WHERE status = 'ended'").fetchone()
    with app.app_context():
        closeout.close_ride(rider["bike_serial"], key)
        ride = db.session.scalars(db.select(Ride)).one()
        user = db.session.get(User, 100)
        stored = db.session.scalar(db.select(db.func.count()).select_from(RideReading))
    age = 43  # born 1978-09-04 (273715200000 ms), ridden 2022-07-06
    expected = by_hand(readings, 208 - 0.7 * age)
    assert (ride.duration_s, ride.readings_count, stored) == (498, 498, 498)
    assert ride.ended_at == readings[-1]["recorded_at"] and ride.ride_date == date(2022, 7, 7)
    assert (ride.age_years, ride.age_band, ride.hr_limit_bpm) == (age, "35-44", pytest.approx(177.9))
    for name in ("avg_heart_rate", "avg_power", "energy_kj", "calories_kcal", "trimp"):
        assert getattr(ride, name) == pytest.approx(expected[name], rel=1e-12), name
    assert (ride.min_heart_rate, ride.max_heart_rate, ride.max_rpm) == (
        expected["min_heart_rate"], expected["max_heart_rate"], expected["max_rpm"])
    assert list(ride.hr_zone_seconds.values()) == expected["zones"]
    assert sum(expected["zones"]) < 498  # the zero heart rates at the start are left out
    assert (user.first_name, user.last_name, user.city, user.postcode) == (
        "Steven", "Pearce", "Wilkinsonshire", "E68 8SH")
    assert user.date_of_birth == date(1978, 9, 4) and user.account_created_on == date(2022, 3, 23)
