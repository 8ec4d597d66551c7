"""Filling the live store as the consumer does: an ended ride, its readings and its alerts."""
import json
from contextlib import closing
from datetime import datetime, timedelta, timezone

from app.domain.rider import age_years, date_from_epoch_ms, hr_limit_bpm
from app.live import store

RIDER = {"user_id": 100, "name": "Steven Pearce", "gender": "male",
         "address": "0 Simpson locks,Wilkinsonshire,E68 8SH", "date_of_birth": 273715200000,
         "email_address": "steven.p@gmail.com", "height_cm": 167, "weight_kg": 83,
         "account_create_date": 1647993600000, "bike_serial": "SN0000", "original_source": "direct"}


def reading(duration_s: int, started_at: datetime, heart_rate: int = 120, rpm: int = 60,
            power: float = 100.0, resistance: int = 30) -> dict:
    """One reading, timed duration_s seconds after the ride started."""
    return {"duration_s": duration_s, "recorded_at": started_at + timedelta(seconds=duration_s + 0.5),
            "heart_rate": heart_rate, "rpm": rpm, "power": power, "resistance": resistance}


def put_ride(live_path: str, bike_serial: str, started_at: datetime, rider: dict, readings: list,
             status: str = "ended", alert_durations: tuple = (), formula: str = "tanaka") -> str:
    """Store a ride as the consumer leaves it; its started_at in the live store's text form."""
    start = store.to_text(started_at)
    dob = date_from_epoch_ms(rider.get("date_of_birth"))
    limit = hr_limit_bpm(age_years(dob, started_at.astimezone(timezone.utc).date()),
                         rider.get("gender"), formula)
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
