"""Fixtures of the failure drills: private services, the uninterrupted baseline, measured figures."""
import os
import warnings

import pytest

from tests.drill_stream import drill_ticks
from drills.system import Services, SystemRun

# "Stopped for 30 s" (issue 9); DRILL_OUTAGE_S shortens it for a quick run.
OUTAGE_S = float(os.environ.get("DRILL_OUTAGE_S", "30"))
# The stream is produced over this many seconds, so that faults land mid-stream.
PRODUCE_S = float(os.environ.get("DRILL_PRODUCE_S", "40"))
FIGURES: dict[str, dict] = {}
# kafka-python 3 does not close a socket whose connect fails (kafka/net/inet.py, KafkaNetSocket.connect):
# each attempt of a client (the producer, a readiness probe) to reach a broker that is down leaves one
# to the garbage collector, which then warns wherever it runs. Only the drills have a broker away (its
# start, the Kafka drill's restart), so only they let through the warning of a socket that never
# connected (no peer, bound to 0.0.0.0); a connected socket left open still fails the run.
UNCONNECTED_SOCKET = r"unclosed <socket\.socket fd=\d+, family=2, type=1, proto=6, laddr=\('0\.0\.0\.0', \d+\)>$"


def pytest_configure(config):
    """The drills' one addition to pytest.ini's warning filters (above)."""
    config.addinivalue_line("filterwarnings", f"ignore:{UNCONNECTED_SOCKET}:ResourceWarning")  # each test
    # ...and the session's own filters, read before this hook: pytest's last garbage collection,
    # after the session, would otherwise fail the run on such a socket.
    warnings.filterwarnings("ignore", message=UNCONNECTED_SOCKET, category=ResourceWarning)


@pytest.fixture(scope="session")
def services():
    """Private PostgreSQL, Redis and Kafka, shared by the drills and stopped only by them."""
    started = Services()
    yield started
    started.destroy()


@pytest.fixture(scope="session")
def ticks():
    """The drills' input, second by second."""
    return drill_ticks()


@pytest.fixture
def system(services, tmp_path_factory, request):
    """A factory of system runs, each closed after the test."""
    runs = []

    def make(name: str, **settings) -> SystemRun:
        runs.append(SystemRun(services, tmp_path_factory.mktemp("drills"), name, **settings))
        return runs[-1]
    yield make
    for run in runs:
        run.close()


@pytest.fixture(scope="session")
def baseline(services, ticks, tmp_path_factory):
    """The same input through the system with nothing going wrong: what every drill must end as."""
    run = SystemRun(services, tmp_path_factory.mktemp("drills"), "baseline")
    try:
        run.smtp.start()
        run.start_worker()
        run.start_consumer()
        run.produce(ticks, PRODUCE_S).join()
        settle_s = run.wait_settled()
        outcome = run.outcome()
        record("baseline (uninterrupted)", messages=sum(map(len, ticks)), rides=len(outcome["rides"]),
               readings=len(outcome["readings"]), alerts=len(outcome["hr_alerts"]),
               emails=len(outcome["emails"]), settled_after_last_message_s=round(settle_s, 1))
        return outcome
    finally:
        run.close()


def record(drill: str, **figures) -> None:
    """Keep a drill's measured figures for the summary at the end of the run."""
    FIGURES[drill] = figures


def pytest_terminal_summary(terminalreporter):
    """Print every drill's figures (docs/reliability.md quotes them)."""
    if FIGURES:
        terminalreporter.section("drill figures")
        for drill, figures in FIGURES.items():
            terminalreporter.write_line(f"{drill}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
