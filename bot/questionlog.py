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
* **Faults never reach the caller.** If the database cannot be opened or written (locked past the
  busy timeout, read-only location, path is a directory, disk full...), ONE error line is logged on
  the `bot.questionlog` logger, `healthy` becomes False, `last_error` says why, and every later
  `record_*` is a no-op until the process restarts. Answering questions matters more than logging them.
* **A corrupt file is moved aside, never deleted**: it is renamed to `<name>.corrupt-<UTC timestamp>`
  (with its -wal/-shm companions), ONE error line names the new path, and a fresh log is started, so
  the bot keeps recording and an editor can still try to recover the old file. `healthy` stays True
  (the log works) and `last_error` records what happened. If the move itself fails, the log is disabled
  as above. Corruption noticed later, while the file is open, disables the log instead (moving an open
  file aside is not safe).
* **Privacy.** No user names are stored; the user id only as a salted HMAC (to count distinct users
  and stop one user voting twice). Guild and channel ids are kept (they name places, not people).
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
import queue
import signal
import sqlite3
import threading
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
MissKind = Literal["declined", "low_confidence", "not_helpful"]
OUTCOMES: Final[tuple[str, ...]] = ("answered", "low_confidence", "declined")

_TS_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"
"""Fixed-width UTC timestamps, so that comparing the stored text compares the instants."""

_QUEUE_MAX: Final = 10_000
"""Bounded so a stuck disk cannot eat the bot's memory; beyond it records are dropped (logged once)."""

_BATCH_MAX: Final = 500

# SQLite primary result codes that mean "this file is damaged", as opposed to busy/locked/IO errors,
# which must never lead to moving the file aside.
_SQLITE_CORRUPT: Final = 11
_SQLITE_NOTADB: Final = 26

