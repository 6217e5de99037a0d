"""The question log: every question asked and every feedback click, in SQLite.

It is the editors' source of "what could the bot not answer" (see `bot.misses`).

Design
------
* **Writes never block the caller.** `record_question` / `record_feedback*` put an item on a bounded
  queue and return; ONE background writer thread owns the SQLite connection, drains whatever is queued
  and commits it as one transaction (so a burst of questions costs one commit, and a lone question is
  committed at once). `record_feedback` needs an answer (was this click new?): the writer resolves a
  `concurrent.futures.Future`; `record_feedback_async` awaits it without blocking the event loop.
* **Reads use their own short-lived read-only connection** (`read_stats`, `read_miss_rows`), so the
  `misses` CLI can read the file while the bot writes it (WAL mode).
* **Nothing is lost on a normal stop.** `close()` drains the queue and commits. The module registers
  no global handler itself; a program calls `close()` on shutdown, or opts in with
  `install_signal_flush(log)` (plain programs) / `loop.add_signal_handler(SIGTERM, log.close)` (asyncio).
  A commit in WAL mode with `synchronous=NORMAL` survives the process being killed, not a power cut.
* **A transient fault loses nothing.** A database that is busy or locked by another process is
  retried with exponential backoff, for as long as it takes; the batch being written stays in memory
  and new records wait in the bounded queue (`queue_max`). Other failures (disk full, read-only, I/O
  errors) are retried the same way, reopening the connection each time, `give_up_after` times in a
  row. Only then is the failure persistent: ONE error line on the `bot.questionlog` logger says so,
  with the count of questions not logged, `healthy` becomes False, `last_error` says why, and every
  later `record_*` is a counted no-op until the process restarts. Answering matters more than logging.
  A full queue drops records with a count (logged when it starts and when it drains). Text that
  cannot be stored as UTF-8 (lone surrogates, from undecodable input) is stored with U+FFFD instead.
* **A corrupt file is moved aside, never deleted**: it is renamed to `<name>.corrupt-<UTC timestamp>`
  (with its -wal/-shm companions), ONE error line names the new path, and a fresh log is started, so
  the bot keeps recording and an editor can still try to recover the old file. `healthy` stays True
  (the log works) and `last_error` records what happened. If the move itself fails, the log is retried
  and disabled as above.
* **A damaged write-ahead log is copied aside.** SQLite silently ignores a -wal whose header or
  frames fail their checksums, committed rows included, and deletes it on the next clean close.
  Before the log uses the file, it checks the -wal itself (under the write lock, so no other writer
  is half-way through a frame); a damaged one is copied, with the database, to
  `<name>.wal-damaged-<UTC timestamp>` and `...-wal`, and ONE error line names the copy.
* **Several processes may share one file.** Creating and migrating the schema happens in one
  `BEGIN IMMEDIATE` transaction that reads `user_version` inside it, so two processes creating a new
  log at the same moment cannot both migrate it.
* **Retention runs on a schedule**: at open, then every `purge_every` (by the log's clock, checked on
  every write and at least that often while idle), so a bot running for months still deletes old rows.
* **Privacy.** No user names are stored; the user id only as a salted HMAC (to count distinct users
  and stop one user voting twice). Guild and channel ids are kept (they name places, not people). The
  file is created mode 0600 and its directory, when the log creates it, 0700; an existing file that
  others can read is logged once and left as the administrator set it.
* **Schema** is created and migrated by the program through `PRAGMA user_version`; `_MIGRATIONS` is an
  append-only list of steps.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import hmac
import logging
import os
import queue
import re
import shutil
import signal
import sqlite3
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType, TracebackType
from typing import Final, Literal, TypeVar

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

DEFAULT_DB_PATH: Final = Path("data/questions.sqlite3")
"""Where the bot keeps its log unless configured otherwise (relative to the working directory)."""

Outcome = Literal["answered", "low_confidence", "declined"]
MissKind = Literal["declined", "low_confidence", "not_helpful", "unchecked_claim", "untranslated"]
MissFilter = Literal["all", "claims", "translations"]
VERDICTS: Final[tuple[str, ...]] = ("supported", "contradicted", "disputed", "unchecked")
OUTCOMES: Final[tuple[str, ...]] = ("answered", "low_confidence", "declined")

MAX_RETENTION_DAYS: Final = 36_500
"""A hundred years: far beyond any privacy policy, and well inside what dates can represent."""

_TS_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"
"""Fixed-width UTC timestamps, so that comparing the stored text compares the instants."""

QUEUE_MAX: Final = 10_000
"""Bounded so a stuck disk cannot eat the bot's memory; beyond it records are dropped (and counted)."""

_BATCH_MAX: Final = 500

# SQLite primary result codes. Busy/locked mean "another connection has it": wait and retry, never
# give up. Corrupt/not-a-database mean "this file is damaged": move it aside (only ever at open).
_SQLITE_BUSY: Final = 5
_SQLITE_LOCKED: Final = 6
_SQLITE_CORRUPT: Final = 11
_SQLITE_NOTADB: Final = 26
_INT64: Final = range(-(2**63), 2**63)
_SURROGATES: Final = re.compile("[\ud800-\udfff]")

