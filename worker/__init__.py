"""Background work: the RQ jobs (worker.jobs), the worker process and the cron schedule."""
import time

import redis

from app.services.jobs import QUEUES  # noqa: F401  (python -m worker's default queues)



def connect_redis(url: str, wait_s: float = 30.0) -> redis.Redis:
    """Connect to Redis, waiting for it to come up (it may start after us)."""
    connection = redis.Redis.from_url(url)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            connection.ping()
            return connection
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
