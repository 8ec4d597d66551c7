"""Real producers: every Kafka codec, from kafka-python and from librdkafka (confluent-kafka), read by
consumer.py on the real broker; a batch the consumer cannot decode pauses its partition, visibly."""
import json
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from app.stream.simulate import Fleet
from tests.conftest import KAFKA_SERVERS, REDIS_BASE_URL, REDIS_DB
from tests.stream_helpers import value
from tests.test_stream_kafka import consumer_env, finish, log_of, read_store, start_consumer

pytestmark = pytest.mark.slow
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
# The fleet's clock is the wall clock: no alert of this stream is stale while the tests run.
FRESH = {"ALERT_MAX_AGE_S": 10 ** 9}


def fleet_stream() -> list[tuple[bytes, bytes]]:
    """Four bikes, several rides each (every ride ended), as (key, value) messages."""
    fleet, stream = Fleet(4, seed=21, ride_s=40), []
    for _ in range(150):
        stream.extend(fleet.tick())
    stream.extend((bike.serial.encode(), value("--------- beginning of a new ride"))
                  for bike in fleet.bikes)
    return stream


def produce_kafka_python(topic: str, codec: str, stream) -> None:
    """kafka-python, batching lines as a gateway would, its default partitioner (murmur2)."""
    producer = KafkaProducer(bootstrap_servers=KAFKA_SERVERS, linger_ms=50, batch_size=256 * 1024,
                             compression_type=None if codec == "none" else codec)
    for key, raw in stream:
        producer.send(topic, key=key, value=raw)
    producer.flush()
    producer.close()


def produce_librdkafka(topic: str, codec: str, stream) -> None:
    """librdkafka through confluent-kafka, with its own default partitioner (consistent_random)."""
    producer = Producer({"bootstrap.servers": KAFKA_SERVERS, "compression.type": codec,
                         "linger.ms": 50})
    for key, raw in stream:
        producer.produce(topic, key=key, value=raw)
        producer.poll(0)
    assert producer.flush(30) == 0


PRODUCERS = {"kafka-python": produce_kafka_python, "librdkafka": produce_librdkafka}
# (kafka-python, none) is the reference run itself.
CASES = [(client, codec) for client in PRODUCERS for codec in CODECS
         if (client, codec) != ("kafka-python", "none")]


@pytest.fixture(scope="module")
def topics():
    """Creates topics (4 partitions) for the module's tests; deletes them afterwards."""
    admin = KafkaAdminClient(bootstrap_servers=KAFKA_SERVERS, request_timeout_ms=10000)
    made = []

    def make() -> str:
        name = f"deloton-codec-{uuid.uuid4().hex[:10]}"
        admin.create_topics([NewTopic(name, num_partitions=4, replication_factor=1)])
        made.append(name)
        return name

    yield make
    admin.delete_topics(made)
    admin.close()


def consume(topic: str, live_db: Path, **extra) -> dict:
    """Backfill the whole topic with consumer.py into a fresh live store; its snapshot."""
    env = consumer_env(live_db, f"{REDIS_BASE_URL}/{REDIS_DB}", **FRESH, **extra)
    finish(start_consumer(topic, f"g-{uuid.uuid4().hex[:8]}", env, idle_s=3,
                          extra_args=["--from-beginning"]))
    return read_store(live_db)


@pytest.fixture(scope="module")
def stream_and_reference(topics, tmp_path_factory):
    """The stream, and what the consumer makes of it produced uncompressed by kafka-python."""
    stream = fleet_stream()
    topic = topics()
    produce_kafka_python(topic, "none", stream)
    reference = consume(topic, tmp_path_factory.mktemp("reference") / "live.db")
    return stream, reference


def test_the_uncompressed_reference_run_has_every_ride_of_every_bike(stream_and_reference):
    stream, reference = stream_and_reference
    assert len({ride[0] for ride in reference["rides"]}) == 4
    assert len(reference["rides"]) >= 12 and all(ride[6] == "ended" for ride in reference["rides"])
    readings = sum(b"Telemetry" in raw for _, raw in stream)
    assert len(reference["readings"]) == readings and not reference["quarantine"]


@pytest.mark.parametrize(("client", "codec"), CASES)
def test_every_codec_from_either_client_gives_the_same_rides(client, codec, stream_and_reference,
                                                             topics, tmp_path):
    stream, reference = stream_and_reference
    topic = topics()
    PRODUCERS[client](topic, codec, stream)
    assert consume(topic, tmp_path / "live.db") == reference


def without_zstandard(tmp_path: Path) -> str:
    """A PYTHONPATH on which `import zstandard` fails, as on a consumer installed without it."""
    shadow = tmp_path / "no-zstandard" / "zstandard"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("zstandard is not installed")\n')
    return str(shadow.parent)


def filled(topic: str) -> list[int]:
    """The partitions of the topic that hold messages (four keys may share a partition)."""
    reader = KafkaConsumer(bootstrap_servers=KAFKA_SERVERS, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in range(4)]
        return sorted(tp.partition for tp, end in reader.end_offsets(partitions).items() if end > 0)
    finally:
        reader.close()


def test_a_batch_the_consumer_cannot_decode_pauses_its_partition_visibly_until_fixed(
        app, stream_and_reference, topics, tmp_path):
    stream, reference = stream_and_reference
    topic = topics()
    produce_kafka_python(topic, "zstd", stream)
    live_db = Path(app.config["LIVE_DB_PATH"])
    env = consumer_env(live_db, app.config["REDIS_URL"], **FRESH, PYTHONPATH=without_zstandard(tmp_path))
    group = f"g-{uuid.uuid4().hex[:8]}"
    broken = start_consumer(topic, group, env, idle_s=6, extra_args=["--from-beginning"])
    finish(broken)  # no crash: the other partitions would go on

    log = log_of(broken)
    lines = [line for line in log.splitlines() if "cannot be read at offset 0" in line]
    assert "Traceback" not in log  # one clear line per partition, naming it
    assert sorted(int(line.split(f"partition {topic}/")[1][0]) for line in lines) == filled(topic)
    assert all("Libraries for zstd compression codec not found" in line for line in lines)
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["checks"]["consumer"] == {"ok": False}
    assert "zstd" not in health.get_data(as_text=True)  # the public page names the part only
    stats = json.loads(app.test_cli_runner().invoke(args=["deloton", "stats", "--json"]).output)
    assert stats["consumer"] == "failing"
    assert sorted(row["partition"] for row in stats["consumer_failures"]) == filled(topic)
    assert all(row["offset"] == 0 and "zstd" in row["reason"] for row in stats["consumer_failures"])
    table = app.test_cli_runner().invoke(args=["deloton", "stats"]).output
    assert "FAILING" in table and "paused at offset 0" in table

    # The operator installs the codec and restarts: every ride lands, the failure is gone.
    env.pop("PYTHONPATH")
    finish(start_consumer(topic, group, env, idle_s=3, extra_args=["--from-beginning"]))
    assert read_store(live_db) == reference
    assert app.test_client().get("/healthz").get_json()["checks"]["consumer"] == {"ok": True}
    assert "FAILING" not in app.test_cli_runner().invoke(args=["deloton", "stats"]).output
