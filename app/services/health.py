"""Checks that each part of the system answers, for /healthz and the operator."""
import logging
from collections.abc import Callable
from contextlib import closing

import redis
from flask import current_app
from rq import Queue

from app.extensions import db
from app.live import queries, store
from app.services.jobs import QUEUES

log = logging.getLogger(__name__)


class ConsumerFailing(Exception):
    """The consumer has paused a partition it cannot read."""


def check_warehouse() -> None:
    """Run a trivial query on the warehouse."""
    db.session.execute(db.text("SELECT 1"))


def check_live_store() -> None:
    """Open the live store and read from it."""
    with closing(store.connect_reader(current_app.config["LIVE_DB_PATH"])) as conn:
        queries.ping(conn)


def check_consumer() -> None:
    """Fail when the consumer has recorded a partition it cannot read (docs/reliability.md)."""
    with closing(store.connect_reader(current_app.config["LIVE_DB_PATH"])) as conn:
        failing = store.get_failures(conn)
    if failing:
        raise ConsumerFailing("; ".join(
            f"partition {row['topic']}/{row['partition']} cannot be read at offset {row['offset']} "
            f"since {row['since']}: {row['reason']}" for row in failing))


def check_redis() -> None:
    """PING the Redis server that carries RQ's queues."""
    redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2,
                         socket_connect_timeout=2).ping()


def check_kafka() -> None:
    """Ask the Kafka broker for its topics."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=current_app.config["KAFKA_BOOTSTRAP_SERVERS"],
                             request_timeout_ms=3000,
                             metadata_max_age_ms=3000)
    try:
        consumer.topics()
    finally:
        consumer.close()


def components() -> dict[str, Callable[[], None]]:
    """The checks that apply to this configuration."""
    checks = {"warehouse": check_warehouse, "live_store": check_live_store, "consumer": check_consumer,
              "redis": check_redis}
    if current_app.config["KAFKA_HEALTHCHECK"]:
        checks["kafka"] = check_kafka
    return checks


def run_checks(details: bool = False) -> dict[str, dict]:
    """Run every check; each reports ok or not (never raises). The error met is logged, and is
    part of the result only with `details` (the operator's CLI): the public /healthz must not
    show internal addresses or error texts."""
    results = {}
    for name, check in components().items():
        try:
            check()
            results[name] = {"ok": True}
        except Exception as exc:  # a health check reports any failure, whatever its kind
            error = f"{type(exc).__name__}: {exc}"
            log.warning("health check %s failed: %s", name, error)
            results[name] = {"ok": False, "error": error[:1000]} if details else {"ok": False}
            if name == "warehouse":
                db.session.rollback()
    return results


def consumer_counters() -> dict[str, int]:
    """The consumer's counters from the live store (empty when it cannot be read)."""
    try:
        with closing(store.connect_reader(current_app.config["LIVE_DB_PATH"])) as conn:
            return store.get_counters(conn)
    except store.Error:
        return {}


def job_counts() -> dict[str, dict[str, int]]:
    """Per queue: jobs waiting, waiting for a retry, and failed for good (empty without Redis)."""
    connection = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2,
                                      socket_connect_timeout=2)
    try:
        return {name: {"queued": queue.count, "scheduled": len(queue.scheduled_job_registry),
                       "failed": len(queue.failed_job_registry)}
                for name, queue in ((name, Queue(name, connection=connection)) for name in QUEUES)}
    except redis.RedisError:
        return {}
    finally:
        connection.close()
