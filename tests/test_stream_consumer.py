"""consumer.py --simulate: an in-process fleet through the same pipeline, stopped cleanly by SIGTERM."""
import signal
import sqlite3
import subprocess
import sys

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaConnectionError, KafkaError

import consumer
from app.live import store
from app.stream.rides import Settings
from app.stream.writer import StoreWriter, WriterGone
from tests.test_stream_kafka import PROJECT, consumer_env, count
from tests.waiting import free_port, wait_for


def test_the_simulated_fleet_fills_the_live_store_and_sigterm_stops_it_cleanly(tmp_path, redis_url):
    live_db = tmp_path / "live.db"
    consumer = subprocess.Popen([sys.executable, str(PROJECT / "consumer.py"), "--simulate", "6",
                                 "--speed", "50", "--seed", "4"], cwd=PROJECT,
                                env=consumer_env(live_db, redis_url), stderr=subprocess.PIPE, text=True)
    wait_for(lambda: count(live_db, "SELECT COUNT(DISTINCT bike_serial) FROM readings") == 6)
    consumer.send_signal(signal.SIGTERM)
    _, stderr = consumer.communicate(timeout=30)  # reads and closes the pipe
    assert consumer.returncode == 0
    assert "consumer stopped cleanly" in stderr
    conn = store.connect(str(live_db))
    counters = store.get_counters(conn)
    assert counters["rides_started"] >= 6 and counters["readings"] > 0
    assert "quarantined" not in counters and "orphans" not in counters
    assert conn.execute("SELECT COUNT(*) FROM rides WHERE status = 'open'").fetchone()[0] == 6


class BrokerAway:
    """A Kafka consumer whose broker has gone (a restart): its poll raises, as kafka-python's does.
    (The test's own broker is shared and must not be stopped; the drills stop a real one.)"""

    def poll(self, timeout_ms):
        raise KafkaConnectionError("111 ECONNREFUSED")

    def assignment(self):
        return {TopicPartition("deloton", 0)}

    def paused(self):
        return set()

    def position(self, tp):
        return 0


class CallbackFailed(BrokerAway):
    """A Kafka consumer whose rebalance callback failed: kafka-python 3 raises the callback's error
    from poll() as the cause of a KafkaError."""

    def __init__(self, cause: Exception):
        self.cause = cause

    def poll(self, timeout_ms):
        raise KafkaError("User rebalance callback throws an error") from self.cause


@pytest.mark.parametrize("cause", [WriterGone("the writer ended"),
                                   sqlite3.OperationalError("database is locked")])
def test_a_rebalance_callback_error_stops_the_consumer_with_its_own_reason(tmp_path, cause):
    conn = store.connect(str(tmp_path / "live.db"))
    with pytest.raises(type(cause), match=str(cause)):
        consumer.poll(CallbackFailed(cause), StoreWriter(conn, Settings()), f"127.0.0.1:{free_port()}")
    assert conn.execute("SELECT COUNT(*) FROM consumer_failures").fetchone()[0] == 0


def test_a_broker_that_cannot_be_reached_is_waited_for_not_a_crash_nor_a_paused_partition(tmp_path):
    conn = store.connect(str(tmp_path / "live.db"))
    assert consumer.poll(BrokerAway(), StoreWriter(conn, Settings()), f"127.0.0.1:{free_port()}") == {}
    assert conn.execute("SELECT COUNT(*) FROM consumer_failures").fetchone()[0] == 0
