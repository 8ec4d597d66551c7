"""The `flask --app wsgi deloton ...` command group; each feature adds its commands here."""
import json

import click
from flask import current_app
from flask.cli import AppGroup

from app.live import store

deloton = AppGroup("deloton", help="Deloton Live operations.")


@deloton.command("stats")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def stats(as_json: bool) -> None:
    """Print the consumer's counters (quarantined, dropped halves, orphans, duplicates...)."""
    with store.connect(current_app.config["LIVE_DB_PATH"]) as conn:
        counters = store.get_counters(conn)
    if as_json:
        click.echo(json.dumps(counters, indent=2, sort_keys=True))
        return
    for name, value in sorted(counters.items()):
        click.echo(f"{name:<24}{value:>12}")
    if not counters:
        click.echo("no counters yet: the consumer has not stored anything")

from app.cli import staff  # noqa: E402,F401  (registers its commands on the group)
