"""The `flask --app wsgi deloton ...` command group; each feature adds its commands here."""
import json
from contextlib import closing

import click
from flask import current_app
from flask.cli import AppGroup

from app.live import queries, store
from app.services import health
from app.stream.pipeline import COUNTERS

deloton = AppGroup("deloton", help="Deloton Live operations.")


@deloton.command("stats")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def stats(as_json: bool) -> None:
    """Print whether the consumer is failing (and why), its counters (quarantined, dropped
    halves, ...) and failed jobs per queue."""
    with closing(store.connect_reader(current_app.config["LIVE_DB_PATH"])) as conn:
        counters = {name: 0 for name in COUNTERS} | store.get_counters(conn)
        reasons = queries.quarantine_reasons(conn, limit=20)
        failing = store.get_failures(conn)
    # Jobs that failed for good (retries used up) stay in RQ's failed registry until requeued.
    failed = {f"failed_jobs_{queue}": counts["failed"] for queue, counts in health.job_counts().items()}
    counters |= failed
    if as_json:
        click.echo(json.dumps(counters | {"consumer": "failing" if failing else "ok",
                                          "consumer_failures": failing}, indent=2, sort_keys=True))
        return
    # The consumer's state first: a paused partition is what the operator must act on.
    click.echo(f"{'consumer':<24}{'FAILING' if failing else 'ok':>12}")
    for row in failing:
        click.echo(f"  partition {row['topic']}/{row['partition']} paused at offset {row['offset']} "
                   f"since {row['since']}: {row['reason']} (docs/reliability.md)")
    for name, value in sorted(counters.items()):
        click.echo(f"{name:<24}{value:>12}")
    for reason, count in reasons:
        click.echo(f"  quarantined: {reason}: {count}")


def register_feature_commands() -> None:
    """Import the modules that add their commands to the `deloton` group."""
    from app.cli import api_keys  # noqa: F401
    from app.cli import check_config  # noqa: F401
    from app.cli import report  # noqa: F401
    from app.cli import staff  # noqa: F401
    from app.cli import stream  # noqa: F401
