"""The load generator of bench/fleet.py: the simulated fleet in real time through librdkafka.

`flask deloton simulate` sends through kafka-python, whose pure-Python record batching costs about
as much CPU as the consumer's own work: at 10,000 bikes it would starve the system it measures.
This sends the same fleet (app/stream/simulate.py, the same lines) through confluent-kafka, encodes
the reading lines without json.dumps, and by default starts each bike part-way through its first
ride, so rides end at their steady rate from the first minute instead of all at once.
Usage: python bench/fleet_load.py --bikes N --topic T [--servers S] [--seed 7] [--ride-seconds S]
Runs until SIGTERM; prints the messages sent.
"""
import argparse
import functools
import json
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

from confluent_kafka import Producer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.stream import simulate  # noqa: E402
from app.stream.simulate import Fleet  # noqa: E402

# Every bike formats the same two times each second: format them once (half the generator's CPU).
simulate._ts = functools.lru_cache(maxsize=16)(simulate._ts)

PLAIN = frozenset(" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`"
                  "abcdefghijklmnopqrstuvwxyz{|}~")


def encode(line: str) -> bytes:
    """The message value of a line, byte for byte what json.dumps({"log": line + "\\n"}) gives."""
    if PLAIN.issuperset(line):  # nothing to escape: the reading lines
        return b'{"log": "' + line.encode() + b'\\n"}'
    return json.dumps({"log": line + "\n"}).encode()


def tick(fleet: Fleet) -> list[tuple[bytes, bytes]]:
    """Fleet.tick with the cheaper encoding."""
    messages = []
    for bike in fleet.bikes:
        key = bike.serial.encode()
        messages += [(key, encode(line)) for line in bike.step(fleet.clock)]
    fleet.clock += timedelta(seconds=1)
    fleet.seconds += 1
    return messages


def steady_start(fleet: Fleet) -> list[tuple[bytes, bytes]]:
    """The first second, with each bike's first ride cut to a random part of its length: the
    fleet looks as if it had been riding for a while, rides ending at their usual rate."""
    messages = tick(fleet)
    for bike in fleet.bikes:
        bike.length = bike.rng.randint(1, bike.length)
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bikes", type=int, required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--servers", default="localhost:9092")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ride-seconds", type=int, default=None,
                        help="rides of S/2 to S seconds (default: as real ones, 2 minutes to an hour)")
    args = parser.parse_args()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    producer = Producer({"bootstrap.servers": args.servers, "linger.ms": 20,
                         "queue.buffering.max.messages": 1_000_000, "batch.num.messages": 10_000})
    fleet = Fleet(args.bikes, seed=args.seed, ride_s=args.ride_seconds)
    started, sent = time.monotonic(), 0
    messages = steady_start(fleet)
    while not stopping:
        for key, value in messages:
            while True:
                try:
                    producer.produce(args.topic, value, key)
                    break
                except BufferError:  # librdkafka's queue is full: let it send
                    producer.poll(0.05)
        sent += len(messages)
        producer.poll(0)
        time.sleep(max(0.0, started + fleet.seconds - time.monotonic()))
        messages = tick(fleet)
    producer.flush(10)
    print(f"sent {sent} messages in {fleet.seconds} s", flush=True)


if __name__ == "__main__":
    main()
