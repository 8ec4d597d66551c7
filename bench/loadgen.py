"""A small HTTP load generator, run as its own process: N threads hammer URLs for S seconds.

Usage: python bench/loadgen.py BASE_URL SECONDS THREADS KEY PATH [PATH ...]
Prints one JSON object: requests, errors, requests per second, p50/p99 latency in ms.
"""
import json
import random
import sys
import threading
import time

import requests


def hammer(base: str, paths: list[str], key: str, until: float, latencies: list, errors: list) -> None:
    """One thread: request random paths until the deadline, recording each latency."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    while time.perf_counter() < until:
        path = random.choice(paths)
        started = time.perf_counter()
        response = session.get(base + path, timeout=30)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors.append(response.status_code)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of values, nearest rank (nan when there are none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    """Run the load and print its figures."""
    base, seconds, threads, key, *paths = sys.argv[1:]
    latencies, errors = [], []
    until = time.perf_counter() + float(seconds)
    workers = [threading.Thread(target=hammer, args=(base, paths, key, until, latencies, errors))
               for _ in range(int(threads))]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    print(json.dumps({"requests": len(latencies), "errors": len(errors),
                      "rps": len(latencies) / elapsed,
                      "p50_ms": 1000 * percentile(latencies, 50),
                      "p99_ms": 1000 * percentile(latencies, 99)}))


if __name__ == "__main__":
    main()
