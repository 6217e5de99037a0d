"""A throwaway PostgreSQL server for the tests: `initdb` in a temporary directory, listening on
127.0.0.1 on a free port (its unix socket in the same directory), stopped and deleted afterwards.

PostgreSQL refuses to run as root, so as root the server runs as the unprivileged `postgres` user,
which owns the directory. Where no server can be started (no binaries, no such user), `start()` raises
`Unavailable` with a one-line reason: the fixture skips with it, or fails when
FACTBOT_REQUIRE_POSTGRES=1 (CI sets it, so the PostgreSQL tests cannot silently not run).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Final

REQUIRE_ENV: Final = "FACTBOT_REQUIRE_POSTGRES"
BIN_ENV: Final = "FACTBOT_POSTGRES_BIN"
"""A folder with initdb and pg_ctl, to use instead of searching the usual places."""
_SEARCH: Final = ("/usr/local/bin", "/usr/lib/postgresql/*/bin", "/usr/bin")


class Unavailable(Exception):
    """No server can be started here; the message says why, in one line."""


_FAST_UNSAFE: Final = ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]


def _binary(name: str) -> str:
    chosen = os.environ.get(BIN_ENV)
    if chosen:
        candidate = Path(chosen) / name
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            raise Unavailable(f"no {name} in {BIN_ENV}={chosen}")
        return str(candidate)
    for pattern in _SEARCH:
        for folder in sorted(glob.glob(pattern), reverse=True):  # the newest version first
            candidate = Path(folder) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise Unavailable(f"no PostgreSQL server here ({name} not found)")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One server for a test session; `create_database()` gives each test a fresh database."""

    def __init__(self, *, durable: bool = False) -> None:
        """Nothing runs until `start()`. `durable`: fsync as a production server does (benchmarks);
        otherwise the tests' speed settings."""
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="factbot-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._prefix: list[str] = []
        self._uid: int | None = None

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        # No shell: the arguments go to the binary as they are.
        command = [*self._prefix, *args]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.root
        )

    def start(self) -> None:
        """initdb (the first time) and start; raises Unavailable with the reason."""
        initdb, self._pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root, and no 'postgres' user to run the server as") from None
            runuser = shutil.which("runuser") or shutil.which("setpriv")
            if runuser is None:
                raise Unavailable("running as root with neither runuser nor setpriv to drop to 'postgres'")
            self._uid = user.pw_uid
            self._prefix = (
                [runuser, "-u", "postgres", "--"]
                if runuser.endswith("runuser")
                else [runuser, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups"]
            )
            os.chown(self.root, user.pw_uid, user.pw_gid)
        if not self.data.exists():
            made = self._run(initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                             "--no-locale", "--no-sync")  # fmt: skip
            if made.returncode != 0:
                raise Unavailable(f"initdb failed: {(made.stderr or made.stdout).strip().splitlines()[-1:]}")
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c max_connections=100",
            ]
            # A test server: durability across an OS crash is not what is tested, speed is.
            + ([] if self.durable else _FAST_UNSAFE)
        )
        started = self._run(self._pg_ctl, "-D", str(self.data), "-l", str(self.root / "server.log"),
                            "-o", options, "-w", "-t", "30", "start")  # fmt: skip
        if started.returncode != 0:
            server_log = self.root / "server.log"
            log = server_log.read_text(errors="replace") if server_log.exists() else ""
            last = (log or started.stderr).strip().splitlines()[-1:]
            raise Unavailable(f"the server did not start: {last}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (it keeps its data: `start()` brings it back on the same port)."""
        self._run(self._pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def cleanup(self) -> None:
        """Stop the server and delete its directory."""
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A URL for `database` over TCP on 127.0.0.1 (what the bot would be given)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by `create_database` (closing whatever is still connected to it)."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with contextlib.suppress(psycopg.Error), psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
