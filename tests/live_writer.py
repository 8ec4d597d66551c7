"""Writes the live store exactly as the consumer does (bikes, rides, readings), for the web tests."""
import json
import threading
import time
from datetime import datetime, timedelta, timezone

from app.domain.rider import age_years, date_from_epoch_ms, hr_limit_bpm
from app.live import store

START = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)


def rider_json(user_id: int = 100, name: str = "Steven Pearce", gender: str = "male",
               born_ms: int = 273715200000, bike_serial: str = "SN0000") -> dict:
    """A [SYSTEM] JSON object as the bikes send it."""
    return {"user_id": user_id, "name": name, "gender": gender,
            "address": "0 Simpson locks,Wilkinsonshire,E68 8SH", "date_of_birth": born_ms,
            "email_address": "steven.p@gmail.com", "height_cm": 167, "weight_kg": 83,
            "account_create_date": 1647993600000, "bike_serial": bike_serial,
            "original_source": "direct"}


def start_ride(conn, bike_serial: str, rider: dict, started_at: datetime = START) -> str:
    """A [SYSTEM] line: the bike's new ride, with the rider's limit by Tanaka."""
    start = store.to_text(started_at)
    age = age_years(date_from_epoch_ms(rider["date_of_birth"]), started_at.date())
    conn.execute("INSERT INTO bikes (bike_serial, ride_started_at, last_line_at, last_seen_wall)"
                 " VALUES (?, ?, ?, ?) ON CONFLICT (bike_serial) DO UPDATE SET ride_started_at ="
                 " excluded.ride_started_at, last_line_at = excluded.last_line_at, last_seen_wall ="
                 " excluded.last_seen_wall", (bike_serial, start, start, time.time()))
    conn.execute("INSERT INTO rides (bike_serial, started_at, user_id, rider_json, hr_limit_bpm,"
                 " hr_formula) VALUES (?, ?, ?, ?, ?, 'tanaka') ON CONFLICT DO NOTHING",
                 (bike_serial, start, rider["user_id"], json.dumps(rider),
                  hr_limit_bpm(age, rider["gender"])))
    conn.commit()
    return start


def add_reading(conn, bike_serial: str, start: str, duration_s: int, heart_rate: int,
                rpm: int = 60, power: float = 120.0, resistance: int = 40) -> None:
    """One second of riding (a Ride + Telemetry pair), and the bike heard from now."""
    recorded = store.to_text(store.from_text(start) + timedelta(seconds=duration_s))
    conn.execute("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                 (bike_serial, start, duration_s, recorded, heart_rate, rpm, power, resistance))
    conn.execute("UPDATE bikes SET last_line_at = ?, last_seen_wall = ? WHERE bike_serial = ?",
                 (recorded, time.time(), bike_serial))
    conn.commit()


def end_ride(conn, bike_serial: str, start: str) -> None:
    """A boundary line: the ride ends and waits for its closeout."""
    conn.execute("UPDATE rides SET status = 'ended', ended_wall = ?, end_reason = 'boundary' "
                 "WHERE bike_serial = ? AND started_at = ?", (time.time(), bike_serial, start))
    conn.execute("UPDATE bikes SET ride_started_at = NULL WHERE bike_serial = ?", (bike_serial,))
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
