"""Take the README's screenshots: the fleet, a bike's cockpit and a ride summary, light and dark, on seeded data.

Usage: .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
Seeds a throwaway live store with the recorded ride of tests/data on a few bikes (and a throwaway
warehouse with earlier rides to pace against and a finished ride), serves the app on a free port
and drives Debian's headless Chromium with Playwright.
"""
import argparse
import json
import re
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config  # noqa: E402
from app.domain.figures import ZONE_BOUNDS  # noqa: E402
from app.extensions import db  # noqa: E402
from app.domain.rider import age_years, date_from_epoch_ms, hr_limit_bpm  # noqa: E402
from app.live import store  # noqa: E402
from app.models import Ride, RideReading, User  # noqa: E402

RECORDING = "recorded-topic-start-2022-07-06.log"
TELEMETRY = re.compile(r"hrt = (\d+); rpm = (\d+); power = ([\d.]+)")
RIDE = re.compile(r"duration = ([\d.]+); resistance = (\d+)")
RIDERS = [("SN0001", 100, "Steven Pearce", "male", 273715200000, 1.0, 420),
          ("SN0002", 101, "Mrs Priya Okafor-Shah", "female", -315619200000, 1.6, 300),
          ("SN0003", 102, "Dr Tomás Ibáñez", "male", -126230400000, 1.0, 180),
          ("SN0004", 103, "Mx Sam Lee", "other", 946684800000, 0.9, 90)]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def recording() -> list[tuple[int, int, int, float]]:
    """(resistance, heart rate, rpm, power) of each second of the recorded ride."""
    lines = (ROOT / "tests" / "data" / RECORDING).read_text().splitlines()
    rides = [RIDE.search(line) for line in lines if "Ride - duration" in line]
    tele = [TELEMETRY.search(line) for line in lines if "Telemetry" in line]
    return [(int(r.group(2)), int(t.group(1)), int(t.group(2)), float(t.group(3)))
            for r, t in zip(rides, tele)]


def seed(path: str) -> None:
    """Four bikes riding the recorded ride at different points, one above its limit, one silent."""
    conn = store.connect(path)
    seconds = recording()
    now = datetime.now(timezone.utc)
    for serial, user_id, name, gender, born, hr_scale, upto in RIDERS:
        started = now - timedelta(seconds=upto)
        rider = {"user_id": user_id, "name": name, "gender": gender, "date_of_birth": born,
                 "address": "1 High Street,Leeds,LS1 1AA", "email_address": f"{user_id}@example.com",
                 "bike_serial": serial}
        age = age_years(date_from_epoch_ms(born), started.date())
        start = store.to_text(started)
        silent = serial == "SN0004"
        # The ride's energy and latest reading, as the consumer keeps them on the bike's row.
        energy_j = sum(power for _, _, _, power in seconds[:upto])
        resistance, hr, rpm, power = seconds[upto - 1]
        conn.execute("INSERT INTO bikes VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                     (serial, start, start, time.time() - (60 if silent else 0), energy_j,
                      upto, round(hr * hr_scale), rpm, power, resistance))
        conn.execute("INSERT INTO rides (bike_serial, started_at, user_id, rider_json, hr_limit_bpm,"
                     " hr_formula) VALUES (?, ?, ?, ?, ?, 'tanaka')",
                     (serial, start, user_id, json.dumps(rider), hr_limit_bpm(age, gender)))
        for second, (resistance, hr, rpm, power) in enumerate(seconds[:upto], 1):
            conn.execute("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (serial, start, second, store.to_text(started + timedelta(seconds=second)),
                          round(hr * hr_scale), rpm, power, resistance))
    conn.execute("INSERT INTO bikes VALUES ('SN0005', NULL, NULL, ?, 0, 0, NULL, NULL, NULL, NULL, NULL)",
                 (time.time(),))
    conn.commit()
    conn.close()


