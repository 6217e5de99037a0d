"""The question log's writer: a bounded queue and ONE thread that owns the database connection.

See the package docstring (`bot.questionlog`) for the guarantees; this module keeps them:

* `record_question` / `record_feedback_async` put an item on a bounded queue and return (feedback
  awaits the writer's answer without blocking the event loop). The writer drains whatever is queued
  and commits it as one transaction: a burst costs one commit, a lone question is committed at once.
* Faults are retried with exponential backoff. What a fault means comes from the store
  (`bot.questionlog.stores`): a busy SQLite file and a PostgreSQL server that is down or dropped the
  link are waited for as long as it takes (records wait in the queue, and a full queue drops them with
  a count); other failures reconnect and count, and `give_up_after` of them in a row turn the log off.
* `close()` drains the queue and commits (the programs call it on SIGTERM, through their own handlers).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import hmac
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, TypeVar

from bot.questionlog.db import Conn, Database, is_postgres, sqlite_path
from bot.questionlog.reads import read_stats
from bot.questionlog.records import (
    MAX_RETENTION_DAYS,
    OUTCOMES,
    VERDICTS,
    LogStats,
    Origin,
    int64,
    optional_text,
    storable_text,
    ts,
    utcnow,
)
from bot.questionlog.schema import Refused
from bot.questionlog.stores import PostgresStore, SqliteStore, Store

logger = logging.getLogger("bot.questionlog")
_T = TypeVar("_T")

QUEUE_MAX: Final = 10_000
"""Bounded so a stuck disk or a lost server cannot eat the bot's memory; beyond it records are
dropped (and counted)."""

_BATCH_MAX: Final = 500


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
class _ProcessItem:
    name: str
    base_version: str
    refused: bool
    shards: str | None
    seen_at: str


@dataclass(frozen=True)
class _FlushItem:
    result: concurrent.futures.Future[bool]


class _Stop:
    pass


_Item = _QuestionItem | _FeedbackItem | _ProcessItem | _FlushItem | _Stop


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

        log = QuestionLog(Path("data/questions.sqlite3"), salt=settings.log_salt)  # or "postgresql://…"
        log.open()                      # optional: record_* opens lazily
        log.record_question(q, Origin("discord", guild, channel, user), outcome="declined", ...)
        ...
        log.close()                     # on shutdown: drains the queue and commits
    """

    def __init__(
        self,
        database: Database,
        *,
        salt: str,
        retention_days: int | None = 90,
        now: Callable[[], datetime] = utcnow,
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
        SQLite itself waits for another process's lock before the log's own retries take over (and,
        on PostgreSQL, how long a connection attempt may take); the retries start at `retry_initial`
        seconds and double up to `retry_max`. A busy SQLite file and an unreachable PostgreSQL
        server are retried for as long as it takes; any other failure disables the log after
        `give_up_after` attempts in a row. `purge_every` is how often rows older than
        `retention_days` are deleted while the log runs. `database` is a SQLite path or a
        `postgresql://` URL (`bot.questionlog.db`).
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
        self.database: Database = database if is_postgres(database) else sqlite_path(database)
        self._store: Store = (
            PostgresStore(str(database), timeout=busy_timeout)
            if is_postgres(database)
            else SqliteStore(sqlite_path(database), busy_timeout=busy_timeout, now=now, report=self._note)
        )
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

    @property
    def path(self) -> Path:
        """The SQLite file (ValueError for a PostgreSQL log, which has none)."""
        if isinstance(self.database, Path):
            return self.database
        raise ValueError("a PostgreSQL question log has no file")

    def stats(self, since: datetime | None = None, *, top: int = 10) -> LogStats:
        """Counts of committed rows, from whichever database holds them (blocking: call `flush()`
        first to include what is still queued, and keep it off the event loop)."""
        return read_stats(self.database, since, top=top, timeout=self._busy_timeout)

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

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait (at most `timeout` s) until everything recorded so far is committed; True if it is.

        Unlike `record_*`, a flush may wait for room in a full queue (after a database came back, the
        queue is full until the writer catches up): it is a wait by definition.
        """
        if self._thread is None:
            return True  # nothing was ever recorded
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._closed or not self._healthy:
                return False
        fut: concurrent.futures.Future[bool] = concurrent.futures.Future()
        try:
            # Outside the lock: a close() from a signal handler must never wait behind this put.
            self._queue.put(_FlushItem(fut), timeout=timeout)
        except queue.Full:
            return False
        try:
            return fut.result(max(deadline - time.monotonic(), 0.0))
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

    def record_process(self, name: str, *, base_version: str, refused: bool, shards: str | None) -> None:
        """Say that process `name` is alive and answers from `base_version` (`refused`: its files on
        disk do not validate). Returns at once; the latest report per name is kept."""
        try:
            self._enqueue(
                _ProcessItem(
                    name=storable_text(str(name)),
                    base_version=storable_text(str(base_version)),
                    refused=bool(refused),
                    shards=optional_text(shards),
                    seen_at=ts(self._now()),
                )
            )
        except Exception:  # never raise into a front end
            logger.exception("question log: could not queue a process report")

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
                    asked_at=ts(self._now()),
                    question=storable_text(str(question)),
                    outcome=outcome,
                    confidence=float(confidence),
                    best_entry=optional_text(best_entry),
                    best_question=optional_text(best_question),
                    origin=storable_text(str(origin.where)),
                    guild_id=int64(origin.guild_id),
                    channel_id=int64(origin.channel_id),
                    user_hash=self.user_hash(origin.user_id),
                    verdict=verdict if verdict in VERDICTS else None,
                    language=optional_text(language),
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
            message = int64(message_id)
            if message is None:
                raise ValueError(f"message id {message_id} does not fit in 64 bits")
            item = _FeedbackItem(
                given_at=ts(self._now()),
                message_id=message,
                user_key=self.user_hash(origin.user_id) or "",
                question=storable_text(str(question)),
                entry_id=optional_text(entry_id),
                helpful=bool(helpful),
                origin=storable_text(str(origin.where)),
                guild_id=int64(origin.guild_id),
                channel_id=int64(origin.channel_id),
                result=fut,
            )
            if not self._enqueue(item):
                _resolve(fut, False)
        except Exception:  # never raise into a front end
            logger.exception("question log: could not queue feedback")
            _resolve(fut, False)
        return fut

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

    # --- writer thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        conn: Conn | None = None
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
                except Refused as exc:
                    return self._give_up(str(exc), pending, stopping)
                except Exception as exc:  # locked, disk full, unwritable, corrupted underneath us...
                    reason = f"cannot {'open' if conn is None else 'write to'} {self._store.name}: {exc}"
                    self._last_error = reason
                    fault = self._store.fault(exc)
                    if fault != "busy":
                        # Reopen next time: a fresh connection recovers from a moved or replaced file,
                        # and from a database server that went away.
                        if conn is not None:
                            conn.close()
                        conn = None
                        self._connected = False
                    if fault == "failure":
                        failures += 1
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
                        self._store.limit_wait(conn, remaining_ms)
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
            if conn is not None:
                conn.close()

    def _next_batch(self, conn: Conn | None) -> list[_Item]:
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
            elif isinstance(item, _FlushItem):
                _resolve(item.result, stored)

    def _write_batch(self, conn: Conn, batch: list[_Item]) -> None:
        """Write one batch in one transaction; raise (with nothing written) if it cannot be committed.

        Feedback waiters are answered only after the commit: True means "stored".
        """
        feedback: list[tuple[concurrent.futures.Future[bool], bool]] = []
        due = self._purge_due()
        expired = 0
        questions = [item for item in batch if isinstance(item, _QuestionItem)]
        conn.begin()
        try:
            # in the same transaction: once it commits, old rows are gone
            if due is not None:
                expired = _purge(conn, self._cutoff_at(due))
            if questions:
                # One statement for the lot: on PostgreSQL one round trip, not one per question.
                conn.run_many(_INSERT_QUESTION, [_question_row(item) for item in questions])
            for item in batch:
                if isinstance(item, _FeedbackItem):
                    changed = conn.run(_INSERT_FEEDBACK, _feedback_row(item))
                    feedback.append((item.result, changed == 1))
                elif isinstance(item, _ProcessItem):
                    conn.run(
                        _UPSERT_PROCESS,
                        (item.name, item.base_version, int(item.refused), item.shards, item.seen_at),
                    )
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        if due is not None:
            self._purged(due, expired)
        for fut, stored in feedback:
            _resolve(fut, stored)

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
        return ts(now - timedelta(days=self.retention_days))

    def _purged(self, at: datetime, deleted: int) -> None:
        self._last_purge = at
        if deleted:
            logger.info("question log: removed %d rows older than %d days", deleted, self.retention_days)

    def _purge_if_due(self, conn: Conn) -> None:
        """Delete expired rows in a transaction of their own when a purge is due (at open, and when
        the writer wakes with nothing to write). A failure costs only a delay: the next batch, or the
        next wake-up, purges instead."""
        due = self._purge_due()
        if due is None:
            return
        try:
            conn.begin()
            try:
                deleted = _purge(conn, self._cutoff_at(due))
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        except Exception as exc:
            logger.debug("question log: retention purge postponed (%s)", exc)
            return
        self._purged(due, deleted)

    def _note(self, problem: str) -> None:
        """A problem the log survived (a corrupt file moved aside, a damaged -wal kept)."""
        self._last_error = problem

    def _open_connection(self) -> Conn:
        conn = self._store.connect()
        self._purge_if_due(conn)
        return conn


_INSERT_QUESTION: Final = (
    "INSERT INTO questions (asked_at, question, outcome, confidence, best_entry,"
    " best_question, origin, guild_id, channel_id, user_hash, verdict, language,"
    " untranslated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# ON CONFLICT DO NOTHING (SQLite 3.24+ and PostgreSQL): a second vote by the same user on the same
# answer changes no row, which is how the caller learns it was not new.
_INSERT_FEEDBACK: Final = (
    "INSERT INTO feedback (given_at, message_id, user_key, question, entry_id, helpful, origin,"
    " guild_id, channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


# ON CONFLICT … DO UPDATE (SQLite 3.24+ and PostgreSQL): one row per process, its latest report.
_UPSERT_PROCESS: Final = (
    "INSERT INTO processes (name, base_version, refused, shards, seen_at) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE SET base_version = excluded.base_version,"
    " refused = excluded.refused, shards = excluded.shards, seen_at = excluded.seen_at"
)


def _question_row(item: _QuestionItem) -> tuple[object, ...]:
    return (
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
    )


def _feedback_row(item: _FeedbackItem) -> tuple[object, ...]:
    return (
        item.given_at,
        item.message_id,
        item.user_key,
        item.question,
        item.entry_id,
        int(item.helpful),
        item.origin,
        item.guild_id,
        item.channel_id,
    )


def _purge(conn: Conn, cutoff: str) -> int:
    deleted = conn.run("DELETE FROM questions WHERE asked_at < ?", (cutoff,))
    deleted += conn.run("DELETE FROM feedback WHERE given_at < ?", (cutoff,))
    # a process not heard from within the retention is long gone (not counted: not a question)
    conn.run("DELETE FROM processes WHERE seen_at < ?", (cutoff,))
    return max(deleted, 0)
