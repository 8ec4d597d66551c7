"""Log lines of rides whose rider goes past their heart-rate limit, as bikes send them (docs/specification.md).

The rider is the recorded user 100 (data/recorded-topic-start-2022-07-06.log) with a date of birth
that makes them 40 at the ride, so Tanaka gives 180 bpm.
"""
import json
from datetime import datetime, timedelta

from kafka import KafkaProducer

from tests.factories import RECORDED_RIDER

DEVICE = "mendoza v9"


def stamp(moment: datetime) -> str:
    """The stream's `<ts>`: naive UTC with microseconds."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def ride_lines(started: datetime, heart_rates: dict[int, int], rider: dict | None = None) -> list[str]:
    """One ride: the session markers, its [SYSTEM] line, then one Ride/Telemetry pair per second."""
    rider = rider or RECORDED_RIDER
    lines = ["--------- beginning of a new ride",
             f"{stamp(started - timedelta(seconds=0.5))} {DEVICE}: Getting user data from server..",
             f"{stamp(started)} {DEVICE}: [SYSTEM] data = {json.dumps(rider, separators=(',', ':'))}"]
    for duration_s, heart_rate in sorted(heart_rates.items()):
        at = started + timedelta(seconds=duration_s + 0.5)
        lines.append(f"{stamp(at)} {DEVICE}: [INFO]: Ride - duration = {duration_s:.1f}; "
                     f"resistance = 40")
        lines.append(f"{stamp(at + timedelta(seconds=0.5))} {DEVICE}: [INFO]: Telemetry - "
                     f"hrt = {heart_rate}; rpm = 70; power = 120.5")
    return lines


def two_alert_ride(length_s: int = 400) -> tuple[dict[int, int], list[int]]:
    """Heart rates of a ride above 180 bpm three times; return them and the alerts' duration_s.

    Seconds 20-22 raise an alert; 100-103 is inside the 300 s cooldown; 330-332 raise the second.
    """
    rates = {second: 150 for second in range(1, length_s + 1)}
    for start, run in ((20, 3), (100, 4), (330, 3)):
        for second in range(start, start + run):
            rates[second] = 185 + second % 7
    return rates, [22, 332]


def produce(bootstrap_servers: str, topic: str, key: str, lines: list[str]) -> None:
    """Send lines as the topic carries them: {"log": "<line>\\n"}, keyed by the bike serial."""
    producer = KafkaProducer(bootstrap_servers=bootstrap_servers)
    for line in lines:
        producer.send(topic, key=key.encode(), value=json.dumps({"log": line + "\n"}).encode())
    producer.flush()
    producer.close()