# Append-only: step i brings the schema from user_version i to i + 1, one statement per string.
# Never change what a released step does. (IF NOT EXISTS only guards a file someone half-built by hand:
# the step runs in the same transaction that reads user_version.)
_MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """
        CREATE TABLE IF NOT EXISTS questions (
            id            INTEGER PRIMARY KEY,
            asked_at      TEXT    NOT NULL,            -- UTC, _TS_FORMAT
            question      TEXT    NOT NULL,
            outcome       TEXT    NOT NULL CHECK (outcome IN ('answered', 'low_confidence', 'declined')),
            confidence    REAL    NOT NULL,
            best_entry    TEXT,
            best_question TEXT,
            origin        TEXT    NOT NULL,            -- 'discord', 'terminal', ...
            guild_id      INTEGER,
            channel_id    INTEGER,
            user_hash     TEXT                         -- salted HMAC of the user id, never the id
        )
        """,
        "CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at)",
        "CREATE INDEX IF NOT EXISTS questions_outcome_asked_at ON questions (outcome, asked_at)",
        """
        CREATE TABLE IF NOT EXISTS feedback (
            id          INTEGER PRIMARY KEY,
            given_at    TEXT    NOT NULL,
            message_id  INTEGER NOT NULL,
            user_key    TEXT    NOT NULL,              -- user_hash, or '' when the front end has no user
            question    TEXT    NOT NULL,
            entry_id    TEXT,
            helpful     INTEGER NOT NULL CHECK (helpful IN (0, 1)),
            origin      TEXT    NOT NULL,
            guild_id    INTEGER,
            channel_id  INTEGER,
            UNIQUE (message_id, user_key)
        )
        """,
        "CREATE INDEX IF NOT EXISTS feedback_given_at ON feedback (given_at)",
    ),
    (
        # fact-check mode: the verdict on a claim ('unchecked' when the sources could not settle it)
        "ALTER TABLE questions ADD COLUMN verdict TEXT",
        # the language answered in, and whether the asker's language lacked a translation
        "ALTER TABLE questions ADD COLUMN language TEXT",
        "ALTER TABLE questions ADD COLUMN untranslated INTEGER NOT NULL DEFAULT 0",
    ),
)
SCHEMA_VERSION: Final = len(_MIGRATIONS)


@dataclass(frozen=True)
class Origin:
    """Where a question came from. `where` is the front end: "discord", "terminal", ..."""

    where: str
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    """Hashed with the log's salt before it is stored; the raw id never reaches the disk."""


@dataclass(frozen=True)
class MissRow:
    """One thing the bot did not answer well: a declined or low-confidence question, or a 👎 click."""

    question: str
    kind: MissKind
    at: datetime
    user_hash: str | None
    best_entry: str | None = None
    best_question: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class LogStats:
    """Counts over a period. `top_misses` groups exact (case-insensitive) repeats; `bot.misses` is fuzzy."""

    answered: int = 0
    low_confidence: int = 0
    declined: int = 0
    helpful: int = 0
    not_helpful: int = 0
    distinct_users: int = 0
    top_misses: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        """Questions asked in the period."""
        return self.answered + self.low_confidence + self.declined


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(moment: datetime) -> str:
    """Store as UTC text; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_TS_FORMAT)


def _parse_ts(text: str) -> datetime:
    return datetime.strptime(text, _TS_FORMAT).replace(tzinfo=UTC)


def storable_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD, so that it encodes as UTF-8.

    Surrogates reach Python strings from undecodable input (`\\xff` read from a terminal with the
    surrogateescape handler); SQLite cannot store them, and one must not stop the log.
    """
    return _SURROGATES.sub("\ufffd", text)


def _optional_text(text: str | None) -> str | None:
    return None if text is None else storable_text(str(text))


def _int64(value: int | None) -> int | None:
    """An id SQLite can store (a signed 64-bit integer), else None."""
    if value is None:
        return None
    number = int(value)
    return number if number in _INT64 else None


# --- queue items -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _QuestionItem:
    asked_at: str
    question: str
    outcome: str
    confidence: float
    best_entry: str | None
    best_question: str | None
    origin: str
    guild_id: int | None
    channel_id: int | None
    user_hash: str | None
    verdict: str | None = None
    language: str | None = None
    untranslated: bool = False


@dataclass(frozen=True)
class _FeedbackItem:
    given_at: str
    message_id: int
    user_key: str
    question: str
    entry_id: str | None
    helpful: bool
    origin: str
    guild_id: int | None
    channel_id: int | None
    result: concurrent.futures.Future[bool]


@dataclass(frozen=True)
class _PurgeItem:
    cutoff: str
    result: concurrent.futures.Future[int]


@dataclass(frozen=True)
class _FlushItem:
    result: concurrent.futures.Future[bool]


class _Stop:
    pass