# Append-only: step i brings the schema from user_version i to i + 1. Never edit a released step.
_MIGRATIONS: Final[tuple[str, ...]] = (
    """
    CREATE TABLE questions (
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
    );
    CREATE INDEX questions_asked_at ON questions (asked_at);
    CREATE INDEX questions_outcome_asked_at ON questions (outcome, asked_at);
    CREATE TABLE feedback (
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
    );
    CREATE INDEX feedback_given_at ON feedback (given_at);
    """,
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
    done: threading.Event


class _Stop:
    pass


_Item = _QuestionItem | _FeedbackItem | _PurgeItem | _FlushItem | _Stop


class _Corrupt(Exception):
    """Raised while opening when the file is not a usable SQLite database."""


def _is_corruption(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def _resolve(fut: concurrent.futures.Future[_T], value: _T) -> None:
    """Set a result unless the waiter gave up (a cancelled future refuses results)."""
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if not fut.done():
            fut.set_result(value)


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
    ) -> None:
        """Configure the log; nothing touches the disk until `open()` or the first record.

        `salt` keys the user-id hash: keep it secret and stable (changing it splits every user in two
        for the distinct-user counts). `retention_days=None` keeps rows forever. `now` is the clock
        (injectable for tests). `busy_timeout` is how long a write waits for another process's lock.
        """
        if not salt:
            # An unsalted hash of a Discord id is reversible by enumerating ids.
            raise ValueError("QuestionLog needs a non-empty salt")
        if retention_days is not None and retention_days < 1:
            raise ValueError("retention_days must be at least 1 (or None to keep everything)")
        self.path = Path(path)
        self.retention_days = retention_days
        self._key = hashlib.sha256(salt.encode("utf-8")).digest()
        self._now = now
        self._busy_timeout = busy_timeout
        self._queue: queue.Queue[_Item] = queue.Queue(maxsize=_QUEUE_MAX)
        # RLock: a signal handler that calls close() may interrupt the main thread inside record_*.
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._closed = False
        self._healthy = True
        self._last_error: str | None = None
        self._dropped = 0

    # --- state -----------------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """False once the log has given up writing (see `last_error`); records are then dropped."""
        return self._healthy

    @property
    def last_error(self) -> str | None:
        """The most recent problem, in words, or None."""
        return self._last_error

    def user_hash(self, user_id: int | None) -> str | None:
        """The stored form of a user id: a salted HMAC-SHA256, 32 hex digits."""
        if user_id is None:
            return None
        return hmac.new(self._key, str(user_id).encode("ascii"), hashlib.sha256).hexdigest()[:32]

    def _fail(self, message: str) -> None:
        """Disable the log, logging the reason once (later failures would only repeat it)."""
        with self._lock:
            self._last_error = message
            if not self._healthy:
                return
            self._healthy = False
        logger.error("question log disabled: %s; questions are no longer recorded until restart", message)

    # --- lifecycle -------------------------------------------------------------------------------

    def open(self, timeout: float = 10.0) -> bool:
        """Start the writer and wait (at most `timeout` s) until the file is open; return `healthy`.

        Optional: the first `record_*` starts the writer without waiting. Call it at start-up, before
        the event loop runs, to know early whether logging works.
        """
        if not self._start():
            return False  # closed: nothing to wait for
        self._ready.wait(timeout)
        return self._healthy

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
        """Write everything queued, commit and stop the writer. Idempotent; safe from a signal handler."""
        with self._lock:
            thread = self._thread
            already = self._closed
            # From here on record_* refuse (checked under the same lock), so the stop marker is last.
            self._closed = True
        if thread is None:
            return
        if not already:
            # Blocking put outside the lock (the writer takes it in _fail), only until there is room.
            try:
                self._queue.put(_Stop(), timeout=timeout)
            except queue.Full:
                self._fail("writer did not keep up while closing; queued records lost")
        if thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                self._fail(f"writer did not finish within {timeout} s while closing")

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

    def flush(self, timeout: float = 5.0) -> None:
        """Wait (at most `timeout` s) until everything recorded so far is committed."""
        if self._thread is None:
            return  # nothing was ever recorded
        done = threading.Event()
        if self._enqueue(_FlushItem(done)):
            done.wait(timeout)

    def _enqueue(self, item: _Item) -> bool:
        """Queue without ever blocking; False if the item was dropped."""
        with self._lock:
            if self._closed or not self._healthy or not self._start():
                return False
            try:
                self._queue.put_nowait(item)
            except queue.Full:
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
    ) -> None:
        """Queue one asked question. Returns at once; a fault only turns the log unhealthy."""
        try:
            if outcome not in OUTCOMES:
                # A front-end bug must not crash the answer path; the row would fail the CHECK anyway.
                logger.warning("question log: unknown outcome %r ignored", outcome)
                return
            self._enqueue(
                _QuestionItem(
                    asked_at=_ts(self._now()),
                    question=question,
                    outcome=outcome,
                    confidence=float(confidence),
                    best_entry=best_entry,
                    best_question=best_question,
                    origin=origin.where,
                    guild_id=origin.guild_id,
                    channel_id=origin.channel_id,
                    user_hash=self.user_hash(origin.user_id),
                )
            )
        except Exception:  # the promise is "never raises": log it instead
            logger.exception("question log: could not queue a question")

    def _queue_feedback(
        self, message_id: int, question: str, entry_id: str | None, helpful: bool, origin: Origin
    ) -> concurrent.futures.Future[bool]:
        fut: concurrent.futures.Future[bool] = concurrent.futures.Future()
        try:
            item = _FeedbackItem(
                given_at=_ts(self._now()),
                message_id=int(message_id),
                user_key=self.user_hash(origin.user_id) or "",
                question=question,
                entry_id=entry_id,
                helpful=bool(helpful),
                origin=origin.where,
                guild_id=origin.guild_id,
                channel_id=origin.channel_id,
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
        """Delete rows older than `retention_days`; return how many. 0 if retention is off or unhealthy.

        Runs on the writer thread (which owns the connection) and waits for it.
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
        assert self.retention_days is not None
        return _ts(self._now() - timedelta(days=self.retention_days))

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
        try:
            conn = self._open_connection()
        except Exception as exc:  # any failure disables the log, never crashes
            self._fail(f"cannot open {self.path}: {exc}")
        finally:
            self._ready.set()
        try:
            while True:
                batch = [self._queue.get()]
                # Take what is already waiting, without waiting for more: bursts share one commit,
                # a lone question is committed at once.
                while len(batch) < _BATCH_MAX:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if self._write_batch(conn, batch):
                    # Stop: whatever slipped in before the stop marker was in this batch or is here.
                    leftover: list[_Item] = []
                    while True:
                        try:
                            leftover.append(self._queue.get_nowait())
                        except queue.Empty:
                            break
                    if leftover:
                        self._write_batch(conn, leftover)
                    return
        finally:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    def _write_batch(self, conn: sqlite3.Connection | None, batch: list[_Item]) -> bool:
        """Write one batch in one transaction, then answer its waiters. True if it held a stop marker."""
        feedback: list[tuple[concurrent.futures.Future[bool], bool]] = []
        purges: list[tuple[concurrent.futures.Future[int], int]] = []
        if conn is not None and self._healthy:
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for item in batch:
                        if isinstance(item, _QuestionItem):
                            conn.execute(
                                "INSERT INTO questions (asked_at, question, outcome, confidence, best_entry,"
                                " best_question, origin, guild_id, channel_id, user_hash)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            except Exception as exc:  # locked, disk full, corrupted underneath us...
                self._fail(f"cannot write to {self.path}: {exc}")
                feedback.clear()
                purges.clear()
        # Answer waiters only after the commit: True means "on disk".
        for fut, stored in feedback:
            _resolve(fut, stored)
        for pfut, count in purges:
            _resolve(pfut, count)
        stop = False
        for item in batch:
            if isinstance(item, _FeedbackItem):
                _resolve(item.result, False)  # no-op when already answered above
            elif isinstance(item, _PurgeItem):
                _resolve(item.result, 0)
            elif isinstance(item, _FlushItem):
                item.done.set()
            elif isinstance(item, _Stop):
                stop = True
        return stop

    def _open_connection(self) -> sqlite3.Connection:
        """Open, check, migrate and purge; a corrupt file is moved aside once and a new one started."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.is_dir():
            raise IsADirectoryError(f"{self.path} is a directory")
        try:
            return self._prepare()
        except _Corrupt as exc:
            try:
                moved = self._move_aside()
            except OSError as err:
                raise OSError(f"{self.path} is corrupt ({exc}) and could not be moved aside: {err}") from err
            message = f"{self.path} is corrupt ({exc}); moved it aside to {moved} and started a new log"
            self._last_error = message
            logger.error("question log: %s", message)
            try:
                return self._prepare()
            except _Corrupt as again:
                raise sqlite3.DatabaseError(f"new database is unusable too: {again}") from again

    def _prepare(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per batch.
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
        try:
            try:
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
            if self.retention_days is not None:
                conn.execute("BEGIN IMMEDIATE")
                deleted = _purge(conn, self._cutoff())
                conn.execute("COMMIT")
                if deleted:
                    logger.info(
                        "question log: removed %d rows older than %d days", deleted, self.retention_days
                    )
        except BaseException:
            conn.close()
            raise
        return conn

    def _move_aside(self) -> Path:
        """Rename the damaged file (and its -wal/-shm) out of the way; nothing is deleted."""
        stamp = self._now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                # Same suffix on the new name keeps them paired for SQLite, should someone recover it.
                companion.rename(target.with_name(target.name + suffix))
        return target


def _migrate(conn: sqlite3.Connection) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"schema version {version} is newer than this program's {SCHEMA_VERSION}; refusing to write"
        )
    for step in range(version, SCHEMA_VERSION):
        # One transaction per step: a crash mid-migration leaves the previous version intact.
        conn.executescript(f"BEGIN IMMEDIATE; {_MIGRATIONS[step]}; PRAGMA user_version = {step + 1}; COMMIT;")


def _purge(conn: sqlite3.Connection, cutoff: str) -> int:
    deleted = conn.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount
    deleted += conn.execute("DELETE FROM feedback WHERE given_at < ?", (cutoff,)).rowcount
    return max(deleted, 0)


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


def read_miss_rows(path: Path, since: datetime | None = None, *, timeout: float = 5.0) -> list[MissRow]:
    """Declined and low-confidence questions plus 👎 feedback since `since` (UTC if naive), oldest first.

    An absent or empty database gives []. Raises sqlite3.Error if the file cannot be read (the CLI
    reports it; a log that cannot be read is worth an error, unlike one that cannot be written).
    """
    start = _ts(since) if since is not None else ""
    with _read_connection(Path(path), timeout) as conn:
        if conn is None:
            return []
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
