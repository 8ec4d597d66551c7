"""The drills' input: a keyed simulated fleet plus riders past their limit, every ride ended, and junk."""
import random
from datetime import datetime

from app.stream.simulate import Fleet
from tests.alert_stream import ride_lines, two_alert_ride
from tests.factories import RECORDED_RIDER, RiderJsonFactory
from tests.stream_helpers import value

ALERT_RIDE_START = datetime(2022, 7, 6, 23, 29, 35, 935822)
BOUNDARY = "--------- beginning of a new ride"
Message = tuple[bytes | None, bytes]


def alert_bike_lines(serial: str, user_id: int) -> list[str]:
    """One bike whose rider goes past 180 bpm: two alerts (and a third run inside the cooldown)."""
    rider = RiderJsonFactory(**RECORDED_RIDER | {"bike_serial": serial, "user_id": user_id,
                                                 "email_address": f"rider{user_id}@example.com"})
    rates, _ = two_alert_ride()
    return ["--------- beginning of main", *ride_lines(ALERT_RIDE_START, rates, rider)]


def drill_ticks(bikes: int = 6, seconds: int = 420, alert_bikes: int = 3, seed: int = 9) -> list[list[Message]]:
    """The stream second by second: the fleet's lines with the alert bikes' lines mixed in (about
    two a second each), then a boundary line for every bike so that every ride ends and lands."""
    fleet = Fleet(bikes, seed=seed)
    ticks = [list(fleet.tick()) for _ in range(seconds)]
    serials = sorted({key for tick in ticks for key, _ in tick})
    for n in range(alert_bikes):
        serial = f"SN{n + 1:04d}"
        lines = alert_bike_lines(serial, 9000 + n)
        for second, start in enumerate(range(0, len(lines), 2)):
            at = min(second + 5 * n, seconds - 1)
            ticks[at] += [(serial.encode(), value(line)) for line in lines[start:start + 2]]
        serials.append(serial.encode())
    ticks.append([(serial, value(BOUNDARY)) for serial in serials])
    return ticks


def junk_messages(serials: list[bytes], rng: random.Random) -> list[Message]:
    """Malformed messages of every kind the consumer must quarantine, keyed as a flood would be:
    with real bikes' serials (in the middle of their rides), without a key, or with a bad key."""
    ts = "2022-10-03 09:00:00.000000 mendoza v9:"
    values = [b"\xff\xfe\x00", b"not json at all", b'{"log": 42}', b"",
              value("complete nonsense"), value(f"{ts} [INFO]: Telemetry - hrt = 999; rpm = 70; power = 1.0"),
              value(f"{ts} [SYSTEM] data = {{broken"), value(f"{ts} [INFO]: Ride - duration = x; resistance = 5"),
              value("2022-13-01 09:00:00.000000 mendoza v9: [INFO]: Ride - duration = 1.0; resistance = 5"),
              value(f"{ts} [SYSTEM] data = " + '{"name": "no user id"}')]
    keys = [None, b"\xff\xfe", b"  "] + serials
    junk = [(rng.choice(keys), rng.choice(values)) for _ in range(len(values) * 30)]
    # A good line under a key that cannot be text is bad too.
    return junk + [(b"\xff\xfe", value(BOUNDARY))] * 5


def flood(ticks: list[list[Message]], junk: list[Message], rng: random.Random) -> list[list[Message]]:
    """The ticks with the junk scattered through them (never after the final boundary lines)."""
    flooded = [list(tick) for tick in ticks]
    for message in junk:
        tick = flooded[rng.randrange(len(flooded) - 1)]
        tick.insert(rng.randrange(len(tick) + 1), message)
    return flooded
