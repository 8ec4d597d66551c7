"""The two documented web servers, gunicorn and granian, serve the app as it is meant to be served:
pages and fragments with their security headers and compression, a bad request as a 400, an unknown
bike as a 404, and a bike's live figures from the live store."""
import signal
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
import requests

from app.live import store
from tests import factories
from tests.waiting import free_port, wait_for

PROJECT_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HTMX_POLL = {"HX-Request": "true", "HX-Target": "live-figures", "Accept-Encoding": "gzip"}


def server_command(server: str, port: int) -> list[str]:
    """The server's command line as docs/scaling.md gives it (one process here)."""
    if server == "granian":
        return [str(BIN / "granian"), "--interface", "wsgi", "--workers", "1", "--blocking-threads", "4",
                "--host", "127.0.0.1", "--port", str(port), "--no-ws", "wsgi:app"]
    return [str(BIN / "gunicorn"), "--no-control-socket", "-w", "1", "--threads", "4",
            "-b", f"127.0.0.1:{port}", "wsgi:app"]


@pytest.fixture(params=["gunicorn", "granian"])
def served(request, migrated_pg, tmp_path, redis_url):
    """A real server of the app on a free port, with a live store holding one ride in progress."""
    live = tmp_path / "live.db"
    with closing(store.connect(str(live))) as conn:
        start = factories.start_ride(conn, "SN0042", factories.JANE)
        factories.add_reading(conn, "SN0042", start, duration_s=30, heart_rate=131, power=187.5)
    port = free_port()
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "DATABASE_URL": migrated_pg, "LIVE_DB_PATH": str(live),
           "REDIS_URL": redis_url, "SECRET_KEY": "test-web-server", "DELOTON_VAR_DIR": str(tmp_path)}
    with open(tmp_path / "server.log", "w") as log:
        process = subprocess.Popen(server_command(request.param, port), cwd=PROJECT_DIR, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers(base), timeout_s=60, every_s=0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def answers(base: str) -> bool:
    """Whether the server answers /livez yet."""
    try:
        return requests.get(f"{base}/livez", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or still loading the app
        return False


def test_a_bikes_live_figures_come_compressed_with_the_sites_headers(served):
    answer = requests.get(f"{served}/bikes/SN0042", headers=HTMX_POLL, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"
    assert 'data-figure="hr">131' in answer.text and "Jane Doe" in answer.text


def test_the_fleet_page_lists_the_bike_and_refuses_a_bad_page_number(served):
    page = requests.get(served + "/", timeout=10)
    assert page.status_code == 200 and "SN0042" in page.text
    bad = requests.get(served + "/?page=abc", timeout=10)
    assert bad.status_code == 400 and "page must be a whole number" in bad.text


def test_an_unknown_bike_is_a_404_page(served):
    answer = requests.get(f"{served}/bikes/SN9999", timeout=10)
    assert answer.status_code == 404
    assert "SN9999" in answer.text
