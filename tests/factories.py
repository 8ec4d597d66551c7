"""Test data in one place: factory_boy factories for warehouse rows, rider JSON and live-store rows.

The model factories write through the app's own SQLAlchemy session (flushed, not committed), so they
run inside an app context. The plain functions below them (add_user, put_ride, land, ...) keep the
names the tests have always used and are built on the factories.
"""
import json
import re
import secrets
import threading
import time
from contextlib import closing
from datetime import date, datetime, timedelta, timezone

import factory
from werkzeug.security import generate_password_hash
from zoneinfo import ZoneInfo

from app.domain.rider import age_years, date_from_epoch_ms, hr_limit_bpm
from app.extensions import db
from app.live import store
from app.models import ApiKey, HrAlert, Ride, RideReading, StaffUser, User
from app.services.accounts.api_keys import KEY_PREFIX, hash_key
from app.services.rides.closeout import close_ride

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")  # DELOTON_TZ's default, which the tests keep
STAFF_PASSWORD = "correct horse battery"
START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
BORN_1982_01_15_MS = 379900800000  # 40 at the recorded rides of 2022, so Tanaka gives 180 bpm


# --- The rider JSON of a [SYSTEM] line -------------------------------------------------------------

class RiderJsonFactory(factory.DictFactory):
    """A [SYSTEM] line's rider JSON as the bikes send it; by default the recorded user 100."""

    user_id = 100
    name = "Steven Pearce"
    gender = "male"
    address = "0 Simpson locks,Wilkinsonshire,E68 8SH"
    date_of_birth = 273715200000  # 1978-09-03
    email_address = "steven.p@gmail.com"
    height_cm = 167
    weight_kg = 83
    account_create_date = 1647993600000
    bike_serial = "SN0000"
    original_source = "direct"

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        # Keep the bikes' key order whatever was overridden: the JSON text is stored and compared.
        order = [name for name in cls._meta.declarations]
        return {key: kwargs[key] for key in sorted(kwargs, key=lambda k: order.index(k) if k in order
                                                   else len(order))}

    _create = _build


def rider_json(user_id: int = 100, name: str = "Steven Pearce", gender: str = "male",
               born_ms: int = 273715200000, bike_serial: str = "SN0000") -> dict:
    """A [SYSTEM] JSON object as the bikes send it."""
    return RiderJsonFactory(user_id=user_id, name=name, gender=gender, date_of_birth=born_ms,
                            bike_serial=bike_serial)


RIDER = RiderJsonFactory()
# The recorded rider made 40 at the recorded rides (Tanaka limit 180 bpm), for the alert streams.
RECORDED_RIDER = RiderJsonFactory(date_of_birth=BORN_1982_01_15_MS)
ALERT_RIDER = RiderJsonFactory(name="Mr Steven Pearce", date_of_birth=BORN_1982_01_15_MS)
JANE = RiderJsonFactory(user_id=200, name="Mrs Jane Doe", gender="female",
                        date_of_birth=631152000000)  # born 1990-01-01: 36 in 2026, band 35-44
ALEX = RiderJsonFactory(user_id=300, name="Alex Kim", gender="nonbinary", date_of_birth=None)
OMAR = RiderJsonFactory(user_id=400, name="Omar Said", gender="male",
                        date_of_birth=946684800000)  # born 2000-01-01: 26 in 2026, band 25-34
PRIYA = RiderJsonFactory(user_id=500, name="Priya Natarajan", gender="female",
                         date_of_birth=126230400000)  # born 1974-01-01: 52 in 2026, band 45-54
TOM = RiderJsonFactory(user_id=600, name="Tom Okafor", gender="male",
                       date_of_birth=1072915200000)  # born 2004-01-01: 22 in 2026, band 18-24


def alert_kwargs(duration_s: int = 3, heart_rate: int = 187, **rider_changes) -> dict:
    """The keyword arguments of one send_hr_alert job (the live store's text form for times)."""
    return {"bike_serial": "SN0000", "ride_started_at": "2022-07-06 23:29:35.935822+00:00",
            "duration_s": duration_s,
            "recorded_at": f"2022-07-06 23:29:{35 + duration_s}.435842+00:00",
            "heart_rate": heart_rate, "hr_limit_bpm": 180.0, "hr_formula": "tanaka",
            "rider": RiderJsonFactory(**(ALERT_RIDER | rider_changes))}


# --- Warehouse rows -------------------------------------------------------------------------------

def now() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)


class _Model(factory.alchemy.SQLAlchemyModelFactory):
    """Rows added to the app's session and flushed (the test commits when it needs to)."""

    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - the session of the current app
        sqlalchemy_session_persistence = "flush"


