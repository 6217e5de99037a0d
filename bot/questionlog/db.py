"""Which database the log uses, and one small connection interface over SQLite and PostgreSQL.

`FACTBOT_DATABASE_URL` (or a `Path`) names it: a file path is SQLite, `postgresql://…` (or
`postgres://…`) is PostgreSQL. The writer and the reads speak to either through `Conn`, with one set
of SQL statements written with `?` placeholders (turned into `%s` for psycopg); no statement holds a
literal `?` or `%`.

PostgreSQL is reached with psycopg 3 in its blocking form: the log's writer is a thread of its own, so
blocking calls there never touch the event loop, and `misses` is a plain command.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from bot.clustersettings import is_postgres as is_postgres  # one reading of a URL, shared with bot.config

if TYPE_CHECKING:
    import psycopg

_PASSWORD: Final = re.compile(r"(://[^/@:]*):[^/@]*@")

Database = Path | str
"""A SQLite file (a Path, or a str that is not a PostgreSQL URL) or a `postgresql://` URL."""


def redact(database: Database) -> str:
    """The database as it may be shown in a log line: a URL's password is replaced by `***`."""
    return _PASSWORD.sub(r"\1:***@", str(database))


def sqlite_path(database: Database) -> Path:
    """The SQLite file a non-URL database names."""
    return Path(database).expanduser()


class Conn(Protocol):
    """What the log needs of a connection, on either database."""

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """Execute one statement; the number of rows it changed."""
        ...

    def run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Execute one statement for each row of parameters."""
        ...

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Execute a query; all its rows."""
        ...

    def begin(self) -> None:
        """Start a write transaction (SQLite: take the write lock now, not at the first write)."""
        ...

    def commit(self) -> None:
        """Commit the transaction."""
        ...

    def rollback(self) -> None:
        """Roll back; never raises."""
        ...

    def close(self) -> None:
        """Close; never raises."""
        ...


@dataclass
class SqliteConn:
    """`Conn` over a `sqlite3.Connection` opened with `isolation_level=None`."""

    raw: sqlite3.Connection

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """See `Conn.run`."""
        return self.raw.execute(sql, tuple(params)).rowcount

    def run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """See `Conn.run_many`."""
        self.raw.executemany(sql, [tuple(r) for r in rows])

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """See `Conn.rows`."""
        return list(self.raw.execute(sql, tuple(params)).fetchall())

    def begin(self) -> None:
        """See `Conn.begin`."""
        self.raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        """See `Conn.commit`."""
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        """See `Conn.rollback`."""
        with contextlib.suppress(sqlite3.Error):
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        """See `Conn.close`."""
        with contextlib.suppress(sqlite3.Error):
            self.raw.close()


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


@dataclass
class PostgresConn:
    """`Conn` over a psycopg connection in autocommit mode (transactions are explicit)."""

    raw: psycopg.Connection[Any]

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """See `Conn.run`."""
        return self.raw.execute(_pg(sql), tuple(params)).rowcount

    def run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """See `Conn.run_many` (psycopg pipelines the rows: one round trip for the lot)."""
        with self.raw.cursor() as cur:
            cur.executemany(_pg(sql), [tuple(r) for r in rows])

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """See `Conn.rows`."""
        return list(self.raw.execute(_pg(sql), tuple(params)).fetchall())

    def begin(self) -> None:
        """See `Conn.begin`."""
        self.raw.execute("BEGIN")

    def commit(self) -> None:
        """See `Conn.commit`."""
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        """See `Conn.rollback`."""
        import psycopg

        with contextlib.suppress(psycopg.Error):
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        """See `Conn.close`."""
        import psycopg

        with contextlib.suppress(psycopg.Error):
            self.raw.close()


def connect_postgres(url: str, *, timeout: float = 5.0, application_name: str = "factbot") -> PostgresConn:
    """A psycopg connection in autocommit mode; raises psycopg.Error when the server cannot be reached."""
    import psycopg  # imported here: a SQLite-only install never loads it

    raw = psycopg.connect(
        url,
        autocommit=True,
        connect_timeout=max(int(timeout), 1),
        application_name=application_name,
    )
    return PostgresConn(raw)


def postgres_unavailable(exc: BaseException) -> bool:
    """A fault of the connection, not of the statement: the server is down, restarting, or the link
    dropped. Worth reconnecting for, however long it takes."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
