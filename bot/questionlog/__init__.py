"""The question log: every question asked and every feedback click, in SQLite or PostgreSQL.

It is the editors' source of "what could the bot not answer" (see `bot.misses`). One module per
concern: `records` (what a row is), `schema` (tables, migrations, SQLite's -wal format), `db` (which
database, one connection interface), `stores` (opening each database for the writer), `writer` (the
queue and its thread), `reads` (`/stats` and `misses`), `grouping` (near-duplicate misses).

Design
------
* **Writes never block the caller.** `record_question` / `record_feedback_async` put an item on a
  bounded queue and return; ONE background writer thread owns the connection, drains whatever is
  queued and commits it as one transaction (so a burst of questions costs one commit, and a lone
  question is committed at once). Feedback needs an answer (was this click new?): the writer resolves a
  `concurrent.futures.Future` that `record_feedback_async` awaits without blocking the event loop.
* **Reads use their own short-lived connection** (`read_stats`, `read_miss_rows`): read-only on
  SQLite, so the `misses` CLI can read the file while the bot writes it (WAL mode).
* **Nothing is lost on a normal stop.** `close()` drains the queue and commits. The module registers
  no signal handler itself: the programs turn SIGTERM into an orderly stop that calls `close()`.
  A commit in WAL mode with `synchronous=NORMAL` survives the process being killed, not a power cut.
* **A transient fault loses nothing.** A SQLite database that is busy or locked by another process, and
  a PostgreSQL server that is down (at start or mid-run) or dropped the connection, are retried with
  exponential backoff for as long as it takes, reconnecting each time for PostgreSQL; the batch being
  written stays in memory and new records wait in the bounded queue (`queue_max`). Other failures (disk
  full, read-only, I/O errors, a refused statement) are retried the same way, reopening the connection
  each time, `give_up_after` times in a row. Only then is the failure persistent: ONE error line on the
  `bot.questionlog` logger says so, with the count of questions not logged, `healthy` becomes False,
  `last_error` says why, and every later `record_*` is a counted no-op until the process restarts.
  Answering matters more than logging. A full queue drops records with a count (logged when it starts
  and when it drains; `not_logged` counts the questions). Text that cannot be stored as UTF-8 (lone
  surrogates, from undecodable input; NUL, which PostgreSQL refuses) is stored with U+FFFD instead.
* **A corrupt SQLite file is moved aside, never deleted**: it is renamed to `<name>.corrupt-<UTC
  timestamp>` (with its -wal/-shm companions), ONE error line names the new path, and a fresh log is
  started. `healthy` stays True (the log works) and `last_error` records what happened.
* **A damaged SQLite write-ahead log is copied aside** before SQLite can silently discard it (under the
  write lock), to `<name>.wal-damaged-<UTC timestamp>` and `...-wal`, and ONE error line names the copy.
* **Several processes may share one database.** Creating and migrating the schema happens in one
  transaction that reads the version inside it (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: under an
  advisory lock), so two processes creating a new log at the same moment cannot both migrate it.
* **Retention runs on a schedule**: at open, then every `purge_every` (by the log's clock, checked on
  every write and at least that often while idle), so a bot running for months still deletes old rows.
* **Privacy.** No user names are stored; the user id only as a salted HMAC (to count distinct users
  and stop one user voting twice). Guild and channel ids are kept (they name places, not people). A
  SQLite file is created mode 0600 and its directory, when the log creates it, 0700; an existing file
  that others can read is logged once and left as the administrator set it. A PostgreSQL URL's
  password is never logged.
"""

from bot.questionlog.db import Database, is_postgres, redact
from bot.questionlog.reads import read_miss_rows, read_processes, read_stats
from bot.questionlog.records import (
    DEFAULT_DB_PATH,
    MAX_RETENTION_DAYS,
    OUTCOMES,
    VERDICTS,
    LogStats,
    MissFilter,
    MissKind,
    MissRow,
    Origin,
    Outcome,
    ProcessRow,
    storable_text,
)
from bot.questionlog.schema import SCHEMA_VERSION, wal_damage
from bot.questionlog.writer import QUEUE_MAX, QuestionLog

__all__ = [
    "DEFAULT_DB_PATH",
    "MAX_RETENTION_DAYS",
    "OUTCOMES",
    "QUEUE_MAX",
    "SCHEMA_VERSION",
    "VERDICTS",
    "Database",
    "LogStats",
    "MissFilter",
    "MissKind",
    "MissRow",
    "Origin",
    "Outcome",
    "ProcessRow",
    "QuestionLog",
    "is_postgres",
    "read_miss_rows",
    "read_processes",
    "read_stats",
    "redact",
    "storable_text",
    "wal_damage",
]
