"""`python -m worker.cron`: the one process that runs the daily schedule with RQ's own cron."""
import os
import time

from rq.cron import CronScheduler

from app import start_app
from worker import connect_redis


def build_scheduler(app, connection) -> CronScheduler:
    """A CronScheduler with the daily report registered at REPORT_CRON."""
    from worker.jobs import build_daily_report

    scheduler = CronScheduler(connection=connection, name="deloton-cron")
    scheduler.register(build_daily_report, queue_name="reports", cron=app.config["REPORT_CRON"],
                       job_timeout=1800)
    return scheduler


def use_local_time_zone(tz_name: str) -> None:
    """RQ's cron reads the process's local time, so make it DELOTON_TZ."""
    os.environ["TZ"] = tz_name
    time.tzset()


def main() -> None:
    """Start the schedule and run until SIGTERM/SIGINT."""
    app = start_app()
    use_local_time_zone(app.config["DELOTON_TZ"])
    connection = connect_redis(app.config["REDIS_URL"])
    build_scheduler(app, connection).start()


if __name__ == "__main__":
    main()
