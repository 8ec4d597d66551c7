"""`flask --app wsgi deloton create-staff-user`: an account for the staff pages."""
import sys

import click

from app.cli import deloton
from app.services.accounts.staff_users import create_staff_user


@deloton.command("create-staff-user")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_staff_user_command(username: str, password_stdin: bool) -> None:
    """Create a staff account (or reset its password); asks for the password unless piped."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        create_staff_user(username, password)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"staff user {username.strip()} is ready: log in at /staff/login")
