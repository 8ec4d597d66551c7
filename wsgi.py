"""WSGI entry point: `flask --app wsgi ...` and production servers load the app from here."""
from app import create_app

app = create_app()
