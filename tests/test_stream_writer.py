"""The consumer's live-store writer in its own process (app/stream/writer.py): it stores what the
Kafka side hands it, refuses a partition another consumer holds, and says why it cannot start."""
import os
import subprocess
import sys
import time
from contextlib import closing

import psutil
import pytest

from app.live import schema, store
from app.stream.fence import Leases
from app.stream.pipeline import Message
from app.stream.rides import Settings
from app.stream.simulate import Fleet
from app.stream.writer import StoreWriter, WriterProcess
from tests.test_stream_kafka import PROJECT, consumer_env, start_consumer
from tests.waiting import wait_for

TOPIC = "deloton"


def batches(count: int, bikes: int = 3) -> list[list[Message]]:
    """`count` simulated seconds of a small fleet, one batch a second, on partition 0."""
    fleet, offset, found = Fleet(bikes, seed=3), 0, []
    for _ in range(count):
        batch = []
        for key, value in fleet.tick():
            batch.append(Message(TOPIC, 0, offset, key, value))
            offset += 1
        found.append(batch)
    return found


@pytest.fixture()
def writer(tmp_path):
    """A writer process over a fresh SQLite live store; the store's path with it."""
    path = str(tmp_path / "live.db")
    process = WriterProcess(lambda: StoreWriter(store.connect(path), Settings()))
    yield process, path
    process.close()


def counters(path: str) -> dict:
    with closing(store.connect(path, readonly=True)) as conn:
        return store.get_counters(conn)


def test_the_writer_stores_each_batch_handed_over_and_says_where_a_partition_resumes(writer):
    process, path = writer
    assert process.take([(TOPIC, 0)], 1, "member-a") == {(TOPIC, 0): None}
    sent = batches(30)
    for batch in sent:
        process.submit(batch, {0: 0.0})
        assert process.result() is True
    total = sum(len(batch) for batch in sent)
    assert counters(path)["messages"] == total
    assert process.positions([(TOPIC, 0)]) == {(TOPIC, 0): total}


def test_a_partition_leased_to_another_consumer_is_refused_and_nothing_is_written(writer):
    process, path = writer
    first, second = batches(2)
    process.take([(TOPIC, 0)], 1, "member-a")
    process.submit(first, {0: 0.0})
    assert process.result() is True
    with closing(store.connect(path)) as other:  # a rebalance gave the partition to another member
        Leases().take(other, [(TOPIC, 0)], 2, "member-b")
    process.submit(second, {0: 0.0})
    assert process.result() is False
    assert counters(path)["messages"] == len(first)
    assert process.positions([(TOPIC, 0)]) == {(TOPIC, 0): len(first)}


def test_a_revoked_partition_is_not_written_by_the_next_batch(writer):
    process, path = writer
    first, second = batches(2)
    process.take([(TOPIC, 0)], 1, "member-a")
    process.submit(first, {0: 0.0})
    process.release([(TOPIC, 0)])  # as the Kafka client calls back, with a batch in flight
    assert process.result() is True
    process.submit(second, {0: 0.0})
    assert process.result() is False
    assert counters(path)["messages"] == len(first)


def test_a_live_store_the_writer_cannot_open_stops_the_consumer_with_the_reason(tmp_path, redis_url):
    path = tmp_path / "live.db"
    with closing(store.connect(str(path))) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (schema.VERSION + 1,))
        conn.commit()
    done = subprocess.run([sys.executable, str(PROJECT / "consumer.py"), "--topic", "unused"],
                          env=consumer_env(path, redis_url), cwd=PROJECT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert f"newer than this code's {schema.VERSION}" in done.stderr
    assert "consumer stopped cleanly" not in done.stderr


def test_a_writer_whose_consumer_is_gone_finishes_and_ends(tmp_path):
    path = str(tmp_path / "live.db")
    read_end, write_end = os.pipe()
    # A consumer in a child process, killed with its batch's answer unread in the pipe (where a
    # consumer blocked in poll() is nearly always): its writer must end quietly, not linger.
    script = ("import os, time; from app.live import store; from app.stream.rides import Settings; "
              "from app.stream.writer import StoreWriter, WriterProcess; "
              "from tests.test_stream_writer import TOPIC, batches; "
              f"w = WriterProcess(lambda: StoreWriter(store.connect({path!r}), Settings())); "
              f"os.write({write_end}, str(w.process.pid).encode()); os.close({write_end}); "
              "w.take([(TOPIC, 0)], 1, 'member-a'); w.submit(batches(1)[0], {0: 0.0}); time.sleep(1); "
              "os.kill(os.getpid(), 9)")
    consumer = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, pass_fds=(write_end,),
                              capture_output=True, text=True, timeout=60)
    os.close(write_end)
    writer_pid = int(os.read(read_end, 32))
    os.close(read_end)
    assert consumer.returncode == -9
    assert wait_gone(writer_pid, 30)
    assert "the consumer is gone: the live-store writer stops" in consumer.stderr
    assert "Traceback" not in consumer.stderr
    assert counters(path)["messages"] == len(batches(1)[0])  # the batch it had was stored


def wait_gone(pid: int, timeout_s: float) -> bool:
    """Whether the process `pid` (not our child) has ended within `timeout_s`; a zombie has ended."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("moment", ["starting", "reading"])
def test_a_consumer_whose_writer_dies_stops_with_an_error_instead_of_hanging(tmp_path, redis_url,
                                                                             kafka_topic, moment):
    consumer = start_consumer(kafka_topic, "writer-dies", consumer_env(tmp_path / "live.db", redis_url),
                              idle_s=120)
    try:
        writer = wait_for(lambda: writer_of(consumer))
        if moment == "reading":  # past the assignment: the writer dies between batches
            wait_for(lambda: "has no saved position" in consumer.log_path.read_text())
        writer.kill()  # as the kernel's out-of-memory killer would
        assert consumer.wait(timeout=60) != 0
    finally:
        if consumer.poll() is None:
            consumer.kill()
    assert "WriterGone: the live-store writer process ended (exit status -9)" in consumer.log_path.read_text()


def test_sigterm_stops_both_processes_cleanly_after_the_batch_in_flight(tmp_path, redis_url, kafka_topic):
    consumer = start_consumer(kafka_topic, "sigterm", consumer_env(tmp_path / "live.db", redis_url),
                              idle_s=120)
    try:
        writer = wait_for(lambda: writer_of(consumer))
        wait_for(lambda: "has no saved position" in consumer.log_path.read_text())
        consumer.terminate()  # SIGTERM to the Kafka side alone, as `kill <pid>` sends it
        assert consumer.wait(timeout=60) == 0
    finally:
        if consumer.poll() is None:
            consumer.kill()
    assert wait_gone(writer.pid, 30)
    assert "consumer stopped cleanly" in consumer.log_path.read_text()


def writer_of(consumer: subprocess.Popen):
    """The consumer's writer process once forked (a child with the consumer's own command line; a
    passing child of another kind, such as a library's `ldconfig -p`, is not it), or None."""
    parent = psutil.Process(consumer.pid)
    try:
        return next((child for child in parent.children() if child.cmdline() == parent.cmdline()), None)
    except psutil.NoSuchProcess:
        return None