def finished_ride(user_id: int, serial: str, started: datetime, limit: float, power_scale: float,
                  upto: int) -> None:
    """A closed ride in the warehouse: the recorded ride's first `upto` seconds, power scaled."""
    seconds = [(res, hr, rpm, power * power_scale) for res, hr, rpm, power in recording()[:upto]]
    hrs = [hr for _, hr, _, _ in seconds if hr]
    zones = [0] * 5
    for hr in hrs:
        zones[sum(hr >= b * limit for b in ZONE_BOUNDS)] += 1
    energy = sum(p for *_, p in seconds) / 1000
    ride = Ride(user_id=user_id, bike_serial=serial, started_at=started, ended_at=started + timedelta(seconds=upto),
                ride_date=started.date(), duration_s=upto, readings_count=upto, hr_readings_count=len(hrs),
                avg_heart_rate=sum(hrs) / len(hrs), min_heart_rate=min(hrs), max_heart_rate=max(hrs),
                avg_power=energy * 1000 / upto, max_power=max(p for *_, p in seconds),
                avg_rpm=sum(r for _, _, r, _ in seconds) / upto, max_rpm=max(r for _, _, r, _ in seconds),
                avg_resistance=sum(r for r, *_ in seconds) / upto, max_resistance=max(r for r, *_ in seconds),
                energy_kj=energy, calories_kcal=energy / 1.00416, age_years=44, age_band="35-44",
                hr_limit_bpm=limit, hr_formula="tanaka",
                **{f"hr_zone_z{i}_s": zones[i - 1] for i in range(1, 6)})
    db.session.add(ride)
    db.session.flush()
    db.session.add_all(RideReading(ride_id=ride.ride_id, duration_s=s, recorded_at=started + timedelta(seconds=s),
                                   heart_rate=hr, rpm=rpm, power=power, resistance=res)
                       for s, (res, hr, rpm, power) in enumerate(seconds, 1))


def seed_warehouse() -> None:
    """Earlier rides of SN0001's rider (a best and a last ride to pace against), and two rides of
    SN0005's last rider, the latest of them a personal best that the bike's ride summary shows."""
    now = datetime.now(timezone.utc)
    for user_id, name in ((100, "Steven Pearce"), (104, "Grace Hopper")):
        first, _, last = name.partition(" ")
        db.session.add(User(user_id=user_id, name=name, first_name=first, last_name=last, gender="male",
                            email=f"{user_id}@example.com"))
    db.session.flush()
    finished_ride(100, "SN0003", now - timedelta(days=6), 172.0, 1.15, 900)
    finished_ride(100, "SN0001", now - timedelta(days=2), 172.0, 0.9, 700)
    finished_ride(104, "SN0002", now - timedelta(days=3), 165.0, 0.9, 480)
    finished_ride(104, "SN0005", now - timedelta(minutes=25), 165.0, 1.1, 600)
    db.session.commit()


def shoot(base_url: str, out: Path) -> None:
    """Screenshots of the fleet, of bike SN0001's cockpit and of bike SN0005's ride summary, light
    and dark at 1280x800, and on a phone (SN0002 above its limit, SN0001, SN0005)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for theme in ("light", "dark"):
            context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=theme)
            page = context.new_page()
            page.goto(base_url + "/")
            page.wait_for_selector('[data-bike="SN0001"]')
            page.screenshot(path=str(out / f"fleet-{theme}.png"), full_page=True)
            cockpit(page, base_url + "/bikes/SN0001")
            page.screenshot(path=str(out / f"bike-{theme}.png"))
            page.goto(base_url + "/bikes/SN0005")
            page.wait_for_selector(".ride-summary")
            page.screenshot(path=str(out / f"summary-{theme}.png"))
            context.close()
        phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        page = phone.new_page()
        page.goto(base_url + "/bikes/SN0002")
        page.wait_for_selector(".hr-warning")
        page.screenshot(path=str(out / "bike-warning-phone.png"))
        cockpit(page, base_url + "/bikes/SN0001")
        page.screenshot(path=str(out / "bike-phone.png"))
        page.goto(base_url + "/bikes/SN0005")
        page.wait_for_selector(".ride-summary")
        page.screenshot(path=str(out / "summary-phone.png"))
        browser.close()


def cockpit(page, url: str) -> None:
    """Open a bike's cockpit and wait for its heart-rate chart."""
    page.goto(url)
    page.wait_for_selector('[data-chart="hr"] canvas')
    page.wait_for_function("Number(document.querySelector('[data-live-charts]').dataset.points) > 0")


def keep_alive(path: str, done: threading.Event) -> None:
    """The riding bikes keep talking (all but SN0004, the silent one) until the shots are taken."""
    conn = store.connect(path)
    while not done.wait(1):
        conn.execute("UPDATE bikes SET last_seen_wall = ? WHERE bike_serial <> 'SN0004'", (time.time(),))
        conn.commit()
    conn.close()


def main() -> None:
    """Seed, serve, shoot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="deloton-shots-"))
    config = type("ScreenshotConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'warehouse.db'}",
        "LIVE_DB_PATH": str(tmp / "live.db"), "SECRET_KEY": "screenshots"})
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_warehouse()
    seed(config.LIVE_DB_PATH)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    done = threading.Event()
    threading.Thread(target=keep_alive, args=(config.LIVE_DB_PATH, done), daemon=True).start()
    try:
        shoot(f"http://127.0.0.1:{server.server_port}", out)
    finally:
        done.set()
        server.shutdown()
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main()
