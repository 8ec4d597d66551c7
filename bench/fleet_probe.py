"""A probe bike for bench/fleet.py: one reading a second, timed until the live fragment shows it."""
import json
import threading
import time
from datetime import datetime, timezone

import requests
from kafka import KafkaProducer

PROBE = "BENCHPROBE"
HTMX_LIVE = {"HX-Request": "true", "HX-Target": "live-figures"}
# Every 50 ms while waiting: the delay is known to 50 ms (the target is 1.5 s), and a probe polling
# every 20 ms made up to 50 requests a second of the web's load when the system was behind.
POLL_S = 0.05
GIVE_UP_S = 15.0


def line(text: str) -> bytes:
    """A Kafka value of the probe bike, timestamped now."""
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return json.dumps({"log": f"{ts} probe v1: {text}\n"}).encode()


class Probe(threading.Thread):
    """Sends the probe's readings and records seconds from each flush to its figure in the fragment.
    A reading not shown within GIVE_UP_S counts as GIVE_UP_S (the fleet is far behind)."""

    def __init__(self, servers: str, topic: str, web_url: str):
        super().__init__(daemon=True)
        self.servers, self.topic, self.url = servers, topic, f"{web_url}/bikes/{PROBE}"
        self.delays: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        producer = KafkaProducer(bootstrap_servers=self.servers, linger_ms=0)
        session = requests.Session()
        rider = {"user_id": 999999, "name": "Probe Rider", "gender": "female", "date_of_birth": 0,
                 "address": "1 A St,Leeds,LS1 1AA", "email_address": "p@example.com", "bike_serial": PROBE}
        self.send(producer, f"[SYSTEM] data = {json.dumps(rider)}")
        second = 0
        while not self.stopping.is_set():
            second += 1
            self.send(producer, f"[INFO]: Ride - duration = {second}.0; resistance = 50")
            self.send(producer, "[INFO]: Telemetry - hrt = 120; rpm = 70; power = 150.0")
            sent = time.perf_counter()
            delay = self.wait_shown(session, second, sent)
            if delay is not None:
                self.delays.append(delay)
            time.sleep(max(0.0, 1 - (time.perf_counter() - sent)))
        producer.close()

    def send(self, producer: KafkaProducer, text: str) -> None:
        producer.send(self.topic, key=PROBE.encode(), value=line(text))
        producer.flush()

    def wait_shown(self, session: requests.Session, second: int, sent: float) -> float | None:
        marker = f'data-elapsed="{second}"'
        while time.perf_counter() - sent < GIVE_UP_S and not self.stopping.is_set():
            try:
                if marker in session.get(self.url, headers=HTMX_LIVE, timeout=5).text:
                    return time.perf_counter() - sent
            except requests.RequestException:
                pass  # the web server is starting or overloaded: try again
            time.sleep(POLL_S)
        return None if self.stopping.is_set() else GIVE_UP_S

    def stop(self) -> None:
        self.stopping.set()
        self.join(GIVE_UP_S + 5)
