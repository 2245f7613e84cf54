"""A real, throw-away PostgreSQL server for the tests: initdb + pg_ctl in a temporary folder on a free port.

PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (runuser). Used by .ci/run
(`python -m tests.pgserver start DIR` prints the URL, `stop DIR`) and by tests that stop or restart a server
of their own (readiness, replicas). Settings trade durability for speed: a test server holds nothing worth
keeping. The folder must be reachable by the `postgres` user: use tempfile.mkdtemp(), not pytest's tmp_path
(its parents are private to root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "128MB",
    "listen_addresses": "'127.0.0.1'",
}


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = Path(root)
        self.data = self.root / "data"
        self.port_file = self.root / "port"
        self.port = port or (int(self.port_file.read_text()) if self.port_file.exists() else free_port())
        programs = bin_dir()
        if programs is None:
            raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.bin = programs
        self._as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            for key, value in _SETTINGS.items():
                conf.write(f"{key} = {value}\n")
            conf.write(f"unix_socket_directories = '{self.root}'\n")
        self.port_file.write_text(str(self.port))

    def start(self) -> str:
        if not (self.data / "PG_VERSION").exists():
            self.init()
        log = self.root / "server.log"
        self._run("pg_ctl", "-D", str(self.data), "-o", f"-p {self.port}", "-l", str(log), "-w", "-t", "60", "start")
        return self.url

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0


def _wait_reachable(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL did not listen on port {port}")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.pgserver start|stop DIR", file=sys.stderr)
        return 2
    action, root = argv[0], Path(argv[1] or tempfile.mkdtemp(prefix="pitboard-pg-"))
    server = PgServer(root)
    if action == "start":
        url = server.start()
        _wait_reachable(server.port)
        print(url)
    else:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
