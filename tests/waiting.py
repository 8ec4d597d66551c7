"""Helpers for tests, drills and benchmarks that run real processes: a free port, waiting for a state."""
import socket
import time


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, timeout_s: float = 60, every_s: float = 0.05):
    """check()'s first truthy result, polled every every_s; AssertionError after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every_s)
    raise AssertionError("timed out waiting")
