"""Fixture days for the report tests: rides landed by the real closeout code, alerts as stored."""
from datetime import datetime, timedelta, timezone

from app.extensions import db
from app.models import HrAlert
from app.services.closeout import close_ride
from tests.live_rides import RIDER, put_ride, reading

UTC = timezone.utc
JANE = {**RIDER, "user_id": 200, "name": "Mrs Jane Doe", "gender": "female",
        "date_of_birth": 631152000000}  # born 1990-01-01: 36 in 2026, band 35-44
ALEX = {**RIDER, "user_id": 300, "name": "Alex Kim", "gender": "nonbinary", "date_of_birth": None}
OMAR = {**RIDER, "user_id": 400, "name": "Omar Said", "gender": "male",
        "date_of_birth": 946684800000}  # born 2000-01-01: 26 in 2026, band 25-34


def land(app, bike: str, started_at: datetime, rider: dict, seconds: int, heart_rate: int = 120,
         power: float = 100.0) -> None:
    """Store a ride in the live store as the consumer does, then close it out for real."""
    readings = [reading(d, started_at, heart_rate=heart_rate, power=power) for d in range(1, seconds + 1)]
    start = put_ride(app.config["LIVE_DB_PATH"], bike, started_at, rider, readings)
    with app.app_context():
        assert close_ride(bike, start) is not None


def add_alerts(app, *times: datetime) -> None:
    """Heart-rate alerts raised at the given times (as the alerts service stores them)."""
    with app.app_context():
        for n, raised_at in enumerate(times):
            db.session.add(HrAlert(bike_serial="SN-ALERT", ride_started_at=raised_at - timedelta(seconds=n + 10),
                                   duration_s=n + 10, user_id=200, raised_at=raised_at, heart_rate=199,
                                   hr_limit_bpm=182.8, status="sent"))
        db.session.commit()


def at(text: str) -> datetime:
    """A UTC time from 'YYYY-MM-DD HH:MM:SS'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def land_march_day(app) -> None:
    """The report of 2026-03-10 (GMT, so local = UTC): its window is [03-09 16:45, 03-10 16:45)."""
    land(app, "SN0001", at("2026-03-09 16:45:00"), RIDER, 60)                          # first instant: in
    land(app, "SN0002", at("2026-03-09 18:10:00"), JANE, 120, heart_rate=150, power=200.0)
    land(app, "SN0003", at("2026-03-09 18:40:00"), OMAR, 20, power=50.0)
    land(app, "SN0001", at("2026-03-10 09:30:00"), RIDER, 30, power=300.0)
    land(app, "SN0004", at("2026-03-10 16:44:59"), ALEX, 10, heart_rate=0)              # last second: in
    land(app, "SN0004", at("2026-03-10 16:45:00"), ALEX, 40)                            # next report
    land(app, "SN0001", at("2026-03-09 16:44:59"), RIDER, 30)                           # previous report
    land(app, "SN0002", at("2026-03-06 12:00:00"), JANE, 90, heart_rate=130)            # 4 reports back
    add_alerts(app, *(at(f"2026-03-09 18:1{n}:00") for n in range(6)), at("2026-03-10 16:45:00"))


PRIYA = {**RIDER, "user_id": 500, "name": "Priya Natarajan", "gender": "female",
         "date_of_birth": 126230400000}  # born 1974-01-01: 52 in 2026, band 45-54
TOM = {**RIDER, "user_id": 600, "name": "Tom Okafor", "gender": "male",
       "date_of_birth": 1072915200000}  # born 2004-01-01: 22 in 2026, band 18-24


def land_typical_day(app) -> None:
    """A busier report of 2026-03-12 (window [03-11 16:45, 03-12 16:45) GMT): 14 rides by 6 riders
    spread over the day in every heart-rate zone, 2 alerts; a quieter day before it and 4 days back."""
    riders = [RIDER, JANE, OMAR, ALEX, PRIYA, TOM]
    starts = ["2026-03-11 17:05", "2026-03-11 17:40", "2026-03-11 18:15", "2026-03-11 18:20", "2026-03-11 19:30",
              "2026-03-11 20:10", "2026-03-12 06:30", "2026-03-12 07:05", "2026-03-12 07:45", "2026-03-12 08:20",
              "2026-03-12 12:10", "2026-03-12 12:35", "2026-03-12 15:00", "2026-03-12 16:20"]
    for n, start in enumerate(starts):
        land(app, f"SN{n % 5 + 1:04d}", at(start + ":00"), riders[n % len(riders)], 90 + 20 * n,
             heart_rate=95 + 6 * n, power=90.0 + 10 * (n % 4))
    for n, start in enumerate(["2026-03-10 18:00", "2026-03-11 07:00", "2026-03-11 12:00", "2026-03-08 09:00"]):
        land(app, f"SN{n + 1:04d}", at(start + ":00"), riders[n], 120, heart_rate=125, power=100.0)
    add_alerts(app, at("2026-03-12 15:01:00"), at("2026-03-12 16:21:00"))
