"""Simulated screens for bench/live.py, run as their own process: each screen polls its URL once a
second, as htmx does, for S seconds; a pool of threads serves the schedule.

Usage: python bench/screens.py BASE_URL SECONDS THREADS KIND=PATH [KIND=PATH ...]
Prints one JSON object: for each kind, requests, errors, requests per second against the rate the
screens asked for, p50/p99 latency in ms (request sent to answer read) and mean bytes on the wire
(compressed) and in the page.
"""
import heapq
import json
import random
import sys
import threading
import time

import requests

from loadgen import percentile  # run as a script: bench/ is on the path

HEADERS = {"HX-Request": "true", "Accept-Encoding": "gzip"}
TARGETS = {"bike": "live-figures"}  # the bike screen's poll names its target; the fleet's does not


class Schedule:
    """Every screen's next poll, earliest first; a screen is due again one second after its last."""

    def __init__(self, screens: list[tuple[str, str]], until: float):
        start = time.perf_counter()
        self.heap = [(start + random.random(), i, kind, path) for i, (kind, path) in enumerate(screens)]
        heapq.heapify(self.heap)
        self.lock, self.until = threading.Lock(), until

    def next(self):
        with self.lock:
            due, i, kind, path = heapq.heappop(self.heap)
            heapq.heappush(self.heap, (due + 1.0, i, kind, path))
        # Stop at the deadline, also when behind: what could not be served in time is not sent.
        return (due, kind, path) if due < self.until and time.perf_counter() < self.until else None


def poll(base: str, schedule: Schedule, results: dict) -> None:
    """One thread: take the next due poll, wait for its time, time the request."""
    session = requests.Session()
    while (item := schedule.next()) is not None:
        due, kind, path = item
        time.sleep(max(0.0, due - time.perf_counter()))
        headers = {**HEADERS, **({"HX-Target": TARGETS[kind]} if kind in TARGETS else {})}
        started = time.perf_counter()
        try:
            response = session.get(base + path, headers=headers, timeout=30)
            ok = response.status_code == 200
            wire = int(response.headers.get("Content-Length", len(response.content)))
            size = len(response.content)
        except requests.RequestException:
            ok, wire, size = False, 0, 0
        took = time.perf_counter() - started
        results[kind].append((took, ok, wire, size))


def main() -> None:
    base, seconds, threads, *specs = sys.argv[1:]
    screens = [tuple(spec.split("=", 1)) for spec in specs]
    results = {kind: [] for kind, _ in screens}
    started = time.perf_counter()
    schedule = Schedule(screens, started + float(seconds))
    workers = [threading.Thread(target=poll, args=(base, schedule, results)) for _ in range(int(threads))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    summary = {}
    for kind, rows in results.items():
        times = [r[0] for r in rows if r[1]]
        summary[kind] = {"requests": len(rows), "errors": sum(not r[1] for r in rows),
                         "rate": len(rows) / elapsed, "asked": sum(k == kind for k, _ in screens),
                         "p50_ms": 1000 * percentile(times, 50), "p99_ms": 1000 * percentile(times, 99),
                         "wire_bytes": sum(r[2] for r in rows) / max(1, len(rows)),
                         "page_bytes": sum(r[3] for r in rows) / max(1, len(rows))}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
