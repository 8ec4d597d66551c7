"""Warehouse rows for the web tests: riders, finished rides with readings, alerts, staff."""
import re
from datetime import date, datetime, timedelta, timezone

from zoneinfo import ZoneInfo

from app.extensions import db
from app.models import HrAlert, Ride, RideReading, User
from app.services.staff_users import create_staff_user

STAFF_PASSWORD = "correct horse battery"
LONDON = ZoneInfo("Europe/London")  # DELOTON_TZ's default, which the tests keep


def add_user(user_id: int, name: str, gender: str = "male", **fields) -> User:
    """A rider."""
    first, _, last = name.rpartition(" ")
    user = User(user_id=user_id, name=name, first_name=first or name, last_name=last or None,
                gender=gender, date_of_birth=date(1978, 9, 3), email=f"rider{user_id}@example.com",
                city="Leeds", **fields)
    db.session.add(user)
    db.session.flush()
    return user


def add_ride(user_id: int, bike: str, started_at: datetime, seconds: int = 60, hr: int = 120,
             power: float = 150.0, rpm: int = 70, age_band: str = "45-54", resistance: int = 40) -> Ride:
    """A finished ride with one reading a second and figures that match them."""
    ride = Ride(user_id=user_id, bike_serial=bike, started_at=started_at,
                ended_at=started_at + timedelta(seconds=seconds), ride_date=started_at.astimezone(LONDON).date(),
                duration_s=seconds, readings_count=seconds, hr_readings_count=seconds, avg_heart_rate=float(hr),
                min_heart_rate=hr, max_heart_rate=hr, avg_power=power, max_power=power,
                avg_rpm=float(rpm), max_rpm=rpm, avg_resistance=float(resistance), max_resistance=resistance,
                energy_kj=power * seconds / 1000, calories_kcal=power * seconds / 1000 / 1.00416,
                age_years=48, age_band=age_band, hr_limit_bpm=174.4, hr_formula="tanaka",
                hr_zone_z3_s=seconds)
    db.session.add(ride)
    db.session.flush()
    db.session.add_all(RideReading(ride_id=ride.ride_id, duration_s=s,
                                   recorded_at=started_at + timedelta(seconds=s), heart_rate=hr,
                                   rpm=rpm, power=power, resistance=resistance) for s in range(1, seconds + 1))
    return ride


def add_alert(user_id: int, bike: str, raised_at: datetime, heart_rate: int = 190,
              status: str = "sent") -> HrAlert:
    """A heart-rate alert."""
    alert = HrAlert(bike_serial=bike, ride_started_at=raised_at - timedelta(minutes=5),
                    duration_s=300, user_id=user_id, raised_at=raised_at, heart_rate=heart_rate,
                    hr_limit_bpm=174.4, recipient=f"rider{user_id}@example.com", status=status)
    db.session.add(alert)
    return alert


def add_staff(username: str = "ops") -> None:
    """A staff account with STAFF_PASSWORD."""
    create_staff_user(username, STAFF_PASSWORD)


def now() -> datetime:
    """The current time, aware."""
    return datetime.now(timezone.utc)


def earlier_today(**ago) -> datetime:
    """A moment `ago` before now, reflected past today's local midnight when it would fall before it.

    The pages count "today" in DELOTON_TZ; reflecting keeps distinct offsets distinct (unique keys).
    """
    midnight = datetime.now(LONDON).replace(hour=0, minute=0, second=0, microsecond=0)
    moment = now() - timedelta(**ago)
    return moment if moment >= midnight else midnight + (midnight - moment)


def csrf_token(client, url="/staff/login") -> str:
    """The CSRF token of a page's form."""
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def log_in(client, username="ops", password=STAFF_PASSWORD):
    """Post the login form with its CSRF token."""
    return client.post("/staff/login", data={"username": username, "password": password,
                                             "csrf_token": csrf_token(client)})
