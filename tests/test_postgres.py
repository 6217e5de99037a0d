"""The question log and the reload bus on a real PostgreSQL server (see tests/postgres.py).

Several processes, or several services in one process, share one database: every row arrives, misses
group across them, feedback is counted once per user, the schema is migrated once however many start
at once, and a server that goes away costs no question and no answer. A reload on one service reaches
the other within 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot import cli
from bot.app import EXIT_OK
from bot.cluster import ReloadBus
from bot.discord_app import runner
from bot.discord_app.client import ShardedFactBot
from bot.discord_app.context import context_of
from bot.misses import group_misses, run_misses
from bot.questionlog import SCHEMA_VERSION, Origin, QuestionLog, read_miss_rows, read_stats
from bot.service import FactService
from tests.helpers import MINIMAL, write_base
from tests.postgres import BIN_ENV, REQUIRE_ENV, PostgresServer
from tests.world import FAKE_TOKEN, World

REPO = Path(__file__).resolve().parents[1]
Q87 = "How many political prisoners were released on 1 January?"
RETRY_INITIAL, RETRY_MAX = 0.02, 0.2
"""Reconnect quickly: the tests stop and start the server within seconds."""


def count(url: str, table: str = "questions") -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        assert row is not None
        return int(row[0])


def ask(qlog: QuestionLog, question: str, user: int = 1, outcome: str = "declined") -> None:
    qlog.record_question(
        question,
        Origin("discord", guild_id=10, channel_id=20, user_id=user),
        outcome=outcome,
        confidence=0.2,
        best_entry=None,
        best_question=None,
    )


MakeLog = Callable[..., QuestionLog]


@pytest.fixture
def make_log(pg_url: str) -> Iterator[MakeLog]:
    """QuestionLogs on the test's database, every one closed at the end."""
    made: list[QuestionLog] = []

    def make(**kwargs: Any) -> QuestionLog:
        kwargs.setdefault("salt", "cluster-salt")
        qlog = QuestionLog(pg_url, **kwargs)
        made.append(qlog)
        return qlog

    yield make
    for qlog in made:
        qlog.close()


# --- several writers ---------------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from bot.questionlog import Origin, QuestionLog

    log = QuestionLog(sys.argv[1], salt="cluster-salt", retry_initial=0.01, retry_max=0.1)
    print("ready", flush=True)
    sys.stdin.readline()  # everyone starts at once: the schema is created by the first to get the lock
    name, n = sys.argv[2], int(sys.argv[3])
    for i in range(n):
        # half of them one question typed two ways, shared by both processes; half their own
        shared = ("How many were freed in Cuba?", "how many were freed in cuba")[i % 2]
        text = shared if i % 4 < 2 else f"{name} {i}"
        log.record_question(text, Origin("discord", 1, 2, user_id=hash(name) % 1000), outcome="declined",
                            confidence=0.1, best_entry=None, best_question=None)
    log.close()
    print("healthy" if log.healthy and not log.not_logged else f"LOST {log.not_logged}: {log.last_error}")
    """
)


def start_together(script: str, *argvs: list[str]) -> list[tuple[str, str]]:
    """Run one child per argv, release them at the same moment, return their (stdout, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        for argv in argvs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        return [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)


def test_two_processes_log_into_one_new_database_at_once_and_misses_groups_across_both(pg_url: str) -> None:
    per_process = 400
    results = start_together(_WRITER, [pg_url, "alpha", str(per_process)], [pg_url, "beta", str(per_process)])

    assert [out.strip() for out, _ in results] == ["healthy", "healthy"], results
    assert count(pg_url) == 2 * per_process
    groups = group_misses(read_miss_rows(pg_url))
    shared = groups[0]
    assert shared.count == per_process  # half of each process's questions, both wordings, both processes
    assert set(shared.variants) == {"How many were freed in Cuba?", "how many were freed in cuba"}
    assert shared.distinct_users == 2
    # `misses` itself, on the URL: the same group first
    out = io.StringIO()
    args = argparse.Namespace(db=pg_url, format="json", limit=1, since=None, only="all", threshold=90.0)
    assert run_misses(args, out=out) == 0
    assert json.loads(out.getvalue())[0]["count"] == per_process
    # and /stats's grouping: one line for the shared question, not one per wording
    assert read_stats(pg_url).top_misses[0][1:] == (per_process, 2)


async def test_feedback_from_two_services_is_counted_once_per_user(make_log: MakeLog) -> None:
    one, two = make_log(), make_log()
    vote = {"message_id": 2**62, "question": "q", "entry_id": "e", "helpful": False}
    assert await one.record_feedback_async(origin=Origin("discord", user_id=7), **vote) is True  # type: ignore[arg-type]
    # the same user on another process: the shared database knows the first vote
    assert await two.record_feedback_async(origin=Origin("discord", user_id=7), **vote) is False  # type: ignore[arg-type]
    assert await two.record_feedback_async(origin=Origin("discord", user_id=8), **vote) is True  # type: ignore[arg-type]
    assert read_stats(one.database).not_helpful == 2


_MIGRATOR = textwrap.dedent(
    """
    import sys
    from bot.questionlog.db import connect_postgres
    from bot.questionlog.schema import migrate_postgres

    conn = connect_postgres(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    migrate_postgres(conn.raw)
    conn.close()
    print("migrated")
    """
)


def test_the_migration_run_by_processes_at_once_runs_once(postgres_server: PostgresServer) -> None:
    for _round in range(3):
        url = postgres_server.create_database()
        try:
            results = start_together(_MIGRATOR, *([url] for _ in range(4)))
            assert [out.strip() for out, _ in results] == ["migrated"] * 4, results
            with psycopg.connect(url) as conn:
                assert conn.execute("SELECT version FROM factbot_schema").fetchall() == [(SCHEMA_VERSION,)]
                columns = conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'questions'"
                ).fetchall()
            assert {"verdict", "language", "untranslated", "user_hash"} <= {c for (c,) in columns}
        finally:
            postgres_server.drop_database(url)


