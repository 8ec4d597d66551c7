"""The web app's connection to the live store: opened once per request, closed with the app context.

As flaskr's db.py: `get_live()` opens it on first use and keeps it in `g`; `init_app(app)` registers
`close_live` with teardown_appcontext, so it is closed whichever blueprint served the request."""
from flask import Flask, current_app, g

from app.live import store

# The key in `g` under which a request keeps its connection.
KEY = "live_db"


def get_live() -> store.Connection:
    """This request's read-only connection to the live store (the consumer writes it)."""
    if KEY not in g:
        path = current_app.config["LIVE_DB_PATH"]
        store.ensure_created(path)  # a fresh install: create the empty store once
        setattr(g, KEY, store.connect(path, readonly=True))
    return getattr(g, KEY)


def close_live(_error=None) -> None:
    """Close the request's live store connection, if one was opened."""
    conn = g.pop(KEY, None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    """Close the live store connection at the end of every app context."""
    app.teardown_appcontext(close_live)
