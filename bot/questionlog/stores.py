"""Opening the log's database for the writer: SQLite's file care, PostgreSQL's reconnection.

A store opens a ready connection (created, checked, migrated) and says which faults are worth waiting
for. The writer (`bot.questionlog.writer`) owns the retry loop; stores own what is particular to
their database:

* **SQLite**: the file is created 0600 in a 0700 directory; a corrupt file is moved aside (never
  deleted) and a new log started; a damaged -wal is copied aside before SQLite can discard it; a busy
  or locked database is waited for. See the package docstring.
* **PostgreSQL**: a server that is down, restarting, or a dropped link is "unavailable": the writer
  reconnects with backoff for as long as it takes, records wait in the bounded queue. The password of
  the URL never reaches a log line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal, Protocol

from bot.questionlog.db import Conn, PostgresConn, SqliteConn, connect_postgres, postgres_unavailable, redact
from bot.questionlog.schema import Corrupt, migrate_postgres, migrate_sqlite, wal_damage

logger = logging.getLogger("bot.questionlog")

Fault = Literal["busy", "unavailable", "failure"]
"""busy: another connection holds a lock, keep the connection and wait; unavailable: the server is
gone, reconnect and wait; failure: anything else, reconnect and count towards giving up."""

# SQLite primary result codes. Busy/locked mean "another connection has it": wait and retry, never
# give up. Corrupt/not-a-database mean "this file is damaged": move it aside (only ever at open).
_SQLITE_BUSY: Final = 5
_SQLITE_LOCKED: Final = 6
_SQLITE_CORRUPT: Final = 11
_SQLITE_NOTADB: Final = 26


class Store(Protocol):
    """What the writer needs of a database."""

    name: str
    """How log lines name it (a path, or a URL without its password)."""

    def connect(self) -> Conn:
        """A connection ready to write to: created, checked and migrated. Raises on failure."""
        ...

    def fault(self, exc: BaseException) -> Fault:
        """How the writer should treat `exc`."""
        ...

    def limit_wait(self, conn: Conn, milliseconds: int) -> None:
        """While closing: never wait for a lock longer than this."""
        ...


def _error_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _is_corruption(exc: sqlite3.Error) -> bool:
    return _error_code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def is_busy(exc: BaseException) -> bool:
    """Another SQLite connection holds the lock: worth waiting for, however long it takes."""
    if _error_code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return True
    # Some paths (e.g. changing the journal mode) report a busy database without an error code.
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()


class SqliteStore:
    """The log in one SQLite file, shared by any processes of one machine (WAL mode)."""

    def __init__(
        self, path: Path, *, busy_timeout: float, now: Callable[[], datetime], report: Callable[[str], None]
    ) -> None:
        """`report` records a problem the log survived (it becomes the log's `last_error`)."""
        self.path = path
        self.name = str(path)
        self._busy_timeout = busy_timeout
        self._now = now
        self._report = report
        self._warned_mode = False

    def fault(self, exc: BaseException) -> Fault:
        """See `Store.fault`."""
        return "busy" if is_busy(exc) else "failure"

    def limit_wait(self, conn: Conn, milliseconds: int) -> None:
        """See `Store.limit_wait`: SQLite's own wait for the lock must not outlast the close."""
        with contextlib.suppress(sqlite3.Error):
            conn.run(f"PRAGMA busy_timeout = {min(milliseconds, int(self._busy_timeout * 1000))}")

    def connect(self) -> Conn:
        """Create (0600, in a 0700 directory), check and migrate; a corrupt file is moved aside
        once and a new one started."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.path.is_dir():
            raise IsADirectoryError(f"{self.path} is a directory")
        self._create_private()
        try:
            conn = self._prepare()
        except Corrupt as exc:
            try:
                moved = self._move_aside()
            except OSError as err:
                raise OSError(f"{self.path} is corrupt ({exc}) and could not be moved aside: {err}") from err
            message = f"{self.path} is corrupt ({exc}); moved it aside to {moved} and started a new log"
            self._report(message)
            logger.error("question log: %s", message)
            self._create_private()
            try:
                conn = self._prepare()
            except Corrupt as again:
                raise sqlite3.DatabaseError(f"new database is unusable too: {again}") from again
        return SqliteConn(conn)

    def _create_private(self) -> None:
        """Create the file before SQLite does, so it is born 0600 (SQLite gives -wal and -shm the
        database's mode); an existing file keeps the mode its administrator chose, with a warning
        when others can read it."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            with contextlib.suppress(OSError):
                mode = self.path.stat().st_mode & 0o777
                if mode & 0o077 and not self._warned_mode:
                    self._warned_mode = True
                    logger.warning(
                        "question log: %s is readable by other users (mode %04o); chmod 600 it "
                        "unless they are meant to read the questions",
                        self.path,
                        mode,
                    )
            return
        os.close(fd)

    def _prepare(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per batch.
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
        try:
            try:
                self._keep_damaged_wal(conn)
                conn.execute("PRAGMA journal_mode=WAL").fetchone()
                # NORMAL in WAL mode: durable across a process kill, cheaper than FULL (power cuts may
                # lose the last commits, which is acceptable for a log).
                conn.execute("PRAGMA synchronous=NORMAL")
                check = conn.execute("PRAGMA quick_check").fetchone()
            except sqlite3.DatabaseError as exc:
                if _is_corruption(exc):
                    raise Corrupt(str(exc)) from exc
                raise
            if check is None or check[0] != "ok":
                raise Corrupt(f"integrity check: {check[0] if check else 'no result'}")
            migrate_sqlite(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _keep_damaged_wal(self, conn: sqlite3.Connection) -> None:
        """Copy a -wal that SQLite would throw away (and the database it belongs to) aside, and say so.

        Checked under the write lock, so no other writer is half-way through appending a frame.
        """
        wal = self.path.with_name(self.path.name + "-wal")
        if not wal.is_file() or wal.stat().st_size == 0:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            try:
                data = wal.read_bytes()
            except OSError:
                return  # nothing to keep if it cannot be read; SQLite will report what it thinks
            damage = wal_damage(data)
            if damage is None:
                return
            copy = self._free_name("wal-damaged")
            shutil.copyfile(self.path, copy)
            copy.with_name(copy.name + "-wal").write_bytes(data)
            for made in (copy, copy.with_name(copy.name + "-wal")):
                os.chmod(made, 0o600)
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        message = (
            f"{wal} is damaged ({damage}) and SQLite would discard it; kept a copy of it and of the "
            f"database as {copy} and {copy.name}-wal"
        )
        self._report(message)
        logger.error("question log: %s", message)

    def _free_name(self, what: str) -> Path:
        stamp = self._now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.{what}-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.{what}-{stamp}-{n}")
        return target

    def _move_aside(self) -> Path:
        """Rename the damaged file (and its -wal/-shm) out of the way; nothing is deleted."""
        target = self._free_name("corrupt")
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                # Same suffix on the new name keeps them paired for SQLite, should someone recover it.
                companion.rename(target.with_name(target.name + suffix))
        return target


class PostgresStore:
    """The log in a PostgreSQL database, shared by every process of every machine."""

    def __init__(self, url: str, *, timeout: float) -> None:
        """`timeout`: seconds to wait for the server when connecting, and for a lock once connected."""
        self.url = url
        self.name = redact(url)
        self._timeout = timeout

    def fault(self, exc: BaseException) -> Fault:
        """See `Store.fault`: a lost server is waited for; a refused statement counts."""
        return "unavailable" if postgres_unavailable(exc) else "failure"

    def limit_wait(self, conn: Conn, milliseconds: int) -> None:
        """See `Store.limit_wait`."""
        if isinstance(conn, PostgresConn):
            with contextlib.suppress(Exception):
                conn.run(f"SET lock_timeout = {max(milliseconds, 1)}")

    def connect(self) -> Conn:
        """Connect and migrate (under the advisory lock)."""
        conn = connect_postgres(self.url, timeout=self._timeout, application_name="factbot-log")
        try:
            migrate_postgres(conn.raw)
        except BaseException:
            conn.close()
            raise
        return conn
