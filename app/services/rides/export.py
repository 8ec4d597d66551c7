"""A finished ride as files: CSV of its readings, and TCX and FIT for Strava, Garmin Connect and the like."""
import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone

from fit_tool.data_message import DataMessage
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.activity_message import ActivityMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.common_fields import TimestampField
from fit_tool.profile.messages.record_message import (RecordCadenceField, RecordHeartRateField,
                                                      RecordMessage, RecordPowerField)
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import (Activity, Event, EventType, FileType, LapTrigger,
                                           Manufacturer, SessionTrigger, Sport, SubSport)

from app.extensions import db
from app.models import Ride, RideReading

CSV_COLUMNS = ("duration_s", "recorded_at", "heart_rate", "rpm", "power", "resistance")
TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
TPX_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
TCX_SCHEMA = f"{TCX_NS} http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd"
FORMATS = {"csv": "text/csv", "tcx": "application/vnd.garmin.tcx+xml", "fit": "application/vnd.ant.fit"}
# The FIT serial number of files we write: any fixed number (there is no device).
FIT_SERIAL = 0x44454C4F



@dataclass(frozen=True)
class Point:
    """One second of a ride, as every file writes it."""

    duration_s: int
    recorded_at: datetime
    heart_rate: int
    rpm: int
    power: float
    resistance: int


def readings(ride_id: int) -> list[Point]:
    """The ride's readings in order of duration_s."""
    rows = db.session.execute(
        db.select(RideReading.duration_s, RideReading.recorded_at, RideReading.heart_rate,
                  RideReading.rpm, RideReading.power, RideReading.resistance)
        .where(RideReading.ride_id == ride_id).order_by(RideReading.duration_s)).all()
    return [Point(*row) for row in rows]


def filename(ride: Ride, fmt: str) -> str:
    """The download's name: bike, start (UTC) and ride id."""
    return f"deloton-ride-{ride.ride_id}-{ride.started_at.astimezone(timezone.utc):%Y%m%d-%H%M%S}.{fmt}"


def export(ride: Ride, fmt: str) -> bytes:
    """The ride as a file of one of FORMATS."""
    points = readings(ride.ride_id)
    writers = {"csv": to_csv, "tcx": to_tcx, "fit": to_fit}
    if fmt not in writers:
        raise ValueError(f"format must be one of {', '.join(writers)}")
    return writers[fmt](ride, points)


def to_csv(ride: Ride, points: list[Point]) -> bytes:
    """One row a second, exactly as stored (times in ISO 8601, UTC)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in points:
        writer.writerow((p.duration_s, _iso(p.recorded_at), p.heart_rate, p.rpm, p.power, p.resistance))
    return out.getvalue().encode("utf-8")


def _iso(moment: datetime) -> str:
    """A UTC time in ISO 8601 with a Z, as TCX wants it."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text=None, **attrs) -> ET.Element:
    """A child element with its text (tags carry their prefix: ElementTree would rename ns3)."""
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = str(text)
    return element


def to_tcx(ride: Ride, points: list[Point]) -> bytes:
    """Training Center Database v2: one Activity (Sport="Biking"), one Lap, one Trackpoint a second."""
    # The prefixes Garmin's own files use (some readers look for "ns3:TPX" literally).
    root = ET.Element("TrainingCenterDatabase", {"xmlns": TCX_NS, "xmlns:ns3": TPX_NS, "xmlns:xsi": XSI_NS,
                                                 "xsi:schemaLocation": TCX_SCHEMA})
    activity = _sub(_sub(root, "Activities"), "Activity", Sport="Biking")
    _sub(activity, "Id", _iso(ride.started_at))
    lap = _sub(activity, "Lap", StartTime=_iso(ride.started_at))
    # The Lap's children in the schema's order; a bike has no distance, so 0 metres.
    _sub(lap, "TotalTimeSeconds", ride.duration_s)
    _sub(lap, "DistanceMeters", 0)
    _sub(lap, "Calories", round(ride.calories_kcal))
    if ride.avg_heart_rate:
        _sub(_sub(lap, "AverageHeartRateBpm"), "Value", round(ride.avg_heart_rate))
    if ride.max_heart_rate:
        _sub(_sub(lap, "MaximumHeartRateBpm"), "Value", ride.max_heart_rate)
    _sub(lap, "Intensity", "Active")
    _sub(lap, "Cadence", round(ride.avg_rpm))
    _sub(lap, "TriggerMethod", "Manual")
    track = _sub(lap, "Track")
    for p in points:
        _trackpoint(track, p)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _trackpoint(track: ET.Element, p: Point) -> None:
    """One second: time, heart rate (left out when the rider held no handlebar), cadence, watts."""
    point = _sub(track, "Trackpoint")
    _sub(point, "Time", _iso(p.recorded_at))
    if p.heart_rate > 0:  # the schema's heart rate is at least 1: 0 means "no reading"
        _sub(_sub(point, "HeartRateBpm"), "Value", p.heart_rate)
    _sub(point, "Cadence", p.rpm)
    tpx = _sub(_sub(point, "Extensions"), "ns3:TPX")
    _sub(tpx, "ns3:Watts", round(p.power))  # whole watts: the schema's type


