"""`flask --app wsgi deloton create-api-key | list-api-keys | revoke-api-key`."""
import click

from app.cli import deloton
from app.services.accounts import api_keys


@deloton.command("create-api-key")
@click.option("--role", type=click.Choice(api_keys.ROLES), required=True,
              help="reader: GET without riders' contact details; pii: GET with them; "
                   "admin: GET with them and DELETE")
@click.option("--name", default="", help="who or what the key is for")
def create_api_key(role: str, name: str) -> None:
    """Make an API key; it is printed once, as the last line, and only its hash is kept."""
    key = api_keys.create_api_key(role, name)
    click.echo(f"Created a {role} key. Store it now: it cannot be shown again.")
    click.echo(key)


@deloton.command("list-api-keys")
def list_api_keys() -> None:
    """List keys by prefix, role, name and state (never the keys themselves)."""
    for key in api_keys.list_api_keys():
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
        click.echo(f"{key.key_prefix}  {key.role:<6}  {state:<18}  last used {used}  {key.name}")


@deloton.command("revoke-api-key")
@click.argument("prefix")
def revoke_api_key(prefix: str) -> None:
    """Revoke the key whose prefix (the 8 characters after `dlk_`) is PREFIX."""
    if not api_keys.revoke_api_key(prefix):
        raise click.ClickException(f"no active key with prefix {prefix}")
    click.echo(f"Revoked {prefix}.")