class UserFactory(_Model):
    """A rider in the warehouse."""

    class Meta:
        model = User

    user_id = factory.Sequence(lambda n: 50_000 + n)
    name = factory.Faker("name", locale="en_GB")
    first_name = factory.LazyAttribute(lambda u: u.name.rpartition(" ")[0] or u.name)
    last_name = factory.LazyAttribute(lambda u: u.name.rpartition(" ")[2] if " " in u.name else None)
    gender = "male"
    date_of_birth = date(1978, 9, 3)
    email = factory.LazyAttribute(lambda u: f"rider{u.user_id}@example.com")
    city = "Leeds"


class RideReadingFactory(_Model):
    """One second of a finished ride."""

    class Meta:
        model = RideReading

    duration_s = factory.Sequence(lambda n: n + 1)
    recorded_at = factory.LazyFunction(now)
    heart_rate = 120
    rpm = 70
    power = 150.0
    resistance = 40


class RideFactory(_Model):
    """A finished ride with one reading a second and figures that match them (steady effort)."""

    class Meta:
        model = Ride
        exclude = ("seconds", "hr", "power", "rpm", "resistance")

    class Params:
        seconds = 60
        hr = 120
        power = 150.0
        rpm = 70
        resistance = 40

    user_id = factory.LazyFunction(lambda: UserFactory().user_id)
    bike_serial = factory.Sequence(lambda n: f"SN{n % 10_000:04d}")
    started_at = factory.LazyFunction(lambda: now() - timedelta(hours=1))
    ended_at = factory.LazyAttribute(lambda r: r.started_at + timedelta(seconds=r.seconds))
    ride_date = factory.LazyAttribute(lambda r: r.started_at.astimezone(LONDON).date())
    duration_s = factory.SelfAttribute("seconds")
    readings_count = factory.SelfAttribute("seconds")
    hr_readings_count = factory.SelfAttribute("seconds")
    avg_heart_rate = factory.LazyAttribute(lambda r: float(r.hr))
    min_heart_rate = factory.SelfAttribute("hr")
    max_heart_rate = factory.SelfAttribute("hr")
    avg_power = factory.SelfAttribute("power")
    max_power = factory.SelfAttribute("power")
    avg_rpm = factory.LazyAttribute(lambda r: float(r.rpm))
    max_rpm = factory.SelfAttribute("rpm")
    avg_resistance = factory.LazyAttribute(lambda r: float(r.resistance))
    max_resistance = factory.SelfAttribute("resistance")
    energy_kj = factory.LazyAttribute(lambda r: r.power * r.seconds / 1000)
    calories_kcal = factory.LazyAttribute(lambda r: r.power * r.seconds / 1000 / 1.00416)
    age_years = 48
    age_band = "45-54"
    hr_limit_bpm = 174.4
    hr_formula = "tanaka"
    hr_zone_z3_s = factory.SelfAttribute("seconds")

    @factory.post_generation
    def readings(ride, create, extracted, **kwargs):
        """One reading a second matching the figures; pass readings=False for none."""
        if not create or extracted is False:
            return
        for s in range(1, ride.duration_s + 1):
            RideReadingFactory(ride_id=ride.ride_id, duration_s=s,
                               recorded_at=ride.started_at + timedelta(seconds=s),
                               heart_rate=ride.max_heart_rate, rpm=ride.max_rpm, power=ride.max_power,
                               resistance=ride.max_resistance)


class HrAlertFactory(_Model):
    """A heart-rate alert as the alerts service stores it."""

    class Meta:
        model = HrAlert

    bike_serial = "SN0001"
    user_id = 100
    raised_at = factory.LazyFunction(now)
    duration_s = 300
    ride_started_at = factory.LazyAttribute(lambda a: a.raised_at - timedelta(seconds=a.duration_s))
    heart_rate = 190
    hr_limit_bpm = 174.4
    recipient = factory.LazyAttribute(lambda a: f"rider{a.user_id}@example.com")
    status = "sent"


class StaffUserFactory(_Model):
    """A staff account whose password is STAFF_PASSWORD unless given."""

    class Meta:
        model = StaffUser
        sqlalchemy_get_or_create = ("username",)
        exclude = ("password",)

    class Params:
        password = STAFF_PASSWORD

    username = factory.Sequence(lambda n: f"staff{n}")
    password_hash = factory.LazyAttribute(lambda s: generate_password_hash(s.password))
    session_version = 0