def test_a_newer_schema_is_not_written_to(make_log: MakeLog, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE factbot_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO factbot_schema VALUES (%s)", (SCHEMA_VERSION + 1,))
    qlog = make_log()
    assert qlog.open() is False
    assert not qlog.healthy and "newer" in (qlog.last_error or "")


# --- the server goes away ------------------------------------------------------------------------


@pytest.fixture
def restartable(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """The session's server, started again after the test whatever happened to it."""
    yield postgres_server
    if not _up(postgres_server):
        postgres_server.start()


def _up(server: PostgresServer) -> bool:
    try:
        with psycopg.connect(server.url(), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def test_server_down_at_start_then_back_loses_nothing(
    make_log: MakeLog, restartable: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    restartable.stop()
    qlog = make_log(retry_initial=RETRY_INITIAL, retry_max=RETRY_MAX)
    assert qlog.open(timeout=0.5) is False
    assert qlog.healthy, "a server that is down is waited for, never given up on"
    for i in range(50):
        ask(qlog, f"asked while the server was down {i}")
    assert "127.0.0.1" in (qlog.last_error or "")
    restartable.start()
    assert qlog.flush(timeout=15)
    assert count(str(qlog.database)) == 50
    assert qlog.healthy and qlog.not_logged == 0
    assert "***" not in caplog.text and "password" not in caplog.text


def test_server_stopped_mid_run_costs_no_question_and_no_answer(
    restartable: PostgresServer, pg_url: str, tmp_path: Path
) -> None:
    qlog = QuestionLog(pg_url, salt="cluster-salt", retry_initial=RETRY_INITIAL, retry_max=RETRY_MAX)
    service = FactService.load(write_base(tmp_path / "kb"), qlog)
    assert qlog.open()
    asked: list[float] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set() and len(asked) < 3000:
            started = time.perf_counter()
            answer = service.ask("How many things happened?", Origin("discord", user_id=len(asked)))
            asked.append(time.perf_counter() - started)
            assert answer.answered
            time.sleep(0.002)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        time.sleep(0.3)
        restartable.stop()  # every connection is closed by the server: the writer's too
        down_from = len(asked)
        time.sleep(1.0)
        down_until = len(asked)
        restartable.start()
        time.sleep(0.3)
    finally:
        stop.set()
        asker.join(10)
    try:
        assert down_until - down_from > 50, "answering went on while the server was down"
        assert max(asked) < 0.5, f"an answer waited {max(asked):.2f} s for the log"
        assert qlog.flush(timeout=15)
        assert count(pg_url) == len(asked)
        assert qlog.healthy and qlog.not_logged == 0
    finally:
        qlog.close()


def test_a_dropped_connection_is_reconnected(make_log: MakeLog, pg_url: str) -> None:
    qlog = make_log(retry_initial=RETRY_INITIAL, retry_max=RETRY_MAX)
    assert qlog.open()
    ask(qlog, "before")
    assert qlog.flush()
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'factbot-log'"
        )
    for i in range(20):
        ask(qlog, f"after {i}")
    assert qlog.flush(timeout=10)
    assert count(pg_url) == 21 and qlog.healthy


def test_the_queue_is_bounded_while_the_server_is_away_and_counts_what_it_dropped(
    make_log: MakeLog, restartable: PostgresServer
) -> None:
    qlog = make_log(queue_max=10, retry_initial=RETRY_INITIAL, retry_max=RETRY_MAX)
    assert qlog.open()
    restartable.stop()
    time.sleep(0.1)
    for i in range(40):
        ask(qlog, f"q{i}")
    time.sleep(0.3)  # the writer holds one batch in memory and keeps trying
    restartable.start()
    assert qlog.flush(timeout=15)
    written = count(str(qlog.database))
    assert 10 <= written < 40
    assert qlog.not_logged == 40 - written
    assert qlog.healthy


# --- a reload that reaches every process ---------------------------------------------------------


def _edit(base: Path, amount: int) -> None:
    facts = (
        MINIMAL["facts.yaml"]
        .replace("At least 5 ", f"At least {amount} ")
        .replace("at least 5 ", f"at least {amount} ")
        .replace("amount: 5", f"amount: {amount}")
    )
    (base / "facts.yaml").write_text(facts, encoding="utf-8")


def test_a_reload_on_one_service_is_picked_up_by_the_other_within_2_s(pg_url: str, tmp_path: Path) -> None:
    base = write_base(tmp_path / "kb")
    here, there = FactService.load(base), FactService.load(base)
    buses = [ReloadBus.for_service(pg_url, here), ReloadBus.for_service(pg_url, there)]
    for bus in buses:
        bus.start()
    try:
        assert all(bus.wait_listening(10) for bus in buses)
        before = there.base_version
        _edit(base, 6)

        changed = here.reload_if_changed()  # the file watcher on one machine saw the edit
        assert changed is not None and changed.ok
        published = time.monotonic()
        while there.base_version == before and time.monotonic() - published < 2.0:
            time.sleep(0.02)

        assert there.base_version == here.base_version != before, "reached the other within 2 s"
        assert "6 things" in there.engine.answer("How many things happened?").text
        assert buses[0].received == 0, "a process does not answer its own request"

        # Files that do not validate: the other keeps its working base and says so.
        (base / "facts.yaml").write_text("facts: [\n", encoding="utf-8")
        working = there.base_version
        assert not here.reload().ok  # /reload on one process
        published = time.monotonic()
        while there.last_reload is None or there.last_reload.ok:
            assert time.monotonic() - published < 2.0, "the refused reload reached the other within 2 s"
            time.sleep(0.02)
        assert there.reload_refused and there.base_version == working
        assert "6 things" in there.engine.answer("How many things happened?").text
    finally:
        for bus in buses:
            bus.close()


def test_the_bus_listens_again_after_the_server_comes_back(
    restartable: PostgresServer, tmp_path: Path
) -> None:
    url = restartable.create_database()
    base = write_base(tmp_path / "kb")
    there = FactService.load(base)
    bus = ReloadBus.for_service(url, there, retry_initial=0.05, retry_max=0.2)
    bus.start()
    try:
        assert bus.wait_listening(10)
        restartable.stop()
        _edit(base, 7)  # saved while the server was away: that notification could never be sent
        restartable.start()
        deadline = time.monotonic() + 10
        while "7 things" not in there.engine.answer("How many things happened?").text:
            assert time.monotonic() < deadline, "caught up after reconnecting"
            time.sleep(0.05)
    finally:
        bus.close()
        restartable.drop_database(url)


# --- the Discord front end on a shared database --------------------------------------------------


@pytest.fixture
def question_log(pg_url: str) -> Iterator[QuestionLog]:
    """This module's bot logs into the test's PostgreSQL database (the conftest one is SQLite)."""
    qlog = QuestionLog(pg_url, salt="test-salt", retry_initial=RETRY_INITIAL, retry_max=RETRY_MAX)
    assert qlog.open()
    yield qlog
    qlog.close()


async def test_stats_and_feedback_on_discord_read_the_shared_database(
    world: World, question_log: QuestionLog, restartable: PostgresServer
) -> None:
    other = QuestionLog(question_log.database, salt="test-salt")  # another process of the cluster
    try:
        typings = ["How many were freed in Cuba?", "how many were freed in cuba"]
        typings.append("HOW MANY WERE FREED IN CUBA")
        for wording in typings:
            ask(other, wording, user=99)
        other.record_process("host-b:2:bb", base_version="0123456789ab", refused=False, shards="2-3")
        assert other.flush()
    finally:
        other.close()
    answered = await world.alice.slash(world.channel, "ask", question=Q87)
    await world.bob.slash(world.channel, "ask", question="how many were freed in Cuba")
    await world.bob.click(answered.response, label="Not helpful")

    result = await world.admin.slash(world.channel, "stats")

    embed = result.response.embeds[0]
    fields = {f.name: f.value for f in embed.fields}
    assert (fields["Answered"], fields["Declined"], fields["👎 Not helpful"]) == ("1", "4", "1")
    assert (fields["Top misses"] or "").splitlines()[0].startswith("4× ")  # both processes' typings
    version = context_of(world.bot).service.base_version
    assert embed.footer.text is not None and embed.footer.text.endswith(f"version {version}")
    # every process of the cluster, by the version it answers from: here they differ, and it says so
    processes = (fields["Processes"] or "").splitlines()
    assert processes[0] == "⚠️ 2 processes on 2 versions:"
    assert any(line.startswith(f"**{version}**: ") and "this one" in line for line in processes)
    assert any(line.startswith("**0123456789ab**: host-b:2:bb, shards 2-3") for line in processes)
    about = await world.alice.slash(world.channel, "about")
    assert any(version in (f.value or "") for f in about.response.embeds[0].fields)

    restartable.stop()
    during = await world.alice.slash(world.channel, "ask", question=Q87)
    assert "87" in (during.response.embeds[0].description or ""), "answering goes on without the database"
    unread = await world.admin.slash(world.channel, "stats")
    assert "could not be read" in (unread.response.embeds[0].description or "")
    restartable.start()
    assert question_log.flush(timeout=15)
    assert count(str(question_log.database)) == 6


# --- `python -m bot run` in cluster mode -----------------------------------------------------------


def test_run_joins_the_cluster_reloads_on_request_and_flushes_on_sigterm(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real start-up path (`python -m bot run`) with FACTBOT_DATABASE_URL: the log goes to PostgreSQL, the
    reload bus listens, another process's request reloads this one, and SIGTERM flushes the log."""
    for name in list(os.environ):
        if name.startswith("FACTBOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    base = write_base(tmp_path / "kb")
    for name, value in {
        "DISCORD_TOKEN": FAKE_TOKEN,
        "FACTBOT_DATABASE_URL": pg_url,
        "FACTBOT_LOG_SALT": "cluster-salt",
        "FACTBOT_KNOWLEDGE_PATH": str(base),
        "FACTBOT_CACHE_DIR": "off",
        "FACTBOT_SHARD_COUNT": "4",
        "FACTBOT_SHARD_IDS": "2-3",
    }.items():
        monkeypatch.setenv(name, value)
    seen: dict[str, object] = {}

    async def fake_start(self: ShardedFactBot, token: str, *, reconnect: bool = True) -> None:
        service = self.fact_context.service
        bus = getattr(service.announce, "__self__", None)
        assert isinstance(bus, ReloadBus)
        assert await asyncio.to_thread(bus.wait_listening, 10)
        seen["shards"] = (self.shard_ids, service.shards)
        service.ask("How many things happened?", Origin("discord", 1, 2, 3))
        before = service.base_version
        _edit(base, 9)
        other = ReloadBus(pg_url, lambda: None)  # another process's /reload
        assert await asyncio.to_thread(other.publish, "elsewhere")
        for _ in range(200):
            if service.base_version != before:
                break
            await asyncio.sleep(0.01)
        seen["reloaded"] = "9 things" in service.engine.answer("How many things happened?").text
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.Event().wait()

    async def fake_close(self: ShardedFactBot) -> None:
        pass

    monkeypatch.setattr(ShardedFactBot, "start", fake_start)
    monkeypatch.setattr(ShardedFactBot, "close", fake_close)
    monkeypatch.setattr(runner, "STOP_GRACE_SECONDS", 0.2)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        assert cli.main(["run"]) == EXIT_OK
    finally:
        root.handlers[:] = handlers  # `run` installs a handler on the test's captured stderr
        root.setLevel(level)
    assert seen == {"shards": ([2, 3], "2-3"), "reloaded": True}
    assert count(pg_url) == 1, "the question asked before SIGTERM is in the shared database"


# --- the fixture: skip with a reason here, fail in CI ----------------------------------------------


@pytest.mark.parametrize("required", [False, True])
def test_without_a_server_the_tests_skip_with_a_reason_unless_required(
    required: bool, tmp_path: Path
) -> None:
    """Run one PostgreSQL test where no server can start: a skip with the reason in one line, or, with
    FACTBOT_REQUIRE_POSTGRES=1 as `.ci/run` sets it, a failure."""
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_ENV}
    env |= {BIN_ENV: str(tmp_path / "nowhere"), "PYTHONPATH": str(REPO)}
    if required:
        env[REQUIRE_ENV] = "1"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/test_postgres.py::test_a_dropped_connection_is_reconnected"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip
    reason = f"no initdb in {BIN_ENV}={tmp_path / 'nowhere'}"
    if required:
        assert run.returncode == 1, run.stdout
        assert f"{REQUIRE_ENV}=1 but no PostgreSQL server could be started: {reason}" in run.stdout
    else:
        assert run.returncode == 0, run.stdout
        assert "1 skipped" in run.stdout and f"no PostgreSQL server could be started: {reason}" in run.stdout
