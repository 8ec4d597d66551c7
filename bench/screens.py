"""Simulated screens for bench/live.py, run as their own process: each screen polls its URL once a
second, as htmx does, for S seconds, on a keep-alive connection of its own (as a browser has). With
--warmup W the screens first poll for W seconds unmeasured: a server's caches (each ride's
comparison rides, its sums, its rider) fill on a screen's first polls, which a long-running site has
long since made; without it, every screen's first poll lands in the same second.

One asyncio event loop (aiohttp) serves every screen: a poll costs the generator a fraction of what
a thread and `requests` cost, so the load does not take the CPU of the server it measures. A
screen has at most one poll in flight (as htmx); one that falls behind asks again at once.
Usage: python bench/screens.py [--warmup W] BASE_URL SECONDS KIND=PATH [KIND=PATH ...]
Prints one JSON object: for each kind, requests, errors, requests per second against the rate the
screens asked for, p50/p99 latency in ms (request sent to answer read) and mean bytes on the wire
(compressed) and in the page; and under "generator" this process's own CPU (ms per request and %
of one core).
"""
import argparse
import asyncio
import json
import random
import sys
import time
import zlib

import aiohttp

from loadgen import percentile  # run as a script: bench/ is on the path

# As a browser's htmx poll: asks for gzip (the bench reads the size on the wire, then unpacks).
HEADERS = {"HX-Request": "true", "Accept-Encoding": "gzip"}
TARGETS = {"bike": "live-figures"}  # the bike screen's poll names its target; the fleet's does not


async def screen(session: aiohttp.ClientSession, base: str, kind: str, path: str, since: float,
                 until: float, results: dict) -> None:
    """One screen: poll once a second from a random start until the deadline, timing each poll
    sent from `since` on."""
    headers = {**HEADERS, **({"HX-Target": TARGETS[kind]} if kind in TARGETS else {})}
    due = time.perf_counter() + random.random()
    while due < until:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        started = time.perf_counter()
        try:
            async with session.get(base + path, headers=headers, auto_decompress=False) as response:
                body = await response.read()
                ok = response.status == 200
            wire = len(body)
            size = len(zlib.decompress(body, 31)) if response.headers.get("Content-Encoding") == "gzip" \
                else wire
        except (aiohttp.ClientError, asyncio.TimeoutError, zlib.error):
            ok, wire, size = False, 0, 0
        if started >= since:
            results[kind].append((time.perf_counter() - started, ok, wire, size))
        due = max(due + 1.0, time.perf_counter())  # behind: the next poll at once, as htmx would


async def run(base: str, warmup: float, seconds: float, screens: list[tuple[str, str]], results: dict) -> float:
    """Every screen at once, each on its own connection (no limit on their number), measured after
    `warmup` seconds for `seconds`; this process's CPU seconds in the measured time."""
    since = time.perf_counter() + warmup
    until = since + seconds
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        polls = asyncio.gather(*(screen(session, base, kind, path, since, until, results)
                                 for kind, path in screens))
        await asyncio.sleep(warmup)
        cpu = time.process_time()
        await polls
        return time.process_time() - cpu


def summary(results: dict, screens: list[tuple[str, str]], elapsed: float, cpu_s: float) -> dict:
    """The figures of each kind of screen, and the generator's own CPU."""
    figures = {}
    for kind, rows in results.items():
        times = [r[0] for r in rows if r[1]]
        figures[kind] = {"requests": len(rows), "errors": sum(not r[1] for r in rows),
                         "rate": len(rows) / elapsed, "asked": sum(k == kind for k, _ in screens),
                         "p50_ms": 1000 * percentile(times, 50), "p99_ms": 1000 * percentile(times, 99),
                         "wire_bytes": sum(r[2] for r in rows) / max(1, len(rows)),
                         "page_bytes": sum(r[3] for r in rows) / max(1, len(rows))}
    requests = sum(len(rows) for rows in results.values())
    figures["generator"] = {"requests": requests, "cpu_ms_per_request": 1000 * cpu_s / max(1, requests),
                            "cpu_percent": 100 * cpu_s / elapsed}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=float, default=0.0, help="seconds of unmeasured polls first")
    parser.add_argument("base")
    parser.add_argument("seconds", type=float)
    parser.add_argument("specs", nargs="+", metavar="KIND=PATH")
    args = parser.parse_args()
    screens = [tuple(spec.split("=", 1)) for spec in args.specs]
    results = {kind: [] for kind, _ in screens}
    cpu_s = asyncio.run(run(args.base, args.warmup, args.seconds, screens, results))
    print(json.dumps(summary(results, screens, args.seconds, cpu_s)))


if __name__ == "__main__":
    main()