class ApiKeyFactory(_Model):
    """An API key stored as the app stores it (a hash); the key itself is the `plain_key` param."""

    class Meta:
        model = ApiKey
        exclude = ("plain_key",)

    class Params:
        plain_key = factory.LazyAttribute(
            lambda k: f"{KEY_PREFIX}_{k.key_prefix}_{secrets.token_urlsafe(32)}")

    name = factory.Sequence(lambda n: f"key {n}")
    role = "reader"
    key_prefix = factory.LazyFunction(lambda: secrets.token_hex(4))
    key_hash = factory.LazyAttribute(lambda k: hash_key(k.plain_key))


def add_user(user_id: int, name: str, gender: str = "male", **fields) -> User:
    """A rider."""
    return UserFactory(user_id=user_id, name=name, gender=gender, **fields)


def add_ride(user_id: int, bike: str, started_at: datetime, seconds: int = 60, hr: int = 120,
             power: float = 150.0, rpm: int = 70, age_band: str = "45-54", resistance: int = 40) -> Ride:
    """A finished ride with one reading a second and figures that match them."""
    return RideFactory(user_id=user_id, bike_serial=bike, started_at=started_at, seconds=seconds, hr=hr,
                       power=power, rpm=rpm, age_band=age_band, resistance=resistance)


def add_alert(user_id: int, bike: str, raised_at: datetime, heart_rate: int = 190,
              status: str = "sent") -> HrAlert:
    """A heart-rate alert."""
    return HrAlertFactory(user_id=user_id, bike_serial=bike, raised_at=raised_at, heart_rate=heart_rate,
                          status=status)


def add_staff(username: str = "ops") -> None:
    """A staff account with STAFF_PASSWORD, committed."""
    StaffUserFactory(username=username)
    db.session.commit()


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


# --- Live-store rows, written as the consumer writes them ----------------------------------------

class LiveReadingFactory(factory.DictFactory):
    """One live-store reading, timed duration_s seconds (plus half a second) after `started_at`."""

    class Meta:
        exclude = ("started_at",)

    class Params:
        started_at = START

    duration_s = factory.Sequence(lambda n: n + 1)
    recorded_at = factory.LazyAttribute(lambda r: r.started_at + timedelta(seconds=r.duration_s + 0.5))
    heart_rate = 120
    rpm = 60
    power = 100.0
    resistance = 30


def reading(duration_s: int, started_at: datetime, heart_rate: int = 120, rpm: int = 60,
            power: float = 100.0, resistance: int = 30) -> dict:
    """One reading, timed duration_s seconds after the ride started."""
    return LiveReadingFactory(duration_s=duration_s, started_at=started_at, heart_rate=heart_rate,
                              rpm=rpm, power=power, resistance=resistance)


def put_ride(live_path: str, bike_serial: str, started_at: datetime, rider: dict, readings: list,
             status: str = "ended", alert_durations: tuple = (), formula: str = "tanaka") -> str:
    """Store a ride as the consumer leaves it; its started_at in the live store's text form."""
    start = store.to_text(started_at)
    dob = date_from_epoch_ms(rider.get("date_of_birth"))
    limit = hr_limit_bpm(age_years(dob, started_at.astimezone(UTC).date()), rider.get("gender"), formula)
    with closing(store.connect(live_path)) as conn, conn:
        conn.execute("INSERT INTO rides (bike_serial, started_at, user_id, rider_json, hr_limit_bpm,"
                     " hr_formula, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (bike_serial, start, rider["user_id"], json.dumps(rider), limit, formula, status))
        conn.executemany(
            "INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(bike_serial, start, r["duration_s"], store.to_text(r["recorded_at"]), r["heart_rate"],
              r["rpm"], r["power"], r["resistance"]) for r in readings])
        conn.executemany("INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?)",
                         [(bike_serial, start, d, start, 200, limit or 0) for d in alert_durations])
    return start


def live_count(live_path: str, table: str, bike_serial: str, start: str) -> int:
    """Rows of one ride left in a live store table."""
    with closing(store.connect(live_path)) as conn:
        return conn.execute(f"SELECT count(*) FROM {table} WHERE bike_serial = ? AND started_at = ?",
                            (bike_serial, start)).fetchone()[0]


def consumer_forgets(app) -> list[tuple[str, str]]:
    """The consumer's step that forgets the ended rides the warehouse holds (or without readings);
    the rides forgotten."""
    from app.stream import landed, pipeline

    with app.app_context():
        engine = db.engine
    with closing(store.connect(app.config["LIVE_DB_PATH"])) as conn:
        keys = landed.Forgetter(engine, every_s=0).due(conn)
        pipeline.forget_rides(conn, keys)
    return keys


