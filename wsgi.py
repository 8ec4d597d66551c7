"""WSGI entry point: `flask --app wsgi ...` and production servers load the app from here."""
import gc
import sys

from app import start_app

# `deloton check-config` must start despite bad settings, to show them; every other start refuses.
CHECKING_CONFIG = sys.argv[-2:] == ["deloton", "check-config"]
app = start_app(check_settings=not CHECKING_CONFIG)

# What the start made (modules, the app, its extensions) lives as long as the process: kept out of
# the garbage collector's reach, a full collection scans only what requests leave behind. Measured in
# a web process serving hundreds of screens, each full collection stopped every thread for about
# 115 ms, which was the live pages' p99; 2-4 ms after this (docs/web.md, "The web server").
gc.freeze()
