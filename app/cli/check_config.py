"""`flask --app wsgi deloton check-config`: the settings in force, and each bad one named."""
import os

import click
from flask import current_app

from app.cli import deloton
from app.config import SETTINGS
from app.settings import read, show


@deloton.command("check-config")
def check_config() -> None:
    """Print the settings in force (secrets masked); exit non-zero naming each bad setting."""
    _, problems = read(SETTINGS, os.environ)
    for setting in SETTINGS:
        raw = os.environ.get(setting.name, "")
        if setting.name in problems:
            value, source = raw, "refused"
        else:
            value, source = current_app.config[setting.config_key], "environment" if raw else "default"
        click.echo(f"{setting.name:<26}{show(setting, value)}  ({source})")
    for line in problems.values():
        click.echo(line, err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"all {len(SETTINGS)} settings are allowed")