def start_ride(conn, bike_serial: str, rider: dict, started_at: datetime = START) -> str:
    """A [SYSTEM] line: the bike's new ride, with the rider's limit by Tanaka."""
    start = store.to_text(started_at)
    age = age_years(date_from_epoch_ms(rider["date_of_birth"]), started_at.date())
    conn.execute("INSERT INTO bikes (bike_serial, ride_started_at, last_line_at, last_seen_wall)"
                 " VALUES (?, ?, ?, ?) ON CONFLICT (bike_serial) DO UPDATE SET ride_started_at ="
                 " excluded.ride_started_at, last_line_at = excluded.last_line_at, last_seen_wall ="
                 " excluded.last_seen_wall, ride_energy_j = 0, " + NO_LATEST, (bike_serial, start, start,
                                                                             time.time()))
    conn.execute("INSERT INTO rides (bike_serial, started_at, user_id, rider_json, hr_limit_bpm,"
                 " hr_formula) VALUES (?, ?, ?, ?, ?, 'tanaka') ON CONFLICT DO NOTHING",
                 (bike_serial, start, rider["user_id"], json.dumps(rider),
                  hr_limit_bpm(age, rider["gender"])))
    conn.commit()
    return start


# The bike's row without a latest reading (no ride, or a ride before its first reading).
NO_LATEST = ("ride_last_s = NULL, ride_last_heart_rate = NULL, ride_last_rpm = NULL, "
             "ride_last_power = NULL, ride_last_resistance = NULL")


def add_reading(conn, bike_serial: str, start: str, duration_s: int, heart_rate: int,
                rpm: int = 60, power: float = 120.0, resistance: int = 40) -> None:
    """One second of riding (a Ride + Telemetry pair), and the bike heard from now (its ride's
    energy counted and a later second made its latest reading, as the consumer keeps them)."""
    recorded = store.to_text(store.from_text(start) + timedelta(seconds=duration_s))
    stored = conn.execute("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                          (bike_serial, start, duration_s, recorded, heart_rate, rpm, power,
                           resistance)).rowcount
    conn.execute("UPDATE bikes SET last_line_at = ?, last_seen_wall = ?, ride_energy_j = ride_energy_j"
                 " + CASE WHEN ride_started_at = ? THEN ? ELSE 0 END WHERE bike_serial = ?",
                 (recorded, time.time(), start, power if stored else 0.0, bike_serial))
    conn.execute("UPDATE bikes SET ride_last_s = ?, ride_last_heart_rate = ?, ride_last_rpm = ?,"
                 " ride_last_power = ?, ride_last_resistance = ? WHERE bike_serial = ? AND"
                 " ride_started_at = ? AND (ride_last_s IS NULL OR ride_last_s < ?)",
                 (duration_s, heart_rate, rpm, power, resistance, bike_serial, start, duration_s))
    conn.commit()


def end_ride(conn, bike_serial: str, start: str) -> None:
    """A boundary line: the ride ends and waits for its closeout."""
    conn.execute("UPDATE rides SET status = 'ended', ended_wall = ?, end_reason = 'boundary' "
                 "WHERE bike_serial = ? AND started_at = ?", (time.time(), bike_serial, start))
    conn.execute("UPDATE bikes SET ride_started_at = NULL, ride_energy_j = 0, " + NO_LATEST +
                 " WHERE bike_serial = ?", (bike_serial,))
    conn.commit()


class FleetFeeder(threading.Thread):
    """Feeds readings to some bikes every `interval` seconds, as a live stream would."""

    def __init__(self, path: str, bikes: dict[str, list[int]], interval: float = 0.2):
        super().__init__(daemon=True)
        self.conn = store.connect(path)
        self.bikes = bikes  # serial -> heart rates to play in turn (looped)
        self.interval = interval
        self.stop_event = threading.Event()
        self.starts = {serial: start_ride(self.conn, serial, rider_json(100 + i, bike_serial=serial))
                       for i, serial in enumerate(bikes)}

    def run(self) -> None:
        second = 0
        while not self.stop_event.wait(self.interval):
            second += 1
            for serial, rates in self.bikes.items():
                add_reading(self.conn, serial, self.starts[serial], second,
                            rates[second % len(rates)], rpm=50 + second % 30, power=100.0 + second)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(5)
        self.conn.close()


# --- Report days: rides landed by the real closeout code ------------------------------------------

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
            HrAlertFactory(bike_serial="SN-ALERT", duration_s=n + 10, user_id=200, raised_at=raised_at,
                           heart_rate=199, hr_limit_bpm=182.8, recipient=None)
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
