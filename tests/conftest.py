"""Shared fixtures. The Discord tests drive the real bot through simcord (no network, no token).

`simcord_env` (from simcord's pytest plugin) starts the bot returned by `simcord_bot` below. The
bot's settings can be adjusted per test with `@pytest.mark.factbot(**Settings fields)`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Cooldown, Settings
from bot.discord_app import create_bot
from bot.discord_app.context import AnyBot
from bot.engine import Engine
from bot.knowledge import load_base
from bot.questionlog import QuestionLog
from bot.service import FactService
from tests.postgres import REQUIRE_ENV, PostgresServer, Unavailable
from tests.world import FAKE_TOKEN, KNOWLEDGE, MakeBot, World, check_payload, message_payloads


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "factbot(**fields): Settings fields for the bot under test")


@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Engine snapshots written by the CLI processes the tests start go here, not to ~/.cache, and
    their state (the question log, the snapshot key) to a private data directory, not to data/."""
    names = ("FACTBOT_CACHE_DIR", "FACTBOT_DB_PATH")
    previous = {name: os.environ.get(name) for name in names}
    path = tmp_path_factory.mktemp("factbot-cache")
    os.environ["FACTBOT_CACHE_DIR"] = str(path)
    os.environ["FACTBOT_DB_PATH"] = str(tmp_path_factory.mktemp("factbot-data") / "questions.sqlite3")
    yield path
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def shared_engine() -> Engine:
    """The real base's engine, built once: it is immutable and takes ~0.5 s to build."""
    return Engine(load_base(KNOWLEDGE))


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A private copy of knowledge/ that a test may edit and /reload."""
    return Path(shutil.copytree(KNOWLEDGE, tmp_path / "knowledge"))


@pytest.fixture
def question_log(tmp_path: Path) -> Iterator[QuestionLog]:
    """A real SQLite question log in tmp_path, closed after the test."""
    qlog = QuestionLog(tmp_path / "data" / "questions.sqlite3", salt="test-salt")
    qlog.open()
    yield qlog
    qlog.close()


@pytest.fixture
def bot_settings(tmp_path: Path, knowledge_copy: Path, request: pytest.FixtureRequest) -> Settings:
    """Test settings: a generous rate limit unless a test asks otherwise via the factbot marker."""
    settings = Settings(
        token=FAKE_TOKEN,
        knowledge_path=knowledge_copy,
        db_path=tmp_path / "data" / "questions.sqlite3",
        log_salt="test-salt",
        message_content=True,
        cooldown=Cooldown(1000, 30.0),
    )
    marker = request.node.get_closest_marker("factbot")
    return settings.model_copy(update=marker.kwargs) if marker else settings


@pytest.fixture
def fact_service(shared_engine: Engine, knowledge_copy: Path, question_log: QuestionLog) -> FactService:
    """The service the bot answers through, starting from the shared engine."""
    return FactService(shared_engine, knowledge_copy, question_log)


@pytest.fixture
def make_bot(bot_settings: Settings, fact_service: FactService) -> MakeBot:
    """Build a fresh bot (e.g. to hand to env.restart_bot) sharing the test's service by default."""

    def make(settings: Settings | None = None, service: FactService | None = None) -> AnyBot:
        return create_bot(settings or bot_settings, service or fact_service)

    return make


@pytest.fixture
def simcord_bot(make_bot: MakeBot) -> AnyBot:
    """The bot simcord starts for `simcord_env`."""
    return make_bot()


@pytest.fixture
def world(simcord_env: Any) -> Iterator[World]:
    """The standard scene; afterwards every message the bot sent is checked against Discord's limits."""
    env = simcord_env
    guild = env.create_guild("Newsroom")
    channel = guild.create_text_channel("general")
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    scene = World(
        env=env,
        guild=guild,
        channel=channel,
        alice=guild.add_member(env.create_user("alice")),
        bob=guild.add_member(env.create_user("bob")),
        admin=guild.add_member(env.create_user("editor"), roles=[managers]),
    )
    yield scene
    for body in message_payloads(env.http_requests):
        check_payload(body)


# --- PostgreSQL (tests/postgres.py) ------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway server for the session; skipped with the reason where none can start, unless
    FACTBOT_REQUIRE_POSTGRES=1 (CI), where that is a failure."""
    server = PostgresServer()
    try:
        server.start()
    except (Unavailable, OSError) as exc:
        server.cleanup()
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but no PostgreSQL server could be started: {exc}")
        pytest.skip(f"no PostgreSQL server could be started: {exc}")
    yield server
    server.cleanup()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the session's server; dropped afterwards."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