_Item = _QuestionItem | _FeedbackItem | _PurgeItem | _FlushItem | _Stop


class _Corrupt(Exception):
    """Raised while opening when the file is not a usable SQLite database."""


class _Refused(Exception):
    """Raised while opening when writing would be wrong whatever we wait for (a newer schema)."""


def _error_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _is_corruption(exc: sqlite3.Error) -> bool:
    return _error_code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def _is_busy(exc: BaseException) -> bool:
    """Another connection holds the lock: worth waiting for, however long it takes."""
    if _error_code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return True
    # Some paths (e.g. changing the journal mode) report a busy database without an error code.
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()


def _resolve(fut: concurrent.futures.Future[_T], value: _T) -> None:
    """Set a result unless the waiter gave up (a cancelled future refuses results)."""
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if not fut.done():
            fut.set_result(value)


def _questions_in(items: list[_Item]) -> int:
    return sum(isinstance(item, _QuestionItem) for item in items)


class QuestionLog:
    """Append-only log of questions and feedback; see the module docstring for the guarantees.

    Usage::

        log = QuestionLog(Path("data/questions.sqlite3"), salt=settings.log_salt)
        log.open()                      # optional: record_* opens lazily
        log.record_question(q, Origin("discord", guild, channel, user), outcome="declined", ...)
        ...
        log.close()                     # on shutdown: drains the queue and commits
    """

    def __init__(
        self,
        path: Path,
        *,
        salt: str,
        retention_days: int | None = 90,
        now: Callable[[], datetime] = _utcnow,
        busy_timeout: float = 5.0,
        retry_initial: float = 0.05,
        retry_max: float = 2.0,
        give_up_after: int = 8,
        purge_every: timedelta = timedelta(hours=1),
        queue_max: int = QUEUE_MAX,
    ) -> None:
        """Configure the log; nothing touches the disk until `open()` or the first record.

        `salt` keys the user-id hash: keep it secret and stable (changing it splits every user in two
        for the distinct-user counts). `retention_days=None` keeps rows forever. `now` is the clock
        (injectable for tests; it also drives the retention schedule). `busy_timeout` is how long
        SQLite itself waits for another process's lock before the log's own retries take over; those
        start at `retry_initial` seconds and double up to `retry_max`. A failure other than a busy
        database disables the log after `give_up_after` attempts in a row. `purge_every` is how often
        rows older than `retention_days` are deleted while the log runs.
        """
        if not salt:
            # An unsalted hash of a Discord id is reversible by enumerating ids.
            raise ValueError("QuestionLog needs a non-empty salt")
        if retention_days is not None and not 1 <= retention_days <= MAX_RETENTION_DAYS:
            raise ValueError(
                f"retention_days must be from 1 to {MAX_RETENTION_DAYS} (or None to keep everything)"
            )
        if give_up_after < 1 or retry_initial <= 0 or retry_max < retry_initial or queue_max < 1:
            raise ValueError("give_up_after, retry_initial and queue_max must be positive")
        if purge_every <= timedelta(0):
            raise ValueError("purge_every must be positive")
        self.path = Path(path)
        self.retention_days = retention_days
        self._key = hashlib.sha256(salt.encode("utf-8")).digest()
        self._now = now
        self._busy_timeout = busy_timeout
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._give_up_after = give_up_after
        self._purge_every = purge_every
        self._queue: queue.Queue[_Item] = queue.Queue(maxsize=queue_max)
        # RLock: a signal handler that calls close() may interrupt the main thread inside record_*.
        # The writer thread never takes it, so such a close() cannot deadlock against the writer.
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._connected = False
        self._closed = False
        self._close_deadline: float | None = None
        self._healthy = True
        self._last_error: str | None = None
        self._dropped = 0  # records refused by a full queue, since it last drained
        self._lost_front = 0  # questions refused by record_* (full queue, log off); front-end threads
        self._lost_writer = 0  # questions the writer could not write; writer thread only
        self._reported_lost = 0
        self._last_purge: datetime | None = None
        self._warned_mode = False

    # --- state -----------------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """False once the log has given up writing (see `last_error`); records are then dropped."""
        return self._healthy

    @property
    def last_error(self) -> str | None:
        """The most recent problem, in words, or None."""
        return self._last_error

    @property
    def not_logged(self) -> int:
        """Questions recorded with `record_question` that did not, and will not, reach the disk."""
        return self._lost_front + self._lost_writer

    def user_hash(self, user_id: int | None) -> str | None:
        """The stored form of a user id: a salted HMAC-SHA256, 32 hex digits."""
        if user_id is None:
            return None
        return hmac.new(self._key, str(user_id).encode("ascii"), hashlib.sha256).hexdigest()[:32]

    # --- lifecycle -------------------------------------------------------------------------------

    def open(self, timeout: float = 10.0) -> bool:
        """Start the writer and wait (at most `timeout` s) until the file is open; True if it is.

        Optional: the first `record_*` starts the writer without waiting. Call it at start-up, before
        the event loop runs, to know early whether logging works. False with `healthy` still True
        means the file is not open yet (another process holds it): records are kept and written later.
        """
        if not self._start():
            return False  # closed: nothing to wait for
        self._ready.wait(timeout)
        return self._connected and self._healthy

    def _start(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            if self._thread is None:
                # Daemon: a program that forgets close() must still be able to exit; close() is what
                # guarantees the queue reaches the disk.
                self._thread = threading.Thread(target=self._run, name="questionlog-writer", daemon=True)
                self._thread.start()
            return True

    def close(self, timeout: float = 10.0) -> None:
        """Write everything queued, commit and stop the writer. Idempotent; safe from a signal handler.

        A database still locked after `timeout` seconds costs what is not yet written, with a count.
        """
        with self._lock:
            thread = self._thread
            already = self._closed
            # From here on record_* refuse (checked under the same lock), so the stop marker is last.
            self._closed = True
            if not already:
                self._close_deadline = time.monotonic() + timeout
        if thread is None:
            return
        if not already:
            # Blocking put outside the lock, only until there is room.
            try:
                self._queue.put(_Stop(), timeout=timeout)
            except queue.Full:
                logger.error("question log: the writer did not keep up while closing; queued records lost")
        if thread is not threading.current_thread():
            thread.join(timeout + 1.0)
            if thread.is_alive():
                logger.error("question log: the writer did not finish within %s s while closing", timeout)
        lost = self.not_logged
        if lost > self._reported_lost:
            self._reported_lost = lost
            logger.warning("question log: %d questions in all were not logged", lost)

    def __enter__(self) -> QuestionLog:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait (at most `timeout` s) until everything recorded so far is committed; True if it is."""
        if self._thread is None:
            return True  # nothing was ever recorded
        fut: concurrent.futures.Future[bool] = concurrent.futures.Future()
        if not self._enqueue(_FlushItem(fut)):
            return False
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            return False

    def _enqueue(self, item: _Item) -> bool:
        """Queue without ever blocking; False if the item was dropped (questions are counted)."""
        with self._lock:
            if self._closed or not self._healthy or not self._start():
                if isinstance(item, _QuestionItem):
                    self._lost_front += 1
                return False
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                if isinstance(item, _QuestionItem):
                    self._lost_front += 1
                self._dropped += 1
                if self._dropped == 1:
                    logger.warning("question log queue is full; dropping records until it drains")
                return False
            if self._dropped:
                logger.warning("question log queue drained; %d records were dropped", self._dropped)
                self._dropped = 0
            return True

    # --- recording (never blocks, never raises) --------------------------------------------------

    def record_question(
        self,
        question: str,
        origin: Origin,
        *,
        outcome: str,
        confidence: float,
        best_entry: str | None,
        best_question: str | None,
        verdict: str | None = None,
        language: str | None = None,
        untranslated: bool = False,
    ) -> None:
        """Queue one asked question. Returns at once; a fault only turns the log unhealthy.

        `verdict` is set for claims (fact-check mode); `untranslated` when the asker's language
        lacked a translation of the entry answered."""
        try:
            if outcome not in OUTCOMES:
                # A front-end bug must not crash the answer path; the row would fail the CHECK anyway.
                logger.warning("question log: unknown outcome %r ignored", outcome)
                return
            self._enqueue(
                _QuestionItem(
                    asked_at=_ts(self._now()),
                    question=storable_text(str(question)),
                    outcome=outcome,
                    confidence=float(confidence),
                    best_entry=_optional_text(best_entry),
                    best_question=_optional_text(best_question),
                    origin=storable_text(str(origin.where)),
                    guild_id=_int64(origin.guild_id),
                    channel_id=_int64(origin.channel_id),
                    user_hash=self.user_hash(origin.user_id),
                    verdict=verdict if verdict in VERDICTS else None,
                    language=_optional_text(language),
                    untranslated=bool(untranslated),
                )
            )
        except Exception:  # the promise is "never raises": log it instead
            self._lost_front += 1
            logger.exception("question log: could not queue a question")

    def _queue_feedback(
        self, message_id: int, question: str, entry_id: str | None, helpful: bool, origin: Origin
    ) -> concurrent.futures.Future[bool]:
        fut: concurrent.futures.Future[bool] = concurrent.futures.Future()
        try:
            message = _int64(message_id)
            if message is None:
                raise ValueError(f"message id {message_id} does not fit in 64 bits")
            item = _FeedbackItem(
                given_at=_ts(self._now()),
                message_id=message,
                user_key=self.user_hash(origin.user_id) or "",
                question=storable_text(str(question)),
                entry_id=_optional_text(entry_id),
                helpful=bool(helpful),
                origin=storable_text(str(origin.where)),
                guild_id=_int64(origin.guild_id),
                channel_id=_int64(origin.channel_id),
                result=fut,
            )
            if not self._enqueue(item):
                _resolve(fut, False)
        except Exception:  # never raise into a front end
            logger.exception("question log: could not queue feedback")
            _resolve(fut, False)
        return fut

    def record_feedback(
        self,
        *,
        message_id: int,
        question: str,
        entry_id: str | None,
        helpful: bool,
        origin: Origin,
        timeout: float = 5.0,
    ) -> bool:
        """Store a 👍/👎 on an answer; True if stored, False if this user already voted on it.

        Blocks until committed (at most `timeout` s; False if it took longer or the log is unhealthy).
        From an event loop use `record_feedback_async`.
        """
        fut = self._queue_feedback(message_id, question, entry_id, helpful, origin)
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            return False

    async def record_feedback_async(
        self,
        *,
        message_id: int,
        question: str,
        entry_id: str | None,
        helpful: bool,
        origin: Origin,
        timeout: float = 5.0,
    ) -> bool:
        """`record_feedback` for an event loop: awaits the writer's answer instead of blocking."""
        fut = self._queue_feedback(message_id, question, entry_id, helpful, origin)
        try:
            # shield: a timeout must not cancel the write itself, only our wait for it.
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), timeout)
        except TimeoutError:
            return False

    def purge_expired(self, timeout: float = 10.0) -> int:
        """Delete rows older than `retention_days` now; return how many. 0 if retention is off or unhealthy.

        The writer also does this on its own every `purge_every`. Runs on the writer thread (which owns
        the connection) and waits for it.
        """
        if self.retention_days is None:
            return 0
        fut: concurrent.futures.Future[int] = concurrent.futures.Future()
        if not self._enqueue(_PurgeItem(self._cutoff(), fut)):
            return 0
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            return 0

    def _cutoff(self) -> str:
        return self._cutoff_at(self._now())

    # --- reading ---------------------------------------------------------------------------------

    def stats(self, since: datetime | None = None) -> LogStats:
        """Counts of committed rows (call `flush()` first to include what is still queued)."""
        return read_stats(self.path, since, timeout=self._busy_timeout)

    def rows_for_misses(self, since: datetime | None = None) -> list[MissRow]:
        """Declined and low-confidence questions plus 👎 answers, oldest first (committed rows)."""
        return read_miss_rows(self.path, since, timeout=self._busy_timeout)

    # --- writer thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        pending: list[_Item] = []
        stopping = False  # the stop marker was written: finish what slipped in before it, then return
        failures = 0  # attempts in a row that failed for a reason other than a busy database
        delay = self._retry_initial
        troubled_since: float | None = None  # when the current run of failed attempts began
        try:
            while True:
                # Open first (open() waits for it), then wait for work; once stopping, never wait.
                if not pending and (conn is not None or stopping):
                    pending = self._take_waiting(_BATCH_MAX) if stopping else self._next_batch(conn)
                    if not pending:
                        if stopping:
                            return
                        continue  # woke up to purge
                try:
                    if conn is None:
                        conn = self._open_connection()
                        self._connected = True
                        self._ready.set()
                    if pending:
                        self._write_batch(conn, pending)
                except _Refused as exc:
                    return self._give_up(str(exc), pending, stopping)
                except Exception as exc:  # locked, disk full, unwritable, corrupted underneath us...
                    reason = f"cannot {'open' if conn is None else 'write to'} {self.path}: {exc}"
                    self._last_error = reason
                    if not _is_busy(exc):
                        failures += 1
                        # Reopen next time: a fresh connection recovers from a moved or replaced file.
                        _close_quietly(conn)
                        conn = None
                        self._connected = False
                    if troubled_since is None:
                        troubled_since = time.monotonic()
                        logger.warning(
                            "question log: %s; retrying, questions are kept meanwhile (up to %d)",
                            reason,
                            self._queue.maxsize,
                        )
                    deadline = self._close_deadline
                    if failures >= self._give_up_after or (
                        deadline is not None and time.monotonic() >= deadline
                    ):
                        return self._give_up(reason, pending, stopping)
                    self._pause(delay)
                    delay = min(delay * 2, self._retry_max)
                    if deadline is not None and conn is not None:
                        # closing: SQLite's own wait for the lock must not outlast the close either
                        remaining_ms = max(int((deadline - time.monotonic()) * 1000), 1)
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute(
                                f"PRAGMA busy_timeout = {min(remaining_ms, int(self._busy_timeout * 1000))}"
                            )
                    continue
                if troubled_since is not None:
                    logger.info("question log: writing again after %.1f s", time.monotonic() - troubled_since)
                    troubled_since = None
                failures, delay = 0, self._retry_initial
                self._answer(pending)
                stopping = stopping or any(isinstance(item, _Stop) for item in pending)
                pending = []
        finally:
            self._ready.set()
            _close_quietly(conn)

    def _next_batch(self, conn: sqlite3.Connection | None) -> list[_Item]:
        """Wait for work (waking to purge when one is due); take what is already waiting with it."""
        timeout = self._purge_every.total_seconds() if self.retention_days is not None else None
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            if conn is not None:
                self._purge_if_due(conn)
            return []
        # Take what is already waiting, without waiting for more: bursts share one commit, a lone
        # question is committed at once.
        return [first, *self._take_waiting(_BATCH_MAX - 1)]

    def _take_waiting(self, limit: int | None = None) -> list[_Item]:
        items: list[_Item] = []
        while limit is None or len(items) < limit:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _pause(self, seconds: float) -> None:
        """Back off before a retry, but never past the close deadline."""
        if self._close_deadline is not None:
            seconds = min(seconds, max(self._close_deadline - time.monotonic(), 0.0))
        time.sleep(seconds)

    def _give_up(self, reason: str, pending: list[_Item], stopping: bool) -> None:
        """Writer thread: turn the log off and say so once, with every question it cost until now;
        then answer waiters (False, 0, done) and count questions until the log is closed."""
        self._healthy = False  # record_* refuse (and count) from here on
        self._last_error = reason
        self._ready.set()
        waiting = self._take_waiting()
        stopping = stopping or any(isinstance(item, _Stop) for item in (*pending, *waiting))
        self._lost_writer += _questions_in(pending) + _questions_in(waiting)
        self._answer(pending, stored=False)
        self._answer(waiting, stored=False)
        self._reported_lost = self.not_logged
        logger.error(
            "question log disabled: %s; %d questions not logged; questions are no longer recorded "
            "until restart",
            reason,
            self._reported_lost,
        )
        while not stopping:
            item = self._queue.get()
            if isinstance(item, _QuestionItem):
                self._lost_writer += 1
            self._answer([item], stored=False)
            stopping = isinstance(item, _Stop)

    def _answer(self, batch: list[_Item], *, stored: bool = True) -> None:
        """Resolve the waiters of a batch: after a commit (`stored`), or with nothing stored."""
        for item in batch:
            if isinstance(item, _FeedbackItem):
                _resolve(item.result, False)  # no-op when the write already answered it
            elif isinstance(item, _PurgeItem):
                _resolve(item.result, 0)
            elif isinstance(item, _FlushItem):
                _resolve(item.result, stored)

    def _write_batch(self, conn: sqlite3.Connection, batch: list[_Item]) -> None:
        """Write one batch in one transaction; raise (with nothing written) if it cannot be committed.

        Feedback and purge waiters are answered only after the commit: True means "on disk".
        """
        feedback: list[tuple[concurrent.futures.Future[bool], bool]] = []
        purges: list[tuple[concurrent.futures.Future[int], int]] = []
        due = self._purge_due()
        expired = 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            # in the same transaction: once it commits, old rows are gone (an explicit purge_expired()
            # in the batch does it instead, and reports the count)
            if due is not None and not any(isinstance(item, _PurgeItem) for item in batch):
                expired = _purge(conn, self._cutoff_at(due))
            for item in batch:
                if isinstance(item, _QuestionItem):
                    conn.execute(
                        "INSERT INTO questions (asked_at, question, outcome, confidence, best_entry,"
                        " best_question, origin, guild_id, channel_id, user_hash, verdict, language,"
                        " untranslated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            item.asked_at,
                            item.question,
                            item.outcome,
                            item.confidence,
                            item.best_entry,
                            item.best_question,
                            item.origin,
                            item.guild_id,
                            item.channel_id,
                            item.user_hash,
                            item.verdict,
                            item.language,
                            int(item.untranslated),
                        ),
                    )
                elif isinstance(item, _FeedbackItem):
                    cur = conn.execute(
                        "INSERT OR IGNORE INTO feedback (given_at, message_id, user_key, question,"
                        " entry_id, helpful, origin, guild_id, channel_id)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            item.given_at,
                            item.message_id,
                            item.user_key,
                            item.question,
                            item.entry_id,
                            int(item.helpful),
                            item.origin,
                            item.guild_id,
                            item.channel_id,
                        ),
                    )
                    feedback.append((item.result, cur.rowcount == 1))
                elif isinstance(item, _PurgeItem):
                    purges.append((item.result, _purge(conn, item.cutoff)))
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        if due is not None:
            self._purged(due, expired)
        for fut, stored in feedback:
            _resolve(fut, stored)
        for pfut, count in purges:
            _resolve(pfut, count)

    def _purge_due(self) -> datetime | None:
        """Now, by the log's clock, if `purge_every` has passed since the last purge; else None."""
        if self.retention_days is None:
            return None
        now = self._now()
        if self._last_purge is not None and now - self._last_purge < self._purge_every:
            return None
        return now

    def _cutoff_at(self, now: datetime) -> str:
        assert self.retention_days is not None
        return _ts(now - timedelta(days=self.retention_days))

    def _purged(self, at: datetime, deleted: int) -> None:
        self._last_purge = at
        if deleted:
            logger.info("question log: removed %d rows older than %d days", deleted, self.retention_days)

    def _purge_if_due(self, conn: sqlite3.Connection) -> None:
        """Delete expired rows in a transaction of their own when a purge is due (at open, and when
        the writer wakes with nothing to write). A failure costs only a delay: the next batch, or the
        next wake-up, purges instead."""
        due = self._purge_due()
        if due is None:
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                deleted = _purge(conn, self._cutoff_at(due))
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            logger.debug("question log: retention purge postponed (%s)", exc)
            return
        self._purged(due, deleted)

    def _open_connection(self) -> sqlite3.Connection:
        """Create (0600, in a 0700 directory), check, migrate and purge; a corrupt file is moved aside
        once and a new one started."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.path.is_dir():
            raise IsADirectoryError(f"{self.path} is a directory")
        self._create_private()
        try:
            conn = self._prepare()
        except _Corrupt as exc:
            try:
                moved = self._move_aside()
            except OSError as err:
                raise OSError(f"{self.path} is corrupt ({exc}) and could not be moved aside: {err}") from err
            message = f"{self.path} is corrupt ({exc}); moved it aside to {moved} and started a new log"
            self._last_error = message
            logger.error("question log: %s", message)
            self._create_private()
            try:
                conn = self._prepare()
            except _Corrupt as again:
                raise sqlite3.DatabaseError(f"new database is unusable too: {again}") from again
        self._purge_if_due(conn)
        return conn

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
                    raise _Corrupt(str(exc)) from exc
                raise
            if check is None or check[0] != "ok":
                raise _Corrupt(f"integrity check: {check[0] if check else 'no result'}")
            _migrate(conn)
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
        self._last_error = message
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


def _close_quietly(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        with contextlib.suppress(sqlite3.Error):
            conn.close()


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date in ONE transaction that reads the version inside it, so two
    processes creating the same new log cannot both run a step (or read a version that is stale)."""
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
        return  # the common case costs no write lock
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise _Refused(
                f"schema version {version} is newer than this program's {SCHEMA_VERSION}; refusing to write"
            )
        for step in range(version, SCHEMA_VERSION):
            for statement in _MIGRATIONS[step]:
                conn.execute(statement)
        if version != SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def _purge(conn: sqlite3.Connection, cutoff: str) -> int:
    deleted = conn.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount
    deleted += conn.execute("DELETE FROM feedback WHERE given_at < ?", (cutoff,)).rowcount
    return max(deleted, 0)


