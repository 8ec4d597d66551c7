"""A private PostgreSQL cluster for a test that stops and starts it (never the server on 5432)."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.waiting import free_port

# The newest PostgreSQL Debian installed, as scripts/services.sh picks it.
_VERSIONS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
PG_BIN = os.environ.get("TEST_PG_BIN", str(_VERSIONS[-1]) if _VERSIONS else "/usr/lib/postgresql/15/bin")


class PrivatePostgres:
    """initdb into a temp dir (as the `postgres` OS user when run as root), then pg_ctl start/stop."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="deloton-pg-")
        self.port = free_port()
        self.url = f"postgresql+psycopg://deloton@127.0.0.1:{self.port}/warehouse"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", f"{self.dir}/data", "-U", "deloton", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "deloton", "warehouse")

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        command = [f"{PG_BIN}/{tool}", *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=check, capture_output=True, timeout=60)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-w", "-l", f"{self.dir}/log", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        """Stop the server, disconnecting every client."""
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-w", "-m", "fast", "stop")

    def destroy(self) -> None:
        """Stop the server (if running) and remove its files."""
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