def _fit_ms(moment: datetime) -> int:
    """A time as fit-tool takes it (ms since the Unix epoch), cut to the whole second FIT keeps."""
    return int(moment.timestamp()) * 1000


def to_fit(ride: Ride, points: list[Point]) -> bytes:
    """A FIT activity file: FileId, timer start, a Record a second, timer stop, Lap, Session, Activity."""
    start, end = _fit_ms(ride.started_at), _fit_ms(points[-1].recorded_at if points else ride.ended_at)
    builder = FitFileBuilder(auto_define=True)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.serial_number = FIT_SERIAL
    file_id.time_created = start
    builder.add(file_id)
    builder.add(_timer_event(start, EventType.START))
    builder.add_all([_record(p) for p in points])
    builder.add(_timer_event(end, EventType.STOP_ALL))
    builder.add(_summary(LapMessage(), ride, start, end))
    session = _summary(SessionMessage(), ride, start, end)
    session.sport, session.sub_sport = Sport.CYCLING, SubSport.INDOOR_CYCLING
    session.first_lap_index, session.num_laps = 0, 1
    session.trigger = SessionTrigger.ACTIVITY_END
    builder.add(session)
    activity = ActivityMessage()
    activity.timestamp, activity.total_timer_time = end, float(ride.duration_s)
    activity.num_sessions, activity.type = 1, Activity.MANUAL
    activity.event, activity.event_type = Event.ACTIVITY, EventType.STOP
    builder.add(activity)
    return builder.build_bytes()  # one pass: build() would encode every record twice (CRC, then bytes)


def _timer_event(timestamp: int, kind: EventType) -> EventMessage:
    """A timer start or stop event (FIT's best practice around the records)."""
    event = EventMessage()
    event.event, event.event_type, event.timestamp = Event.TIMER, kind, timestamp
    return event


class BikeRecord(RecordMessage):
    """A FIT Record with only the fields a bike has. fit-tool's RecordMessage makes all ~85 of the
    profile's fields for every message (about 6 ms each: 20 s for an hour's ride); these 4 are enough."""

    def __init__(self):
        DataMessage.__init__(self, name=RecordMessage.NAME, global_id=RecordMessage.ID,
                             fields=[TimestampField(size=0, growable=True), RecordHeartRateField(),
                                     RecordCadenceField(), RecordPowerField()])


def _record(p: Point) -> RecordMessage:
    """One second's Record; no heart_rate field when the bike read none (0)."""
    record = BikeRecord()
    record.timestamp = _fit_ms(p.recorded_at)
    if p.heart_rate > 0:
        record.heart_rate = p.heart_rate
    record.cadence = p.rpm
    record.power = round(p.power)  # FIT's power is whole watts
    return record


def _summary(message, ride: Ride, start: int, end: int):
    """The Lap's and the Session's shared figures, from the ride's own figures."""
    message.timestamp, message.start_time = end, start
    message.event = Event.LAP if isinstance(message, LapMessage) else Event.SESSION
    message.event_type = EventType.STOP
    message.total_elapsed_time = message.total_timer_time = float(ride.duration_s)
    message.total_calories = round(ride.calories_kcal)
    if ride.avg_heart_rate:
        message.avg_heart_rate = round(ride.avg_heart_rate)
    if ride.max_heart_rate:
        message.max_heart_rate = ride.max_heart_rate
    message.avg_power, message.max_power = round(ride.avg_power), round(ride.max_power)
    message.avg_cadence, message.max_cadence = round(ride.avg_rpm), ride.max_rpm
    if isinstance(message, LapMessage):
        message.lap_trigger = LapTrigger.SESSION_END
    return message