# --- the write-ahead log's own format (https://www.sqlite.org/fileformat2.html#walformat) -------------

_WAL_MAGIC: Final = (0x377F0682, 0x377F0683)  # checksums over little- / big-endian words
_WAL_VERSION: Final = 3007000
_WAL_HEADER: Final = 32
_WAL_FRAME_HEADER: Final = 24


def _wal_checksum(data: bytes, big_endian: bool, s0: int, s1: int) -> tuple[int, int]:
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def wal_damage(data: bytes) -> str | None:
    """Why SQLite would discard committed content of this -wal file, or None if it would not.

    SQLite reads frames while their salts match the header's and their cumulative checksums hold, and
    uses them up to the last commit frame. Frames with other salts are leftovers from before the WAL
    was restarted, and frames after the last commit an unfinished transaction: neither is damage. A bad
    header, or a broken frame followed by (or being) a commit frame, loses committed rows.
    """
    if not data:
        return None
    if len(data) < _WAL_HEADER:
        return f"its {len(data)}-byte header is cut short"
    magic, version, page_size, _seq, salt1, salt2, c1, c2 = struct.unpack(">8I", data[:_WAL_HEADER])
    if magic not in _WAL_MAGIC or version != _WAL_VERSION:
        return "its header is not a WAL header"
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        return f"its header gives an impossible page size, {page_size}"
    big_endian = bool(magic & 1)
    checksum = _wal_checksum(data[:24], big_endian, 0, 0)
    if checksum != (c1, c2):
        return "its header checksum does not match"
    frame_size = _WAL_FRAME_HEADER + page_size
    offset, frame = _WAL_HEADER, 0
    broken: int | None = None
    while offset + frame_size <= len(data):
        frame += 1
        pgno, commit, fs1, fs2, fc1, fc2 = struct.unpack(">6I", data[offset : offset + _WAL_FRAME_HEADER])
        if (fs1, fs2) != (salt1, salt2):
            break  # written before the last restart of the WAL: SQLite stops here, rightly
        if broken is None:
            checksum = _wal_checksum(
                data[offset : offset + 8] + data[offset + _WAL_FRAME_HEADER : offset + frame_size],
                big_endian,
                *checksum,
            )
            if checksum != (fc1, fc2) or pgno == 0:
                broken = frame
        if broken is not None and commit:
            return f"frame {broken} fails its checksum, and committed frames follow it"
        offset += frame_size
    return None


