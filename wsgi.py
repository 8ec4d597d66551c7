"""WSGI entry point: `flask --app wsgi ...` and production servers load the app from here."""
import sys

from app import start_app

# `deloton check-config` must start despite bad settings, to show them; every other start refuses.
CHECKING_CONFIG = sys.argv[-2:] == ["deloton", "check-config"]
app = start_app(check_settings=not CHECKING_CONFIG)
