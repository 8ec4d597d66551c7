"""consumer.py --simulate: an in-process fleet through the same pipeline, stopped cleanly by SIGTERM."""
import signal
import subprocess
import sys

from app.live import store
from tests.test_stream_kafka import PROJECT, consumer_env, count
from tests.waiting import wait_for


def test_the_simulated_fleet_fills_the_live_store_and_sigterm_stops_it_cleanly(tmp_path, redis_url):
    live_db = tmp_path / "live.db"
    consumer = subprocess.Popen([sys.executable, str(PROJECT / "consumer.py"), "--simulate", "6",
                                 "--speed", "50", "--seed", "4"], cwd=PROJECT,
                                env=consumer_env(live_db, redis_url), stderr=subprocess.PIPE, text=True)
    wait_for(lambda: count(live_db, "SELECT COUNT(DISTINCT bike_serial) FROM readings") == 6)
    consumer.send_signal(signal.SIGTERM)
    _, stderr = consumer.communicate(timeout=30)  # reads and closes the pipe
    assert consumer.returncode == 0
    assert "consumer stopped cleanly" in stderr
    conn = store.connect(str(live_db))
    counters = store.get_counters(conn)
    assert counters["rides_started"] >= 6 and counters["readings"] > 0
    assert "quarantined" not in counters and "orphans" not in counters
    assert conn.execute("SELECT COUNT(*) FROM rides WHERE status = 'open'").fetchone()[0] == 6
