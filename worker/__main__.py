"""`python -m worker [--burst] [QUEUE ...]`: an RQ worker that runs each job in the app's context."""
import argparse

from rq import SimpleWorker

from app import start_app
from worker import QUEUES, connect_redis


class AppWorker(SimpleWorker):
    """An RQ worker whose jobs run inside a Flask app context (database session, mail, config)."""

    flask_app = None

    def perform_job(self, job, queue, *args, **kwargs):
        """Run the job inside the app context (a fresh database session per job)."""
        with self.flask_app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and work the queues."""
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit once the queues are empty")
    parser.add_argument("queues", nargs="*", default=list(QUEUES), help="queues to work (default: all)")
    args = parser.parse_args(argv)
    app = start_app()
    AppWorker.flask_app = app
    connection = connect_redis(app.config["REDIS_URL"])
    # The scheduler moves jobs whose retry backoff has elapsed back onto their queue; without
    # it a retried job would never run again.
    AppWorker(args.queues, connection=connection).work(burst=args.burst, with_scheduler=True)


if __name__ == "__main__":
    main()