# --- reading (any process, read-only) ------------------------------------------------------------


@contextlib.contextmanager
def _read_connection(path: Path, timeout: float) -> Iterator[sqlite3.Connection | None]:
    """A short-lived read-only connection, or None when there is no log (yet) to read."""
    if not path.is_file():
        yield None
        return
    # mode=ro: reading must never create, migrate or lock the file for writing.
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        yield conn if version >= 1 else None
    finally:
        conn.close()


def read_miss_rows(
    path: Path, since: datetime | None = None, *, timeout: float = 5.0, only: MissFilter = "all"
) -> list[MissRow]:
    """Declined and low-confidence questions plus 👎 feedback since `since` (UTC if naive), oldest first.
    `only="claims"` lists the claims the sources could not settle; `only="translations"` the answers
    given in English to someone asking in another language (translation gaps).

    An absent or empty database gives []. Raises sqlite3.Error if the file cannot be read (the CLI
    reports it; a log that cannot be read is worth an error, unlike one that cannot be written).
    """
    start = _ts(since) if since is not None else ""
    with _read_connection(Path(path), timeout) as conn:
        if conn is None:
            return []
        if only != "all":
            where = "verdict = 'unchecked'" if only == "claims" else "untranslated = 1"
            kind = "unchecked_claim" if only == "claims" else "untranslated"
            rows = conn.execute(
                f"SELECT question, '{kind}', asked_at, user_hash, best_entry, best_question, confidence,"
                f" 0, id FROM questions WHERE {where} AND asked_at >= ? ORDER BY 3, 9",
                (start,),
            ).fetchall()
            return [MissRow(q, k, _parse_ts(a), u, e, bq, c) for q, k, a, u, e, bq, c, _, _ in rows]
        rows = conn.execute(
            # Trailing (table, id) columns make ties in time come out in a stable order.
            "SELECT question, outcome, asked_at, user_hash, best_entry, best_question, confidence, 0, id"
            " FROM questions WHERE outcome IN ('declined', 'low_confidence') AND asked_at >= ?"
            " UNION ALL"
            " SELECT question, 'not_helpful', given_at, NULLIF(user_key, ''), entry_id, NULL, NULL, 1, id"
            " FROM feedback WHERE helpful = 0 AND given_at >= ?"
            " ORDER BY 3, 8, 9",
            (start, start),
        ).fetchall()
    return [
        MissRow(
            question=question,
            kind=kind,
            at=_parse_ts(at),
            user_hash=user_hash,
            best_entry=best_entry,
            best_question=best_question,
            confidence=confidence,
        )
        for question, kind, at, user_hash, best_entry, best_question, confidence, _, _ in rows
    ]


