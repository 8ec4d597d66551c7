"""The real services answer: a message through Kafka, a job through Redis and RQ."""
import json
import signal
import subprocess
import sys
import time
import uuid

from kafka import KafkaConsumer, KafkaProducer
from rq import Queue

from tests.conftest import KAFKA_SERVERS


def test_a_message_goes_through_the_real_kafka_broker(kafka_topic):
    producer = KafkaProducer(bootstrap_servers=KAFKA_SERVERS)
    value = json.dumps({"log": "--------- beginning of main\n"}).encode()
    producer.send(kafka_topic, key=b"SD2e4219ce4a", value=value)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(kafka_topic, bootstrap_servers=KAFKA_SERVERS, group_id=uuid.uuid4().hex,
                             auto_offset_reset="earliest", consumer_timeout_ms=15000)
    received = next(iter(consumer))
    consumer.close()
    assert received.key == b"SD2e4219ce4a"
    assert json.loads(received.value) == {"log": "--------- beginning of main\n"}


def test_the_worker_runs_a_queued_job_in_the_app_context(app, redis_conn, redis_url, tmp_path):
    marker = tmp_path / "ran.txt"
    Queue("closeout", connection=redis_conn).enqueue("tests.jobs_for_tests.write_app_name",
                                                     str(marker))
    env = {"REDIS_URL": redis_url, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "LIVE_DB_PATH": str(tmp_path / "live.db"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "worker", "--burst", "closeout"], env=env, check=True,
                   timeout=60, capture_output=True)
    assert marker.read_text() == "app"


def test_the_embedded_redis_serves_rq_without_any_service(tmp_path):
    socket_path = tmp_path / "redis.sock"
    server = subprocess.Popen([sys.executable, "-m", "worker.embedded_redis", str(socket_path)])
    try:
        from worker import connect_redis

        connection = connect_redis(f"unix://{socket_path}", wait_s=15)
        job = Queue("alerts", connection=connection).enqueue("tests.jobs_for_tests.add", 2, 3)
        from rq import SimpleWorker

        SimpleWorker(["alerts"], connection=connection).work(burst=True)
        assert job.latest_result().return_value == 5
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_embedded_redis_outlives_a_stop_signal_long_enough_for_the_worker_to_finish(tmp_path):
    # `make run` stops every process at once: the worker's warm shutdown still needs Redis.
    from worker import connect_redis

    socket_path = tmp_path / "redis.sock"
    server = subprocess.Popen([sys.executable, "-m", "worker.embedded_redis", str(socket_path)])
    try:
        connection = connect_redis(f"unix://{socket_path}", wait_s=15)
        server.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert connection.set("deloton:lock", "released") and connection.ping()
        assert server.wait(timeout=10) == 0
        assert not socket_path.exists()
    finally:
        server.kill()
