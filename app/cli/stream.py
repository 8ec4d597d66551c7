"""`flask deloton simulate` and `flask deloton replay`: produce bikes' lines to Kafka."""
from pathlib import Path

import click
from flask import current_app

from app.cli import deloton
from app.stream import produce


def _producer_and_topic(topic: str | None):
    config = current_app.config
    return produce.build_producer(config["KAFKA_BOOTSTRAP_SERVERS"]), topic or config["KAFKA_TOPIC"]


@deloton.command("simulate")
@click.option("--bikes", type=click.IntRange(min=1), default=12, show_default=True)
@click.option("--speed", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="simulated seconds per second; 0 sends as fast as it can")
@click.option("--seed", type=int, default=None, help="the same seed gives the same fleet")
@click.option("--seconds", type=click.IntRange(min=1), default=None,
              help="stop after this many simulated seconds (default: run until Ctrl-C)")
@click.option("--topic", default=None, help="default: KAFKA_TOPIC")
@click.option("--ride-seconds", type=click.IntRange(min=2), default=None,
              help="rides last between half this and this many seconds (default: 2 minutes to an hour)")
def simulate(bikes: int, speed: float, seed: int | None, seconds: int | None, topic: str | None,
             ride_seconds: int | None):
    """Produce a realistic simulated fleet to Kafka, each bike keyed by its serial."""
    producer, topic = _producer_and_topic(topic)
    try:
        sent, _ = produce.produce_fleet(producer, topic, bikes, speed, seed, seconds, ride_seconds)
    except KeyboardInterrupt:
        sent = None
    finally:
        producer.close()
    click.echo(f"sent {sent} messages to {topic}" if sent is not None else "stopped")


@deloton.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", default=None, help="send every line with this key (default: unkeyed)")
@click.option("--speed", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="replay speed factor; 0 sends as fast as it can")
@click.option("--topic", default=None, help="default: KAFKA_TOPIC")
def replay(file: Path, key: str | None, speed: float, topic: str | None):
    """Produce a recorded .log or .jsonl file to Kafka."""
    if file.suffix not in (".log", ".jsonl"):
        raise click.BadParameter("give a .log or .jsonl recording", param_hint="FILE")
    producer, topic = _producer_and_topic(topic)
    try:
        sent = produce.replay(producer, topic, produce.recorded_values(file), key, speed)
    finally:
        producer.close()
    click.echo(f"sent {sent} messages to {topic}")