def read_stats(path: Path, since: datetime | None = None, *, top: int = 10, timeout: float = 5.0) -> LogStats:
    """Counts since `since` (UTC if naive); an absent database gives all zeros."""
    start = _ts(since) if since is not None else ""
    with _read_connection(Path(path), timeout) as conn:
        if conn is None:
            return LogStats()
        outcomes = dict(
            conn.execute(
                "SELECT outcome, COUNT(*) FROM questions WHERE asked_at >= ? GROUP BY outcome", (start,)
            ).fetchall()
        )
        votes = dict(
            conn.execute(
                "SELECT helpful, COUNT(*) FROM feedback WHERE given_at >= ? GROUP BY helpful", (start,)
            ).fetchall()
        )
        users = conn.execute(
            "SELECT COUNT(DISTINCT user_hash) FROM questions WHERE asked_at >= ?", (start,)
        ).fetchone()[0]
        top_rows = conn.execute(
            "SELECT MIN(question), COUNT(*) AS n FROM questions"
            " WHERE outcome IN ('declined', 'low_confidence') AND asked_at >= ?"
            " GROUP BY lower(trim(question)) ORDER BY n DESC, MAX(asked_at) DESC LIMIT ?",
            (start, top),
        ).fetchall()
    return LogStats(
        answered=int(outcomes.get("answered", 0)),
        low_confidence=int(outcomes.get("low_confidence", 0)),
        declined=int(outcomes.get("declined", 0)),
        helpful=int(votes.get(1, 0)),
        not_helpful=int(votes.get(0, 0)),
        distinct_users=int(users),
        top_misses=tuple((str(q), int(n)) for q, n in top_rows),
    )


