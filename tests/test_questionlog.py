"""The question log: storage, privacy, feedback dedupe, durability on SIGTERM, faults, retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.questionlog import SCHEMA_VERSION, Origin, QuestionLog, read_miss_rows, read_processes

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
DISCORD = Origin("discord", guild_id=10, channel_id=20, user_id=111)

MakeLog = Callable[..., QuestionLog]


class Clock:
    """A settable clock, so timestamps and retention are exact."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def make_log(tmp_path: Path) -> Iterator[MakeLog]:
    """Build logs that are always closed at the end of the test."""
    logs: list[QuestionLog] = []

    def make(path: Path | None = None, **kwargs: object) -> QuestionLog:
        kwargs.setdefault("salt", "test-salt")
        qlog = QuestionLog(path or tmp_path / "data" / "questions.sqlite3", **kwargs)  # type: ignore[arg-type]
        logs.append(qlog)
        return qlog

    yield make
    for qlog in logs:
        qlog.close()


def ask(qlog: QuestionLog, question: str, outcome: str = "declined", origin: Origin = DISCORD) -> None:
    qlog.record_question(
        question,
        origin,
        outcome=outcome,
        confidence={"answered": 0.9, "low_confidence": 0.55, "declined": 0.2}[outcome],
        best_entry="prisoners-freed",
        best_question="How many prisoners were freed?",
    )


def vote(
    qlog: QuestionLog,
    *,
    message_id: int,
    question: str,
    entry_id: str | None,
    helpful: bool,
    origin: Origin = DISCORD,
) -> bool:
    """A 👍/👎 through the API the buttons use, awaited to the writer's answer."""
    return asyncio.run(
        qlog.record_feedback_async(
            message_id=message_id, question=question, entry_id=entry_id, helpful=helpful, origin=origin
        )
    )


def count_rows(path: Path, table: str = "questions") -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.questionlog" and r.levelno >= logging.ERROR]


# --- storage -------------------------------------------------------------------------------------


def test_creates_parent_dirs_wal_and_schema_version(make_log: MakeLog, tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "q.sqlite3"
    qlog = make_log(path)
    assert qlog.open()
    ask(qlog, "hello?")
    qlog.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # Reopening an up-to-date file migrates nothing and keeps the rows.
    again = make_log(path)
    assert again.open()
    assert again.stats().declined == 1


def test_stats_counts(make_log: MakeLog) -> None:
    qlog = make_log()
    ask(qlog, "Who was released?", "answered", Origin("discord", user_id=1))
    ask(qlog, "Who was released?", "answered", Origin("discord", user_id=2))
    ask(qlog, "when do elections happen", "low_confidence", Origin("discord", user_id=1))
    ask(qlog, "What is the weather?", "declined", Origin("terminal"))
    ask(qlog, "what is the weather?", "declined", Origin("discord", user_id=3))
    for user, helpful in ((1, True), (2, True), (3, False)):
        assert vote(
            qlog,
            message_id=99,
            question="Who was released?",
            entry_id="released",
            helpful=helpful,
            origin=Origin("discord", user_id=user),
        )
    qlog.flush()
    stats = qlog.stats()
    assert (stats.answered, stats.low_confidence, stats.declined) == (2, 1, 2)
    assert (stats.helpful, stats.not_helpful) == (2, 1)
    assert stats.total == 5
    assert stats.distinct_users == 3
    assert stats.top_misses[0][1] == 2  # the two weather questions, case-insensitively
    assert stats.top_misses[0][0].lower() == "what is the weather?"


def test_user_id_is_stored_only_as_salted_hash(make_log: MakeLog, tmp_path: Path) -> None:
    user_id = 123456789012345678
    qlog = make_log(tmp_path / "a.sqlite3", salt="one")
    ask(qlog, "q", origin=Origin("discord", user_id=user_id))
    qlog.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("a.sqlite3*"))
    assert str(user_id).encode() not in raw
    with sqlite3.connect(tmp_path / "a.sqlite3") as conn:
        (stored,) = conn.execute("SELECT user_hash FROM questions").fetchone()
    assert stored == qlog.user_hash(user_id)
    # The salt matters: another salt gives another hash.
    assert make_log(tmp_path / "b.sqlite3", salt="two").user_hash(user_id) != stored


