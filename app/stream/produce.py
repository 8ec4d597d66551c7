"""Producing to the `deloton` topic: the simulated fleet and recorded files, in (scaled) real time."""
import json
import re
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from kafka import KafkaProducer

from app.stream.simulate import Fleet

TS = re.compile(r"\s*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) ")


def build_producer(bootstrap_servers: str) -> KafkaProducer:
    """A producer tuned for throughput (batches of lines, acknowledged by the leader)."""
    return KafkaProducer(bootstrap_servers=bootstrap_servers, linger_ms=20, batch_size=512 * 1024,
                         acks=1, compression_type=None)


def produce_fleet(producer: KafkaProducer, topic: str, bikes: int, speed: float = 1.0,
                  seed: int | None = None, seconds: int | None = None,
                  ride_s: int | None = None) -> tuple[int, int]:
    """Send `seconds` simulated seconds of a fleet (forever when None); returns (messages sent,
    Telemetry lines among them: the readings a consumer must store)."""
    fleet, started, sent, readings = Fleet(bikes, seed=seed, ride_s=ride_s), time.monotonic(), 0, 0
    while seconds is None or fleet.seconds < seconds:
        for key, value in fleet.tick():
            producer.send(topic, key=key, value=value)
            sent += 1
            readings += b"Telemetry" in value
        if speed > 0:
            time.sleep(max(0.0, started + fleet.seconds / speed - time.monotonic()))
    producer.flush()
    return sent, readings


def recorded_values(path: Path) -> Iterator[bytes]:
    """Message values of a recording: `.jsonl` rows as they are, `.log` lines wrapped as {"log": ...}."""
    with open(path, "rb") as handle:
        for row in handle:
            row = row.rstrip(b"\r\n")
            if not row.strip():
                continue
            if path.suffix == ".jsonl":
                yield row
            else:
                yield json.dumps({"log": row.decode("utf-8", "replace") + "\n"},
                                 ensure_ascii=False).encode()


def line_time(value: bytes) -> datetime | None:
    """The <ts> of a message value's line, when it has one (for pacing a replay)."""
    try:
        match = TS.match(json.loads(value)["log"])
    except (ValueError, KeyError, TypeError):
        return None
    return datetime.fromisoformat(match.group(1)) if match else None


def replay(producer: KafkaProducer, topic: str, values: Iterable[bytes], key: str | None = None,
           speed: float = 1.0) -> int:
    """Send recorded values, paced by their timestamps divided by `speed` (0: flat out).
    Unkeyed lines all go to partition 0, as the original fleet had one bike per partition."""
    encoded_key = key.encode() if key is not None else None
    partition = None if key is not None else 0
    first, started, sent = None, time.monotonic(), 0
    for value in values:
        moment = line_time(value) if speed > 0 else None
        if moment is not None:
            first = first or moment
            wait = started + (moment - first).total_seconds() / speed - time.monotonic()
            time.sleep(max(0.0, wait))
        producer.send(topic, key=encoded_key, value=value, partition=partition)
        sent += 1
    producer.flush()
    return sent
