"""The web app's live store connection: one per request or app context, closed when it ends."""
import sqlite3

import pytest

from app.live.db import get_live
from tests.conftest import make_config


def test_the_live_store_connection_is_shared_within_a_context_and_closed_when_it_ends(tmp_path, redis_url,
                                                                                        app_factory):
    app = app_factory(make_config(f"sqlite:///{tmp_path / 'warehouse.db'}", str(tmp_path / "live.db"), redis_url))
    with app.app_context():
        conn = get_live()
        assert get_live() is conn
        assert conn.execute("SELECT COUNT(*) FROM bikes").fetchone()[0] == 0  # created on first use
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        conn.execute("SELECT 1")
    with app.app_context():
        assert get_live() is not conn
