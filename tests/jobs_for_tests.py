"""Small importable jobs used by the tests of the worker plumbing."""
from flask import current_app


def write_app_name(path: str) -> None:
    """Prove the job ran inside the Flask app context."""
    with open(path, "w") as handle:
        handle.write(current_app.name)


def add(a: int, b: int) -> int:
    """A job with a result."""
    return a + b


def stop_redis() -> None:
    """Shut down the (private) Redis the worker uses, as an outage that starts during a job."""
    import redis

    redis.Redis.from_url(current_app.config["REDIS_URL"]).shutdown(nosave=True)