# --- shutdown ------------------------------------------------------------------------------------


def install_signal_flush(qlog: QuestionLog, signals: tuple[signal.Signals, ...] = (signal.SIGTERM,)) -> None:
    """Opt-in for plain (non-asyncio) programs: on these signals, close the log, then behave as before.

    The previous handler is chained: a Python handler is called, an ignored signal stays ignored, and
    the default action becomes `SystemExit(128 + signum)` so `finally` blocks run. Must be called from
    the main thread. Under asyncio prefer `loop.add_signal_handler(signal.SIGTERM, qlog.close)`.

    The handler is Python code, so it runs only when the main thread next runs Python code. Do not wait
    for the signal with `signal.pause()`: if the signal lands after the last check and before pause()
    starts, it is only noted, and pause() sleeps until another signal comes. Wait in a way that cannot
    miss it, such as a blocking read of a pipe given to `signal.set_wakeup_fd`, or waits with a timeout.
    """
    for signum in signals:
        previous = signal.getsignal(signum)

        def handler(
            received: int,
            frame: FrameType | None,
            previous: object = previous,
        ) -> None:
            qlog.close()
            if callable(previous):
                previous(received, frame)
            elif previous != signal.SIG_IGN:
                raise SystemExit(128 + received)

        signal.signal(signum, handler)