def test_close_writes_everything_queued(make_log: MakeLog, tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    qlog = make_log(path)
    for i in range(1000):
        ask(qlog, f"question {i}")
    qlog.close()
    assert count_rows(path) == 1000
    # After close, recording is a silent no-op.
    ask(qlog, "too late")
    assert count_rows(path) == 1000


def test_unknown_outcome_is_ignored_not_raised(make_log: MakeLog) -> None:
    qlog = make_log()
    qlog.record_question("q", DISCORD, outcome="maybe", confidence=0.1, best_entry=None, best_question=None)
    qlog.flush()
    assert qlog.healthy
    assert qlog.stats().total == 0


# --- feedback ------------------------------------------------------------------------------------


def test_feedback_is_stored_once_per_message_and_user(make_log: MakeLog, tmp_path: Path) -> None:
    qlog = make_log(tmp_path / "q.sqlite3")
    same = {"question": "q", "entry_id": "e", "helpful": False}
    assert vote(qlog, message_id=5, origin=DISCORD, **same) is True  # type: ignore[arg-type]
    assert vote(qlog, message_id=5, origin=DISCORD, **same) is False  # type: ignore[arg-type]
    other_user = Origin("discord", 10, 20, user_id=222)
    assert vote(qlog, message_id=5, origin=other_user, **same) is True  # type: ignore[arg-type]
    assert vote(qlog, message_id=6, origin=DISCORD, **same) is True  # type: ignore[arg-type]
    qlog.close()
    assert count_rows(tmp_path / "q.sqlite3", "feedback") == 3


async def test_feedback_async_does_not_block_and_dedupes(make_log: MakeLog) -> None:
    qlog = make_log()
    kwargs = {"message_id": 7, "question": "q", "entry_id": None, "helpful": True, "origin": DISCORD}
    assert await qlog.record_feedback_async(**kwargs) is True  # type: ignore[arg-type]
    assert await qlog.record_feedback_async(**kwargs) is False  # type: ignore[arg-type]


# --- misses source -------------------------------------------------------------------------------


def test_rows_for_misses_and_since(make_log: MakeLog) -> None:
    clock = Clock()
    qlog = make_log(now=clock)
    ask(qlog, "answered one", "answered")
    ask(qlog, "old declined")
    clock.now = T0 + timedelta(days=2)
    ask(qlog, "unsure one", "low_confidence")
    vote(qlog, message_id=1, question="bad answer", entry_id="e", helpful=False, origin=DISCORD)
    vote(qlog, message_id=2, question="good answer", entry_id="e", helpful=True, origin=DISCORD)
    qlog.flush()
    rows = read_miss_rows(qlog.path)
    assert [(r.question, r.kind) for r in rows] == [
        ("old declined", "declined"),
        ("unsure one", "low_confidence"),
        ("bad answer", "not_helpful"),
    ]
    assert rows[0].at == T0
    assert rows[0].user_hash == qlog.user_hash(DISCORD.user_id)
    assert [r.question for r in read_miss_rows(qlog.path, T0 + timedelta(days=1))] == [
        "unsure one",
        "bad answer",
    ]


def test_reading_a_missing_log_is_empty(tmp_path: Path) -> None:
    qlog = QuestionLog(tmp_path / "nothing.sqlite3", salt="s")
    assert read_miss_rows(qlog.path) == []
    assert qlog.stats().total == 0
    assert not (tmp_path / "nothing.sqlite3").exists()  # reading never creates it


# --- retention -----------------------------------------------------------------------------------


def test_retention_purges_on_the_next_write_and_on_open(make_log: MakeLog, tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    clock = Clock(T0)
    qlog = make_log(path, now=clock, retention_days=30)
    ask(qlog, "day 0")
    vote(qlog, message_id=1, question="day 0", entry_id=None, helpful=False, origin=DISCORD)
    clock.now = T0 + timedelta(days=20)
    ask(qlog, "day 20")
    clock.now = T0 + timedelta(days=31)  # day 0 is now 31 days old
    assert qlog.flush()  # the next transaction, here a flush, deletes what expired
    assert count_rows(path, "feedback") == 0
    assert [r.question for r in read_miss_rows(qlog.path)] == ["day 20"]
    qlog.close()

    # A later start purges on open.
    reopened = make_log(path, now=Clock(T0 + timedelta(days=51)), retention_days=30)
    assert reopened.open()
    assert count_rows(path) == 0


def test_retention_off_keeps_everything(make_log: MakeLog) -> None:
    clock = Clock(T0)
    qlog = make_log(now=clock, retention_days=None)
    ask(qlog, "ancient")
    clock.now = T0 + timedelta(days=10_000)
    qlog.flush()
    assert len(read_miss_rows(qlog.path)) == 1


# --- durability ----------------------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from bot.questionlog import Origin, QuestionLog

    # What the programs do (bot/cli.py, bot/discord_app/runner.py): SIGTERM becomes an orderly stop,
    # and the log is closed on the way out.
    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    # Not signal.pause(): a signal landing after Python last checked for signals and before pause()
    # starts only sets a flag, and pause() then sleeps until a second signal. The wakeup fd gets a
    # byte whenever the signal lands, so the read below returns and the handler runs.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    log = QuestionLog(Path(sys.argv[1]), salt="s")
    # Everything after the log exists runs inside the try, as in the programs: a SIGTERM that lands
    # just after "ready" is printed must still find the finally that closes the log.
    try:
        log.open()
        for i in range(int(sys.argv[2])):
            log.record_question(f"q{i}", Origin("terminal"), outcome="declined", confidence=0.1,
                                best_entry=None, best_question=None)
        print("ready", flush=True)
        while True:
            os.read(wake_r, 1)
    finally:
        log.close()
    """
)


def test_survives_sigterm_right_after_recording(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    n = 2000  # enough that some are still queued when the signal lands
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        readable, _, _ = select.select([proc.stdout], [], [], 15)
        line = proc.stdout.readline() if readable else "(timed out)"
        if line.strip() != "ready":
            proc.kill()
            pytest.fail(f"child not ready: {line!r}; stderr: {proc.communicate(timeout=5)[1]}")
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
        assert proc.returncode == 128 + signal.SIGTERM, f"exit {proc.returncode}; stderr: {stderr}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    assert count_rows(path) == n


# --- faults --------------------------------------------------------------------------------------

FAST_GIVE_UP = {"retry_initial": 0.001, "retry_max": 0.005, "give_up_after": 3}
"""Retry timings for faults that never heal: give up in milliseconds, not seconds."""


def assert_disabled_quietly(qlog: QuestionLog, caplog: pytest.LogCaptureFixture) -> None:
    """Unhealthy, one error line, and every call afterwards a counted no-op."""
    assert not qlog.healthy
    assert qlog.last_error
    before = qlog.not_logged
    ask(qlog, "after the fault")
    assert qlog.not_logged == before + 1
    assert vote(qlog, message_id=1, question="q", entry_id=None, helpful=True, origin=DISCORD) is False
    assert qlog.flush() is False
    qlog.close()
    assert len(errors(caplog)) == 1, [r.getMessage() for r in errors(caplog)]


def test_corrupt_file_is_moved_aside_and_a_new_log_started(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "q.sqlite3"
    garbage = b"this is not a database, but someone's data\x00\xff" * 200
    path.write_bytes(garbage)
    qlog = make_log(path, now=Clock(T0))
    with caplog.at_level(logging.ERROR, logger="bot.questionlog"):
        assert qlog.open()
        ask(qlog, "still recorded")
        qlog.close()
    (moved,) = tmp_path.glob("q.sqlite3.corrupt-*")
    assert moved.name == "q.sqlite3.corrupt-20260110T120000Z"
    assert moved.read_bytes() == garbage  # nothing lost
    assert qlog.healthy
    assert qlog.last_error is not None and "corrupt" in qlog.last_error
    assert len(errors(caplog)) == 1
    assert str(moved) in errors(caplog)[0].getMessage()
    assert count_rows(path) == 1


def _unwritable_location(tmp_path: Path) -> Path:
    """A database path in a read-only directory; as root chmod does not stop writes, so then use a
    path whose parent is a regular file, which no user can create anything under."""
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    probe = ro / "probe"
    try:
        probe.touch()
    except OSError:
        return ro / "q.sqlite3"
    probe.unlink()
    ro.chmod(0o755)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    return blocker / "q.sqlite3"


def test_read_only_location_disables_quietly(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    qlog = make_log(_unwritable_location(tmp_path), **FAST_GIVE_UP)
    with caplog.at_level(logging.ERROR, logger="bot.questionlog"):
        assert qlog.open() is False
        assert_disabled_quietly(qlog, caplog)
    (tmp_path / "readonly").chmod(0o755)  # let pytest clean up


def test_path_that_is_a_directory_disables_quietly(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "q.sqlite3"
    path.mkdir()
    qlog = make_log(path, **FAST_GIVE_UP)
    with caplog.at_level(logging.ERROR, logger="bot.questionlog"):
        ask(qlog, "lazily opened")  # no open(): the first record opens, and must not raise
        qlog.flush()
        assert_disabled_quietly(qlog, caplog)
    assert "directory" in (qlog.last_error or "")
    assert path.is_dir() and not any(path.iterdir())


def test_a_persistent_failure_is_reported_once_with_the_count_of_questions_not_logged(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "q.sqlite3"
    path.mkdir()  # never becomes a database, however long the log retries
    qlog = make_log(path, **FAST_GIVE_UP)
    with caplog.at_level(logging.WARNING, logger="bot.questionlog"):
        for i in range(5):
            ask(qlog, f"question {i}")
        qlog.close()
    assert not qlog.healthy
    assert qlog.not_logged == 5
    (error,) = errors(caplog)
    assert "questions not logged" in error.getMessage()
    # Said once, with the count; if some were refused after it, close() gives the final tally.
    counts = [int(n) for n in re.findall(r"(\d+) questions (?:not|in all were not) logged", caplog.text)]
    assert counts[-1] == 5


class LogEvent(logging.Handler):
    """A threading.Event set when a `bot.questionlog` record containing `text` is emitted."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.DEBUG)
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


@contextlib.contextmanager
def watch_log(text: str) -> Iterator[threading.Event]:
    handler = LogEvent(text)
    target = logging.getLogger("bot.questionlog")
    target.addHandler(handler)
    previous = target.level
    target.setLevel(logging.DEBUG)
    try:
        yield handler.seen
    finally:
        target.removeHandler(handler)
        target.setLevel(previous)


def test_a_failure_that_heals_loses_nothing_and_does_not_disable(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Not a busy database, an I/O error: retried (reopening) until it works, within give_up_after."""
    blocker = tmp_path / "data"
    blocker.write_text("a file where the log's directory should be")
    path = blocker / "q.sqlite3"
    qlog = make_log(path, retry_initial=0.01, retry_max=0.05, give_up_after=10_000)
    with caplog.at_level(logging.WARNING, logger="bot.questionlog"), watch_log("retrying") as retrying:
        for i in range(20):
            ask(qlog, f"asked while the disk was broken {i}")
        assert retrying.wait(10)
        blocker.unlink()
        blocker.mkdir()  # the administrator fixes it
        assert qlog.flush(10)
    assert qlog.healthy and not errors(caplog)
    assert count_rows(path) == 20


_HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    conn.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("COMMIT")
    conn.close()
    print("released", flush=True)
    """
)


def test_a_writer_holding_the_lock_for_long_loses_nothing(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds BEGIN EXCLUSIVE for many times the busy timeout: every question asked
    during and after it is written once it lets go, and the log never switches off."""
    path = tmp_path / "q.sqlite3"
    qlog = make_log(path, busy_timeout=0.02, retry_initial=0.01, retry_max=0.05, give_up_after=1)
    assert qlog.open()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdin is not None and holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with caplog.at_level(logging.WARNING, logger="bot.questionlog"), watch_log("retrying") as retrying:
            for i in range(100):
                ask(qlog, f"during {i}")
            assert retrying.wait(10)  # the log has met the lock and is waiting it out
            assert qlog.flush(timeout=0.5) is False  # nothing can be committed while it is held
            for i in range(50):
                ask(qlog, f"still during {i}")
            holder.stdin.write("release\n")
            holder.stdin.flush()
            assert holder.stdout.readline().strip() == "released"
            for i in range(50):
                ask(qlog, f"after {i}")
            assert qlog.flush(timeout=10)
    finally:
        holder.kill()
        holder.wait(timeout=5)
    assert qlog.healthy and not errors(caplog)
    assert count_rows(path) == 200


@pytest.mark.parametrize("retention_days", [None, 30], ids=["locked-on-write", "locked-on-open"])
def test_a_locked_database_is_waited_for_not_given_up(
    make_log: MakeLog,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    retention_days: int | None,
) -> None:
    path = tmp_path / "q.sqlite3"
    first = make_log(path)
    assert first.open()
    first.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    qlog = make_log(
        path, busy_timeout=0.02, retention_days=retention_days, retry_initial=0.01, give_up_after=1
    )
    try:
        with caplog.at_level(logging.ERROR, logger="bot.questionlog"), watch_log("retrying") as retrying:
            qlog.open(timeout=0.2)
            ask(qlog, "q")
            assert retrying.wait(10)
            assert qlog.flush(timeout=0.2) is False
            assert qlog.healthy
            assert "locked" in (qlog.last_error or "")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert qlog.flush(timeout=10)
    assert not errors(caplog)
    assert count_rows(path) == 1


def test_a_lock_that_outlasts_close_costs_a_count_not_a_hang(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "q.sqlite3"
    qlog = make_log(path, busy_timeout=0.01, retry_initial=0.01, retry_max=0.02)
    assert qlog.open()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.ERROR, logger="bot.questionlog"):
            for i in range(3):
                ask(qlog, f"q{i}")
            qlog.close(timeout=0.3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert qlog.not_logged == 3
    (error,) = errors(caplog)
    assert "3 questions not logged" in error.getMessage()


@pytest.mark.parametrize(
    "text",
    ["caf\udce9 con le\udcff che", "lone high \ud83d surrogate", "\udcff"],
    ids=["surrogateescape", "lone-high", "only"],
)
def test_unencodable_text_is_stored_with_replacement_characters(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    path = tmp_path / "q.sqlite3"
    qlog = make_log(path)
    with caplog.at_level(logging.ERROR, logger="bot.questionlog"):
        ask(qlog, "before")
        qlog.record_question(
            text, Origin("terminal"), outcome="declined", confidence=0.1, best_entry=text, best_question=text
        )
        ask(qlog, "after")
        qlog.close()
    assert qlog.healthy and not errors(caplog)
    with sqlite3.connect(path) as conn:
        rows = [r[0] for r in conn.execute("SELECT question FROM questions ORDER BY id")]
    assert rows == ["before", re.sub("[\ud800-\udfff]", "\ufffd", text), "after"]
    assert "\ufffd" in rows[1]


def test_an_id_too_large_for_sqlite_is_dropped_not_fatal(make_log: MakeLog, tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    qlog = make_log(path)
    ask(qlog, "huge ids", origin=Origin("discord", guild_id=2**70, channel_id=-(2**70), user_id=2**70))
    ask(qlog, "after")
    qlog.close()
    assert qlog.healthy
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT guild_id, channel_id FROM questions").fetchall() == [
            (None, None),
            (10, 20),
        ]


def test_newer_schema_is_not_touched(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "q.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    qlog = make_log(path)
    with caplog.at_level(logging.ERROR, logger="bot.questionlog"):
        assert qlog.open() is False
        assert_disabled_quietly(qlog, caplog)
    assert "newer" in (qlog.last_error or "")


def test_empty_salt_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="salt"):
        QuestionLog(tmp_path / "q.sqlite3", salt="")


# --- several processes, one new file -----------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from bot.questionlog import Origin, QuestionLog

    log = QuestionLog(Path(sys.argv[1]), salt="s", retry_initial=0.005, retry_max=0.05)
    print("ready", flush=True)
    sys.stdin.readline()  # everyone starts at once
    for i in range(int(sys.argv[2])):
        log.record_question(f"{sys.argv[3]} q{i}", Origin("terminal"), outcome="declined",
                            confidence=0.1, best_entry=None, best_question=None)
    log.close()
    print("healthy" if log.healthy and not log.not_logged else f"LOST: {log.last_error}", flush=True)
    """
)


def test_processes_creating_a_new_log_at_once_all_write_everything(tmp_path: Path) -> None:
    """Three processes create the same new file at the same moment, six times: the schema is made
    once, inside one transaction, and no writer loses a question. (Before, about 4 rounds in 5 lost
    a writer's questions: "table questions already exists" or "database is locked".)"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    per_writer, writers, rounds = 300, 3, 6
    for round_ in range(rounds):
        path = tmp_path / f"round-{round_}" / "questions.sqlite3"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _WRITER, str(path), str(per_writer), f"w{w}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=tmp_path,  # `-c` puts the cwd first on sys.path: never another checkout's bot
            )
            for w in range(writers)
        ]
        try:
            for proc in procs:
                assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            results = [proc.communicate(timeout=30) for proc in procs]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=5)
        assert [out.strip() for out, _ in results] == ["healthy"] * writers, results
        assert count_rows(path) == per_writer * writers
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


# --- retention while running -------------------------------------------------------------------


def test_retention_purges_on_a_schedule_while_running(make_log: MakeLog, tmp_path: Path) -> None:
    """A log open for months deletes old rows by itself, without a restart."""
    path = tmp_path / "q.sqlite3"
    clock = Clock(T0)
    qlog = make_log(path, now=clock, retention_days=30, purge_every=timedelta(hours=1))
    assert qlog.open()
    ask(qlog, "day 0")
    vote(qlog, message_id=1, question="day 0", entry_id=None, helpful=False, origin=DISCORD)
    clock.now = T0 + timedelta(days=20)
    ask(qlog, "day 20")
    assert qlog.flush()
    assert count_rows(path) == 2
    clock.now = T0 + timedelta(days=31)  # day 0 is now older than the retention
    ask(qlog, "day 31")
    assert qlog.flush()
    assert [r.question for r in read_miss_rows(qlog.path)] == ["day 20", "day 31"]
    assert count_rows(path, "feedback") == 0
    clock.now = T0 + timedelta(days=62)
    ask(qlog, "day 62")
    assert qlog.flush()
    assert [r.question for r in read_miss_rows(qlog.path)] == ["day 62"]


def test_retention_purges_while_idle(make_log: MakeLog, tmp_path: Path) -> None:
    """Nobody asks anything: the writer still wakes up to purge (here every 10 ms of real time)."""
    path = tmp_path / "q.sqlite3"
    clock = Clock(T0)
    qlog = make_log(path, now=clock, retention_days=30, purge_every=timedelta(milliseconds=10))
    ask(qlog, "day 0")
    assert qlog.flush()
    with watch_log("removed 1 rows") as purged:
        clock.now = T0 + timedelta(days=31)
        assert purged.wait(10)
    assert count_rows(path) == 0


# --- file modes --------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_the_log_is_created_private(make_log: MakeLog, tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask, which gives 0644 files by default
    try:
        path = tmp_path / "new-dir" / "q.sqlite3"
        qlog = make_log(path)
        ask(qlog, "private")
        assert qlog.flush()
        assert path.parent.stat().st_mode & 0o777 == 0o700
        for name in ("q.sqlite3", "q.sqlite3-wal", "q.sqlite3-shm"):
            assert (path.parent / name).stat().st_mode & 0o777 == 0o600, name
        qlog.close()
    finally:
        os.umask(old_umask)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_an_existing_log_readable_by_others_is_left_alone_with_a_warning(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "q.sqlite3"
    first = make_log(path)
    assert first.open()
    first.close()
    path.chmod(0o640)  # an administrator's choice: a group that reads the log
    with caplog.at_level(logging.WARNING, logger="bot.questionlog"):
        second = make_log(path)
        assert second.open()
        second.close()
    assert path.stat().st_mode & 0o777 == 0o640
    assert "readable by other users" in caplog.text


# --- a damaged write-ahead log -----------------------------------------------------------------


def _crashed_log(tmp_path: Path, rows: int = 5) -> Path:
    """A log whose last rows are committed in its -wal only, as a killed process leaves it."""
    live = tmp_path / "live"
    qlog = QuestionLog(live / "q.sqlite3", salt="s")
    for i in range(rows):
        ask(qlog, f"committed {i}")
    assert qlog.flush()
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("q.sqlite3", "q.sqlite3-wal"):
        shutil.copyfile(live / name, crashed / name)  # copied while open: the WAL holds the commits
        (crashed / name).chmod(0o600)
    qlog.close()
    return crashed / "q.sqlite3"


def _flip(path: Path, offset: int) -> bytes:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    return bytes(data)


def test_an_intact_wal_from_a_crash_is_recovered_without_a_word(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _crashed_log(tmp_path)
    with caplog.at_level(logging.WARNING, logger="bot.questionlog"):
        qlog = make_log(path)
        assert qlog.open()
        qlog.close()
    assert not caplog.records
    assert not list(path.parent.glob("*damaged*"))
    assert count_rows(path) == 5


@pytest.mark.parametrize(
    "offset",
    [pytest.param(30, id="header-checksum"), pytest.param(32 + 24 + 100, id="first-frame")],
)
def test_a_damaged_wal_is_copied_aside_and_reported(
    make_log: MakeLog, tmp_path: Path, caplog: pytest.LogCaptureFixture, offset: int
) -> None:
    path = _crashed_log(tmp_path)
    wal = path.with_name("q.sqlite3-wal")
    damaged = _flip(wal, offset)
    database = path.read_bytes()
    with caplog.at_level(logging.ERROR, logger="bot.questionlog"):
        qlog = make_log(path, now=Clock(T0))
        assert qlog.open()
        ask(qlog, "the log goes on")
        qlog.close()
    copy = path.with_name("q.sqlite3.wal-damaged-20260110T120000Z")
    assert copy.read_bytes() == database
    assert copy.with_name(copy.name + "-wal").read_bytes() == damaged
    (error,) = errors(caplog)
    assert str(copy) in error.getMessage() and "damaged" in error.getMessage()
    assert qlog.healthy
    assert count_rows(path) == 1  # SQLite dropped the five; the copy still holds them


# --- the processes of a cluster --------------------------------------------------------------------


def test_each_process_is_kept_once_with_its_latest_report(make_log: MakeLog, tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    clock = Clock(T0)
    one, two = make_log(path, now=clock, retention_days=30), make_log(path, now=clock)
    one.record_process("host-a:1:aa", base_version="v1", refused=False, shards="0-1")
    two.record_process("host-b:2:bb", base_version="v1", refused=False, shards=None)
    assert one.flush() and two.flush()
    clock.now = T0 + timedelta(minutes=1)
    one.record_process("host-a:1:aa", base_version="v2", refused=True, shards="0-1")
    assert one.flush()

    rows = read_processes(path, T0 - timedelta(minutes=5))
    assert [(r.name, r.base_version, r.refused, r.shards) for r in rows] == [
        ("host-a:1:aa", "v2", True, "0-1"),
        ("host-b:2:bb", "v1", False, None),
    ]
    assert rows[0].seen_at == T0 + timedelta(minutes=1)
    assert [r.name for r in read_processes(path, T0 + timedelta(seconds=30))] == ["host-a:1:aa"]
    clock.now = T0 + timedelta(days=31)  # a process not heard from within the retention is gone
    assert one.flush()
    assert read_processes(path, T0 - timedelta(days=1)) == []


def test_a_log_from_before_the_processes_table_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 2")
    assert read_processes(path, T0) == []
