"""One run of the whole system (producer, consumer.py, python -m worker) on private services, and
what it left: the warehouse without wall-clock columns and the emails received."""
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import closing
from pathlib import Path

import psycopg
import redis as redis_lib
import sqlalchemy as sa
from flask_migrate import upgrade
from rq import Queue

from app import create_app
from app.extensions import db
from app.live import store
from app.models import HrAlert, Ride, User
from app.stream.landed import landed
from app.stream.produce import build_producer
from drills.brokers import PROJECT, PrivateKafka, PrivateRedis
from tests.conftest import make_config
from tests.private_pg import PrivatePostgres
from tests.smtp_sink import SmtpSink, parts
from tests.test_stream_kafka import consumer_env, count, start_consumer
from tests.waiting import wait_for

WALL_CLOCK = {"ride_id", "closed_at", "first_seen_at", "updated_at"}
JOB_QUEUES = ("closeout", "alerts")
# The drills' fleet rides from the moment the session made its input, and the later drills replay
# that input many minutes afterwards: with the default ALERT_MAX_AGE_S (300 s) their early alerts
# would be `skipped` as a late catch-up where the baseline emailed them. A day outlasts any session,
# so every run treats the fleet's alerts alike (emailed) and the alert bikes' rides of 2022 alike
# (a backfill: skipped).
ALERT_MAX_AGE_S = 24 * 3600


