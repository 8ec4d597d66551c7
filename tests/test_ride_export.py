"""A ride's downloads read back by independent readers: every second's time, heart rate, cadence, power.

The oracle is the recording's .log, read by the test's own parser (tests/test_recorded_ride.py); the
ride gets into the warehouse through the real pipeline and closeout. FIT is read by Garmin's own FIT
SDK (garmin-fit-sdk), TCX by ElementTree against the schema's element order, CSV by pandas.
"""
import io
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pandas as pd
import pytest
from garmin_fit_sdk import Decoder, Stream

from app.extensions import db
from tests.recorded_ride_landing import land_recorded_ride
from tests.test_recorded_ride import utc
from tests.factories import add_ride, add_staff, add_user, log_in

TCX = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
TPX = "{http://www.garmin.com/xmlschemas/ActivityExtension/v2}"
# The schema's sequences (TrainingCenterDatabasev2.xsd): children must come in this order.
LAP_ORDER = ["TotalTimeSeconds", "DistanceMeters", "MaximumSpeed", "Calories", "AverageHeartRateBpm",
             "MaximumHeartRateBpm", "Intensity", "Cadence", "TriggerMethod", "Track", "Notes", "Extensions"]
TRACKPOINT_ORDER = ["Time", "Position", "AltitudeMeters", "DistanceMeters", "HeartRateBpm", "Cadence",
                    "SensorState", "Extensions"]
LAP_REQUIRED = {"TotalTimeSeconds", "DistanceMeters", "Calories", "Intensity", "TriggerMethod"}


@pytest.fixture
def ride(app, client):
    """The recorded ride (498 s) landed, and a logged-in staff client: (client, ride_id, readings)."""
    ride_id, readings = land_recorded_ride(app)
    with app.app_context():
        add_staff()
        db.session.commit()
    log_in(client)
    return client, ride_id, readings


def download(client, url: str, mimetype: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == mimetype
    assert response.headers["Content-Disposition"].startswith("attachment; filename=\"deloton-ride-")
    return response.data


def in_order(tags: list[str], order: list[str]) -> bool:
    """Whether the tags are known to the sequence and appear in its order."""
    return all(t in order for t in tags) and [order.index(t) for t in tags] == sorted(order.index(t) for t in tags)


def test_the_fit_file_has_every_second_of_the_ride(ride):
    client, ride_id, readings = ride
    data = download(client, f"/rides/{ride_id}.fit", "application/vnd.ant.fit")
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()  # header and CRC
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    assert messages["file_id_mesgs"][0]["type"] == "activity"
    records = messages["record_mesgs"]
    assert len(records) == len(readings) == 498
    for record, reading in zip(records, readings):
        second = reading["recorded_at"].replace(microsecond=0)  # FIT keeps whole seconds
        assert record["timestamp"] == second, reading
        assert record.get("heart_rate") == (reading["heart_rate"] or None), reading  # 0: no reading
        assert record["cadence"] == reading["rpm"], reading
        assert record["power"] == round(reading["power"]), reading
    (session,) = messages["session_mesgs"]
    assert (session["sport"], session["sub_sport"], session["total_elapsed_time"]) == (
        "cycling", "indoor_cycling", 498.0)
    assert session["max_heart_rate"] == max(r["heart_rate"] for r in readings)
    assert len(messages["lap_mesgs"]) == 1 and messages["activity_mesgs"][0]["num_sessions"] == 1
    events = [(e["event"], e["event_type"]) for e in messages["event_mesgs"]]
    assert events[0] == ("timer", "start") and events[-1] == ("timer", "stop_all")


def test_the_tcx_file_has_every_second_in_the_schemas_order(ride):
    client, ride_id, readings = ride
    root = ET.fromstring(download(client, f"/rides/{ride_id}.tcx", "application/vnd.garmin.tcx+xml"))
    assert root.tag == f"{TCX}TrainingCenterDatabase"
    (activity,) = root.iter(f"{TCX}Activity")
    assert activity.get("Sport") == "Biking"
    # The ride's start: the time of the rider's [SYSTEM] line, before the first reading.
    assert datetime.fromisoformat(activity.find(f"{TCX}Id").text) == utc("2022-07-06 23:29:35.935822")
    (lap,) = activity.findall(f"{TCX}Lap")
    lap_tags = [child.tag.removeprefix(TCX) for child in lap]
    assert in_order(lap_tags, LAP_ORDER) and LAP_REQUIRED <= set(lap_tags)
    assert lap.find(f"{TCX}TotalTimeSeconds").text == "498"
    points = lap.findall(f"{TCX}Track/{TCX}Trackpoint")
    assert len(points) == len(readings)
    for point, reading in zip(points, readings):
        assert in_order([child.tag.removeprefix(TCX) for child in point], TRACKPOINT_ORDER)
        assert datetime.fromisoformat(point.find(f"{TCX}Time").text) == reading["recorded_at"]
        hr = point.find(f"{TCX}HeartRateBpm/{TCX}Value")
        assert (int(hr.text) if hr is not None else 0) == reading["heart_rate"], reading
        assert int(point.find(f"{TCX}Cadence").text) == reading["rpm"], reading
        watts = point.find(f"{TCX}Extensions/{TPX}TPX/{TPX}Watts")
        assert int(watts.text) == round(reading["power"]), reading


def test_the_csv_has_every_reading_exactly(ride):
    client, ride_id, readings = ride
    frame = pd.read_csv(io.BytesIO(download(client, f"/rides/{ride_id}.csv", "text/csv")))
    assert list(frame.columns) == ["duration_s", "recorded_at", "heart_rate", "rpm", "power", "resistance"]
    expected = pd.DataFrame(readings)[list(frame.columns)]
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True, format="ISO8601")
    expected["recorded_at"] = pd.to_datetime(expected["recorded_at"], utc=True)
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False, check_exact=True)


def test_a_ride_without_a_heart_rate_reading_still_exports(app, client):
    """Every heart rate 0 (no hand on the grips): the files leave heart rate out, nothing fails."""
    with app.app_context():
        add_user(7, "Ana Lima", gender="female")
        ride_id = add_ride(7, "SN0009", datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc), seconds=5, hr=0).ride_id
        add_staff()
        db.session.commit()
    log_in(client)
    messages, _ = Decoder(Stream.from_byte_array(bytearray(client.get(f"/rides/{ride_id}.fit").data))).read()
    assert [r.get("heart_rate") for r in messages["record_mesgs"]] == [None] * 5
    root = ET.fromstring(client.get(f"/rides/{ride_id}.tcx").data)
    assert len(list(root.iter(f"{TCX}Trackpoint"))) == 5 and not list(root.iter(f"{TCX}HeartRateBpm"))
