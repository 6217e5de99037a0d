"""Reading the question log, from any process: the rows `misses` groups, and the counts of `/stats`.

Each read opens its own short-lived connection: read-only on SQLite (so `misses` can read the file
while the bot writes it, and reading never creates or migrates it), a plain one on PostgreSQL (every
process and machine reads the same rows). Blocking: front ends run these in a worker thread.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Final

from bot.questionlog.db import (
    Conn,
    Database,
    PostgresConn,
    SqliteConn,
    connect_postgres,
    is_postgres,
    sqlite_path,
)
from bot.questionlog.grouping import group_misses
from bot.questionlog.records import LogStats, MissFilter, MissRow, ProcessRow, parse_ts, ts
from bot.questionlog.schema import postgres_version

_PROCESSES_SINCE: Final = 3
"""The schema version that added the `processes` table."""


def _version(conn: Conn) -> int:
    if isinstance(conn, PostgresConn):
        return postgres_version(conn.raw)
    return int(conn.rows("PRAGMA user_version")[0][0])


@contextlib.contextmanager
def _read_connection(database: Database, timeout: float) -> Iterator[Conn | None]:
    """A short-lived connection for reading, or None when there is no log (yet) to read."""
    if is_postgres(database):
        conn = connect_postgres(str(database), timeout=timeout, application_name="factbot-read")
        try:
            yield conn if postgres_version(conn.raw) >= 1 else None
        finally:
            conn.close()
        return
    path = sqlite_path(database)
    if not path.is_file():
        yield None
        return
    # mode=ro: reading must never create, migrate or lock the file for writing.
    raw = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)
    try:
        version = int(raw.execute("PRAGMA user_version").fetchone()[0])
        yield SqliteConn(raw) if version >= 1 else None
    finally:
        raw.close()


def read_miss_rows(
    database: Database | Path,
    since: datetime | None = None,
    *,
    timeout: float = 5.0,
    only: MissFilter = "all",
) -> list[MissRow]:
    """Declined and low-confidence questions plus 👎 feedback since `since` (UTC if naive), oldest first.
    `only="claims"` lists the claims the sources could not settle; `only="translations"` the answers
    given in English to someone asking in another language (translation gaps).

    An absent or empty database gives []. Raises sqlite3.Error or psycopg.Error if it cannot be read
    (the CLI reports it; a log that cannot be read is worth an error, unlike one that cannot be written).
    """
    start = ts(since) if since is not None else ""
    with _read_connection(database, timeout) as conn:
        if conn is None:
            return []
        if only != "all":
            where = "verdict = 'unchecked'" if only == "claims" else "untranslated = 1"
            kind = "unchecked_claim" if only == "claims" else "untranslated"
            rows = conn.rows(
                f"SELECT question, '{kind}', asked_at, user_hash, best_entry, best_question, confidence,"
                f" 0, id FROM questions WHERE {where} AND asked_at >= ? ORDER BY 3, 9",
                (start,),
            )
            return [MissRow(q, k, parse_ts(a), u, e, bq, c) for q, k, a, u, e, bq, c, _, _ in rows]
        rows = conn.rows(
            # Trailing (table, id) columns make ties in time come out in a stable order.
            "SELECT question, outcome, asked_at, user_hash, best_entry, best_question, confidence, 0, id"
            " FROM questions WHERE outcome IN ('declined', 'low_confidence') AND asked_at >= ?"
            " UNION ALL"
            " SELECT question, 'not_helpful', given_at, NULLIF(user_key, ''), entry_id, NULL, NULL, 1, id"
            " FROM feedback WHERE helpful = 0 AND given_at >= ?"
            " ORDER BY 3, 8, 9",
            (start, start),
        )
    return [
        MissRow(
            question=question,
            kind=kind,
            at=parse_ts(at),
            user_hash=user_hash,
            best_entry=best_entry,
            best_question=best_question,
            confidence=confidence,
        )
        for question, kind, at, user_hash, best_entry, best_question, confidence, _, _ in rows
    ]


def read_processes(database: Database | Path, since: datetime, *, timeout: float = 5.0) -> list[ProcessRow]:
    """The processes that reported themselves since `since` (see `QuestionLog.record_process`),
    by name. An absent database, or one older than the table, gives []."""
    with _read_connection(database, timeout) as conn:
        if conn is None or _version(conn) < _PROCESSES_SINCE:
            return []
        rows = conn.rows(
            "SELECT name, base_version, refused, shards, seen_at FROM processes"
            " WHERE seen_at >= ? ORDER BY name",
            (ts(since),),
        )
    return [ProcessRow(n, v, bool(r), s, parse_ts(at)) for n, v, r, s, at in rows]


def read_stats(
    database: Database | Path, since: datetime | None = None, *, top: int = 10, timeout: float = 5.0
) -> LogStats:
    """Counts since `since` (UTC if naive); an absent database gives all zeros.

    `top_misses` are the `top` largest groups of near-duplicate misses, grouped as `misses` groups
    them (`group_misses`): ten typings of one question are one line, not ten.
    """
    start = ts(since) if since is not None else ""
    with _read_connection(database, timeout) as conn:
        if conn is None:
            return LogStats()
        outcomes = dict(
            conn.rows(
                "SELECT outcome, COUNT(*) FROM questions WHERE asked_at >= ? GROUP BY outcome", (start,)
            )
        )
        votes = dict(
            conn.rows("SELECT helpful, COUNT(*) FROM feedback WHERE given_at >= ? GROUP BY helpful", (start,))
        )
        users = conn.rows("SELECT COUNT(DISTINCT user_hash) FROM questions WHERE asked_at >= ?", (start,))[0][
            0
        ]
    groups = group_misses(read_miss_rows(database, since, timeout=timeout))[:top] if top > 0 else []
    return LogStats(
        answered=int(outcomes.get("answered", 0)),
        low_confidence=int(outcomes.get("low_confidence", 0)),
        declined=int(outcomes.get("declined", 0)),
        helpful=int(votes.get(1, 0)),
        not_helpful=int(votes.get(0, 0)),
        distinct_users=int(users),
        top_misses=tuple((g.representative, g.count, len(g.variants)) for g in groups),
    )
