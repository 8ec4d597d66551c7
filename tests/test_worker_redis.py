"""python -m worker outlives a Redis outage that starts while a job ends (RQ's own loop quits then)."""
import signal
import subprocess
import sys

import redis as redis_lib
from rq import Queue

from tests.test_stream_kafka import PROJECT
from tests.test_stream_outbox import start_private_redis
from tests.waiting import free_port, wait_for


def test_the_worker_works_again_once_a_redis_that_went_away_mid_job_is_back(app, tmp_path):
    port, marker = free_port(), tmp_path / "ran.txt"
    url = f"redis://127.0.0.1:{port}/0"
    server = start_private_redis(port, tmp_path)
    env = {"REDIS_URL": url, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "LIVE_DB_PATH": str(tmp_path / "live.db"), "PATH": "/usr/bin:/bin"}
    with open(tmp_path / "worker.log", "w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "worker", "alerts"], env=env, cwd=PROJECT,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        Queue("alerts", connection=redis_lib.Redis.from_url(url)).enqueue("tests.jobs_for_tests.stop_redis")
        server.wait(timeout=60)  # the job shut Redis down; RQ then fails to record the job's end
        server = start_private_redis(port, tmp_path)
        Queue("alerts", connection=redis_lib.Redis.from_url(url)).enqueue(
            "tests.jobs_for_tests.write_app_name", str(marker))
        wait_for(lambda: marker.exists() or worker.poll() is not None, timeout_s=60)
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        assert marker.read_text() == "app"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