class Services:
    """The private PostgreSQL, Redis and Kafka the drills may stop (never the test services on the usual ports)."""

    def __init__(self):
        self.pg, self.redis, self.kafka = PrivatePostgres(), PrivateRedis(), PrivateKafka()
        self.redis.start()
        self.kafka.start()

    def new_database(self, name: str) -> str:
        """A fresh warehouse database on the private cluster; its SQLAlchemy URL."""
        with psycopg.connect(host="127.0.0.1", port=self.pg.port, user="deloton", dbname="warehouse",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.pg.url.rsplit("/", 1)[0] + f"/{name}"

    def destroy(self) -> None:
        """Stop and remove every private server."""
        for server in (self.kafka, self.redis, self.pg):
            server.destroy()


class SystemRun:
    """The system on a fresh warehouse, topic, live store, Redis database and SMTP server."""

    def __init__(self, services: Services, base: Path, name: str, **settings):
        self.services, self.name, self.dir = services, name, base / name
        self.dir.mkdir(parents=True)
        self.topic = f"drill-{name}-{uuid.uuid4().hex[:6]}"
        services.kafka.create_topic(self.topic)
        services.redis.flush()
        self.smtp = SmtpSink(smtputf8=True)  # as real mail servers do: riders with non-ASCII addresses get mail
        database = services.new_database(f"{name.replace('-', '_')}_{uuid.uuid4().hex[:6]}")
        self.live_db = self.dir / "live.db"
        self.env = consumer_env(self.live_db, services.redis.url, DATABASE_URL=database,
                                KAFKA_BOOTSTRAP_SERVERS=services.kafka.servers, MAIL_SERVER="127.0.0.1",
                                MAIL_PORT=self.smtp.port, MAIL_TIMEOUT_S=5, RIDE_IDLE_TIMEOUT_S=600,
                                KAFKA_MAX_POLL_RECORDS=500, ALERT_MAX_AGE_S=ALERT_MAX_AGE_S, **settings)
        self.app = create_app(make_config(database, str(self.live_db), services.redis.url))
        with self.app.app_context():
            upgrade()
        self.consumer = self.worker = None

    def produce(self, ticks: list, seconds: float) -> threading.Thread:
        """Send the ticks through the project's producer, spread over `seconds`, in a thread."""
        def send():
            producer, began = build_producer(self.services.kafka.servers), time.monotonic()
            for n, tick in enumerate(ticks):
                for key, value in tick:
                    producer.send(self.topic, key=key, value=value)
                time.sleep(max(0.0, began + seconds * n / len(ticks) - time.monotonic()))
            producer.flush()
            producer.close()
        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        return thread

    def start_consumer(self, idle_s: float = 8) -> subprocess.Popen:
        """`python consumer.py --exit-when-idle` on the run's topic, once it owns its partitions and
        the first one has found where to start (it would backtrack, by design, past what came before)."""
        first = self.consumer is None
        self.consumer = start_consumer(self.topic, "drill", self.env, idle_s=idle_s)
        ready = "has no saved position" if first else "assigned partitions"
        wait_for(lambda: self.consumer.log_path.read_text().count(ready) >= (4 if first else 1),
                 timeout_s=90, every_s=0.1)
        return self.consumer

    def start_worker(self) -> subprocess.Popen:
        """`python -m worker` on every queue, with RQ's scheduler (retries)."""
        with open(self.dir / "worker.log", "a") as log:
            self.worker = subprocess.Popen([sys.executable, "-m", "worker"], env=self.env, cwd=PROJECT,
                                           stdout=log, stderr=subprocess.STDOUT)
        return self.worker

    def readings_in_live_store(self) -> int:
        """Readings the consumer has stored and not yet handed over."""
        return count(self.live_db, "SELECT COUNT(*) FROM readings")

    def landed(self) -> int:
        """Rides in the warehouse now (0 while it cannot be reached)."""
        try:
            with self.app.app_context():
                return db.session.scalar(sa.select(sa.func.count()).select_from(Ride))
        except sa.exc.OperationalError:
            return 0

    def jobs_left(self) -> int:
        """Jobs still queued, running or waiting for a retry."""
        connection = redis_lib.Redis.from_url(self.services.redis.url)
        left = 0
        for name in JOB_QUEUES:
            queue = Queue(name, connection=connection)
            left += queue.count + queue.scheduled_job_registry.count + queue.started_job_registry.count
        return left

    def rides_not_landed(self) -> int:
        """Rides in the live store the warehouse does not hold (all of them while it cannot be reached). A
        landed ride stays in the live store until the consumer's next batch: an idle consumer that
        exits before its closeout leaves it there, which loses nothing."""
        with closing(store.connect(str(self.live_db), readonly=True)) as live:
            keys = [tuple(row) for row in live.execute("SELECT bike_serial, started_at FROM rides")]
        if not keys:
            return 0
        try:
            with self.app.app_context():
                return len(set(keys) - landed(db.engine, keys))
        except sa.exc.OperationalError:
            return len(keys)

    def settled(self) -> bool:
        """The consumer has exited, every ride of the live store has landed and no job is left."""
        if self.consumer.poll() is None:
            return False
        assert self.consumer.returncode == 0, self.consumer.log_path.read_text()[-3000:]
        return (self.rides_not_landed() == 0
                and count(self.live_db, "SELECT COUNT(*) FROM outbox WHERE enqueued_at IS NULL") == 0
                and self.jobs_left() == 0)

    def wait_settled(self, timeout_s: float = 420) -> float:
        """Wait until everything has landed; the seconds it took. Then stop the worker."""
        began = time.monotonic()
        while not self.settled():
            assert time.monotonic() - began < timeout_s, f"{self.name}: not settled in {timeout_s}s"
            time.sleep(0.5)
        self.worker.send_signal(signal.SIGTERM)
        self.worker.wait(timeout=60)
        return time.monotonic() - began

    def counters(self) -> dict:
        """The consumer's counters in the live store."""
        with sa.create_engine(f"sqlite:///{self.live_db}").connect() as conn:
            return dict(conn.execute(sa.text(
                "SELECT name, CAST(SUM(value) AS BIGINT) FROM counters GROUP BY name")).all())

    def outcome(self) -> dict:
        """The warehouse (rides, readings, riders, alerts, without wall-clock columns) and the emails."""
        with self.app.app_context():
            ride_cols = [c for c in Ride.__table__.columns if c.name not in WALL_CLOCK]
            user_cols = [c for c in User.__table__.columns if c.name not in WALL_CLOCK]
            readings = sa.text("SELECT r.bike_serial, r.started_at, x.duration_s, x.recorded_at, "
                               "x.heart_rate, x.rpm, x.power, x.resistance FROM ride_readings x "
                               "JOIN rides r USING (ride_id) ORDER BY 1, 2, 3")
            alert_cols = [HrAlert.bike_serial, HrAlert.ride_started_at, HrAlert.duration_s,
                          HrAlert.ride_id.is_not(None), HrAlert.user_id, HrAlert.raised_at,
                          HrAlert.heart_rate, HrAlert.hr_limit_bpm, HrAlert.recipient, HrAlert.status,
                          HrAlert.subject, HrAlert.body_text]
            result = {"rides": _rows(sa.select(*ride_cols).order_by(Ride.bike_serial, Ride.started_at)),
                      "readings": [tuple(row) for row in db.session.execute(readings)],
                      "users": _rows(sa.select(*user_cols).order_by(User.user_id)),
                      "hr_alerts": _rows(sa.select(*alert_cols).order_by(*alert_cols[:3]))}
        result["emails"] = sorted((tuple(to), m["Subject"], parts(m)[0]) for to, m in self.smtp.messages)
        return result

    def last_done_at(self) -> float:
        """When (epoch seconds) the last ride landed or the last email was accepted."""
        with self.app.app_context():
            moments = [db.session.scalar(sa.select(sa.func.max(Ride.closed_at))),
                       db.session.scalar(sa.select(sa.func.max(HrAlert.sent_at)))]
        return max(moment.timestamp() for moment in moments if moment is not None)

    def attempts(self) -> int:
        """Delivery attempts of every alert (one each when nothing failed)."""
        with self.app.app_context():
            return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(HrAlert.attempts), 0)))

    def retried_jobs(self) -> int:
        """Job runs that raised (and were retried), as the worker logged them."""
        return (self.dir / "worker.log").read_text().count("exception raised while executing")

    def close(self) -> None:
        """Stop what is still running and let go of the warehouse."""
        for process in (self.consumer, self.worker):
            if process is not None and process.poll() is None:
                # SIGTERM first: a killed worker would leave its scheduler process running, holding
                # the scheduler locks of the next run's worker.
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=30)
        self.smtp.stop()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def _rows(query) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(query)]
