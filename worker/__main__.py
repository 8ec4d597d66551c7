"""`python -m worker [--burst] [QUEUE ...]`: an RQ worker that runs each job in the app's context."""
import argparse
import logging
import signal
import time

import redis
from rq import SimpleWorker

from app import start_app
from worker import QUEUES, connect_redis

log = logging.getLogger(__name__)


class AppWorker(SimpleWorker):
    """An RQ worker whose jobs run inside a Flask app context (database session, mail, config)."""

    flask_app = None
    stop_asked = False

    def perform_job(self, job, queue, *args, **kwargs):
        """Run the job inside the app context (a fresh database session per job)."""
        with self.flask_app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)

    def handle_warm_shutdown_request(self):
        """Remember a stop asked for (SIGTERM, Ctrl-C), as against RQ's loop giving up on an error."""
        self.stop_asked = True
        super().handle_warm_shutdown_request()


def work(queues: list[str], connection: redis.Redis, burst: bool) -> None:
    """Work the queues until asked to stop (or, with burst, until they are empty). RQ's loop quits
    when Redis goes away while it records a job's end; then a new loop starts once Redis is back
    (the job itself is done or, abandoned, retried by RQ: every job is idempotent)."""
    while True:
        worker = AppWorker(queues, connection=connection)
        try:
            # The scheduler moves jobs whose retry backoff has elapsed back onto their queue;
            # without it a retried job would never run again.
            worker.work(burst=burst, with_scheduler=True)
            if worker.stop_asked or burst:
                return
        except redis.RedisError as error:  # RQ's teardown could not reach Redis either
            if worker.stop_asked:
                return
            log.warning("the worker lost Redis (%s): working again once it is back", error)
        # Nothing is in flight: a stop asked for while waiting for Redis just ends the process.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _wait_for(connection)
        if worker.scheduler is not None:
            # Free its scheduler's locks, or the new loop's scheduler would wait for them to expire
            # (RQ then tries again only every 10 minutes, and retries would wait as long).
            worker.scheduler.release_locks()


def _wait_for(connection: redis.Redis) -> None:
    """Block until Redis answers again (at least a second: never a busy loop)."""
    while True:
        time.sleep(1)
        try:
            connection.ping()
            return
        except redis.RedisError:
            pass


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and work the queues."""
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit once the queues are empty")
    parser.add_argument("queues", nargs="*", default=list(QUEUES), help="queues to work (default: all)")
    args = parser.parse_args(argv)
    app = start_app()
    AppWorker.flask_app = app
    work(args.queues, connect_redis(app.config["REDIS_URL"]), args.burst)


if __name__ == "__main__":
    main()
