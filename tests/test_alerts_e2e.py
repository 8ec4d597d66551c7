"""Kafka -> consumer.py -> outbox -> RQ -> worker -> a real SMTP server: the right emails, once."""
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from rq import Queue

from app.extensions import db
from app.models import HrAlert
from tests.alert_stream import produce, ride_lines, two_alert_ride
from tests.conftest import KAFKA_SERVERS
from tests.smtp_sink import SmtpSink, parts

PROJECT_DIR = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
STARTED = datetime(2022, 7, 6, 23, 29, 35, 935822)


def service_env(app, tmp_path, mail_port: int) -> dict:
    """The environment of the consumer and the worker: the test's services and SMTP server."""
    return {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
            "LIVE_DB_PATH": str(tmp_path / "live.db"), "RIDE_IDLE_TIMEOUT_S": "5",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mail_port), "PATH": "/usr/bin:/bin",
            # The ride is from 2022: emailed as if live (a backfill would skip it, test_stream_backfill).
            "ALERT_MAX_AGE_S": str(10 ** 10)}


def run_consumer(env: dict, topic: str, group_id: str) -> None:
    """Read the topic until it has been quiet for 5 s."""
    subprocess.run([sys.executable, "consumer.py", "--bootstrap-servers", KAFKA_SERVERS,
                    "--topic", topic, "--group-id", group_id, "--exit-when-idle", "5"],
                   env=env, cwd=PROJECT_DIR, timeout=120, check=True, capture_output=True)


def run_worker(env: dict) -> None:
    """Work the alerts queue until it is empty."""
    subprocess.run([sys.executable, "-m", "worker", "--burst", "alerts"], env=env, cwd=PROJECT_DIR,
                   timeout=120, check=True, capture_output=True)


def stored_alerts(app) -> list[tuple]:
    """(duration_s, heart_rate, status, attempts) of every hr_alerts row."""
    with app.app_context():
        rows = db.session.scalars(db.select(HrAlert).order_by(HrAlert.duration_s)).all()
        return [(a.duration_s, a.heart_rate, a.status, a.attempts) for a in rows]


@pytest.fixture
def two_alert_topic(kafka_topic):
    """The topic holding one ride that raises alerts at 22 s and 332 s (and not at 103 s)."""
    rates, alert_seconds = two_alert_ride()
    produce(KAFKA_SERVERS, kafka_topic, "SN0000",
            ["--------- beginning of main", *ride_lines(STARTED, rates),
             "--------- beginning of a new ride"])
    return kafka_topic, rates, alert_seconds


def test_a_rider_past_the_limit_gets_exactly_the_expected_emails(app, redis_conn, tmp_path,
                                                                 two_alert_topic):
    topic, rates, alert_seconds = two_alert_topic
    sink = SmtpSink().start()
    try:
        env = service_env(app, tmp_path, sink.port)
        run_consumer(env, topic, f"g-{uuid.uuid4().hex[:8]}")
        run_worker(env)
        # Kafka delivers again (a new group reads it all): nothing new is raised or sent.
        run_consumer(env, topic, f"g-{uuid.uuid4().hex[:8]}")
        run_worker(env)
    finally:
        sink.stop()

    assert [recipients for recipients, _ in sink.messages] == [["steven.p@gmail.com"]] * 2
    bodies = [" ".join(parts(message)[0].split()) for _, message in sink.messages]
    reached = [int(re.search(r"Your heart rate reached (\d+) bpm", body).group(1)) for body in bodies]
    assert sorted(reached) == sorted(rates[second] for second in alert_seconds)
    for body in bodies:
        assert "above your safe limit of 180 bpm" in body and "Hello Steven," in body
    assert stored_alerts(app) == [(s, rates[s], "sent", 1) for s in alert_seconds]


def test_alerts_raised_while_smtp_is_down_arrive_when_it_is_back(app, redis_conn, tmp_path,
                                                                 two_alert_topic):
    topic, rates, alert_seconds = two_alert_topic
    sink = SmtpSink()  # not listening yet
    env = service_env(app, tmp_path, sink.port)
    run_consumer(env, topic, f"g-{uuid.uuid4().hex[:8]}")
    run_worker(env)
    assert [row[2:] for row in stored_alerts(app)] == [("pending", 1)] * 2
    assert Queue("alerts", connection=redis_conn).scheduled_job_registry.count == 2

    sink.start()
    try:
        time.sleep(6)  # the first backoff interval of the standard retry (5 s)
        run_worker(env)
    finally:
        sink.stop()
    assert len(sink.messages) == 2
    assert stored_alerts(app) == [(s, rates[s], "sent", 2) for s in alert_seconds]
