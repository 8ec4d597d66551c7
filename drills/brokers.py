"""Private Kafka and Redis servers for the drills, on free ports, which a drill may stop and start.

The test services on the usual ports (5432/6379/9092) are never touched by the drills.
"""
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis as redis_lib
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError

from tests.waiting import free_port
from tests.test_stream_outbox import start_private_redis

PROJECT = Path(__file__).resolve().parent.parent
KAFKA_LIBS = Path(os.environ.get("KAFKA_LIBS", Path.home() / ".cache/deloton/kafka/libs"))
KAFKA_PROPERTIES = PROJECT / "scripts/kafka/server.properties"


class PrivateKafka:
    """A single-node KRaft broker (the jars of scripts/services.sh) with its storage in a temp dir."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="deloton-kafka-"))
        self.port, controller = free_port(), free_port()
        self.servers = f"127.0.0.1:{self.port}"
        self.conf = self.dir / "server.properties"
        self.conf.write_text(self._properties(controller))
        self.process = None
        cluster = self._java("kafka.tools.StorageTool", "random-uuid").stdout.strip().splitlines()[-1]
        self._java("kafka.tools.StorageTool", "format", "-t", cluster, "-c", str(self.conf))

    def _properties(self, controller: int) -> str:
        lines = [line for line in KAFKA_PROPERTIES.read_text().splitlines()
                 if not line.startswith(("listeners=", "advertised.listeners=",
                                         "controller.quorum.voters=", "log.dirs="))]
        return "\n".join([*lines, f"controller.quorum.voters=1@127.0.0.1:{controller}",
                          f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{controller}",
                          f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                          f"log.dirs={self.dir / 'data'}", ""])

    def _command(self, *args: str) -> list[str]:
        return ["java", "-Xms128m", "-Xmx384m",
                f"-Dlog4j.configuration=file:{PROJECT / 'scripts/kafka/log4j.properties'}",
                "-cp", f"{KAFKA_LIBS}/*", *args]

    def _java(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(self._command(*args), check=True, capture_output=True, text=True,
                              timeout=120)

    def start(self, timeout_s: float = 120) -> float:
        """Start the broker; return the seconds it took to answer."""
        began = time.monotonic()
        with open(self.dir / "kafka.log", "a") as log:
            self.process = subprocess.Popen(self._command("kafka.Kafka", str(self.conf)),
                                            stdout=log, stderr=subprocess.STDOUT)
        while time.monotonic() - began < timeout_s:
            if self.answers():
                return time.monotonic() - began
            if self.process.poll() is not None:
                break
            time.sleep(0.25)
        raise RuntimeError(f"private Kafka did not start: {(self.dir / 'kafka.log').read_text()[-2000:]}")

    def answers(self) -> bool:
        """Whether the broker serves metadata requests."""
        try:
            KafkaAdminClient(bootstrap_servers=self.servers, request_timeout_ms=2000).close()
            return True
        except (KafkaError, OSError, ValueError):
            return False

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), as an operator restarting the broker does."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.process = None

    def create_topic(self, name: str, partitions: int = 4) -> None:
        """A topic of this broker."""
        admin = KafkaAdminClient(bootstrap_servers=self.servers, request_timeout_ms=20000)
        try:
            admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
        finally:
            admin.close()

    def destroy(self) -> None:
        """Stop the broker and remove its files."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A redis-server of the drills' own; append-only persistence, so a stop keeps queued jobs (as a
    production Redis that RQ relies on must)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="deloton-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        """Start the server (reloading its append-only file) and wait until it answers."""
        self.process = start_private_redis(self.port, self.dir, "--appendonly", "yes",
                                           "--appendfsync", "always")

    def stop(self) -> None:
        """SIGTERM: redis-server writes its data out and exits."""
        self.process.terminate()
        self.process.wait(timeout=30)

    def flush(self) -> None:
        """Empty the database between runs."""
        redis_lib.Redis.from_url(self.url).flushdb()

    def destroy(self) -> None:
        """Stop the server and remove its files."""
        if self.process is not None and self.process.poll() is None:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
