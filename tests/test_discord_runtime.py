"""Running the bot: load, sharding, command-tree sync, and `python -m bot run` / `sync` without a network."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot import cli
from bot.app import EXIT_CONFIG, EXIT_KNOWLEDGE, EXIT_OK, EXIT_UNAVAILABLE
from bot.config import Settings
from bot.discord_app import runner
from bot.discord_app.client import FactBot, ShardedFactBot, sync_for
from bot.discord_app.context import context_of
from bot.discord_app.sync import SyncOutcome
from bot.questionlog import Origin, QuestionLog, read_stats
from tests.world import FAKE_TOKEN, KNOWLEDGE, MakeBot, World

QUESTIONS = (
    "How many political prisoners were released on 1 January?",
    "¿cuántos presos políticos fueron liberados el 1 de enero?",
    "Which prison were the 87 released from?",
    "How many people died during the protests?",
    "What is the weather in Caracas?",
)


def command_puts(env: Any) -> list[str]:
    return [r.path for r in env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]


async def test_500_interactions_at_once_are_all_answered(world: World, question_log: QuestionLog) -> None:
    users = [world.guild.add_member(world.env.create_user(f"reader{i}")) for i in range(5)]
    # All 500 are dispatched before the bot handles the first (simcord refuses overlapping actor
    # verbs, see World.emit_slash), then settled together.
    results = [
        world.emit_slash(users[i % 5], world.channel, "ask", question=QUESTIONS[i % len(QUESTIONS)])
        for i in range(500)
    ]
    await world.env.settle(timeout=30)

    assert all(r.acknowledged and not r.ephemeral and r.response.embeds for r in results)
    assert len([c for c in world.callbacks() if c["type"] == 4]) == 500
    question_log.flush()
    assert read_stats(question_log.path).total == 500, "every question reached the log"


@pytest.mark.factbot(sharded=True, shard_count=2)
async def test_sharded_bot_answers_on_every_shard(simcord_env: Any) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, ShardedFactBot) and bot.shard_count == 2
    for shard in (0, 1):
        guild = simcord_env.create_guild(f"Shard {shard}", shard_id=shard)
        channel = guild.create_text_channel("general")
        member = guild.add_member(simcord_env.create_user(f"user{shard}"))
        result = await member.slash(channel, "ask", question=QUESTIONS[0])
        assert "87" in (result.response.embeds[0].description or "")
        assert bot.get_guild(guild.id).shard_id == shard  # type: ignore[union-attr]


@pytest.mark.factbot(sharded=True, shard_count=2, shard_ids=(1,))
async def test_a_cluster_process_runs_its_slice_and_leaves_the_sync_to_shard_0(simcord_env: Any) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, ShardedFactBot) and bot.shard_count == 2 and bot.shard_ids == [1]
    assert command_puts(simcord_env) == [], "only the process running shard 0 syncs the commands"
    # What the process running shard 0 does at its start (Discord's commands are per application):
    await sync_for(bot, context_of(bot).settings, force=True)
    guild = simcord_env.create_guild("Shard 1", shard_id=1)
    channel = guild.create_text_channel("general")
    member = guild.add_member(simcord_env.create_user("someone"))
    result = await member.slash(channel, "ask", question=QUESTIONS[0])
    assert "87" in (result.response.embeds[0].description or "")
    assert bot.get_guild(guild.id).shard_id == 1  # type: ignore[union-attr]


async def test_commands_are_synced_globally_once_then_only_when_changed(
    world: World, make_bot: MakeBot, bot_settings: Settings
) -> None:
    env = world.env
    app = env.bot.application_id
    assert command_puts(env) == [f"/applications/{app}/commands"]
    state = json.loads(bot_settings.command_hash_path.read_text(encoding="utf-8"))
    assert list(state) == [f"{app}:global"]
    assert {c["name"] for c in env.http_requests[1].json} == {
        "ask",
        "timeline",
        "sources",
        "about",
        "reload",
        "stats",
        "Check with factbot",
    }

    await env.restart_bot(make_bot())
    assert len(command_puts(env)) == 1, "unchanged definitions are not synced again"

    state[f"{app}:global"] = "0" * 64  # as if the definitions had changed since the last sync
    bot_settings.command_hash_path.write_text(json.dumps(state), encoding="utf-8")
    await env.restart_bot(make_bot())
    assert len(command_puts(env)) == 2

    outcome = await sync_for(env.bot, bot_settings, force=True)  # what `python -m bot sync` does
    assert outcome.synced and outcome.scope == "global" and len(command_puts(env)) == 3
    assert "ask" in outcome.commands


DEV_GUILD = 1_000_000_000_000_000_001


@pytest.mark.factbot(dev_guild_id=DEV_GUILD)
async def test_a_dev_guild_gets_the_commands_instantly_and_nothing_goes_global(
    simcord_env: Any, make_bot: MakeBot
) -> None:
    env = simcord_env
    guild = env.create_guild("Dev", id=DEV_GUILD)  # created after start: the first sync had nowhere to go
    await env.restart_bot(make_bot())
    channel = guild.create_text_channel("test")
    member = guild.add_member(env.create_user("dev"))

    result = await member.slash(channel, "ask", question=QUESTIONS[0])

    assert "87" in (result.response.embeds[0].description or "")
    app = env.bot.application_id
    assert f"/applications/{app}/guilds/{DEV_GUILD}/commands" in command_puts(env)
    assert f"/applications/{app}/commands" not in command_puts(env)


# --- the command line --------------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    """The arguments as `python -m bot` parses them; `args.func(args)` runs the command."""
    return cli.build_parser().parse_args(list(argv))


def run_command(*argv: str) -> int:
    args = parse(*argv)
    code: int = args.func(args)
    return code


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No FACTBOT_* or DISCORD_TOKEN from outside, no .env, state and cache in tmp_path; logging restored."""
    for name in list(os.environ):
        if name.startswith("FACTBOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FACTBOT_DB_PATH", str(tmp_path / "data" / "questions.sqlite3"))
    monkeypatch.setenv("FACTBOT_CACHE_DIR", str(tmp_path / "cache"))
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield tmp_path
    root.handlers[:] = handlers  # `run` installs a handler on the test's captured stderr
    root.setLevel(level)


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("run", "sync"):
        with pytest.raises(SystemExit):
            parse(command, "--help")
        assert "python -m bot " + command in capsys.readouterr().out


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("token", ["", "Bot abc.def.ghi", "my-client-secret-abcdefghijklmnop"])
def test_run_without_a_usable_token_explains_in_one_line(
    token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if token:
        os.environ["DISCORD_TOKEN"] = token
    assert run_command("run") == EXIT_CONFIG
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "Reset Token" in err and "Message Content" in err
    if token:
        assert token not in err


def test_run_with_a_broken_knowledge_base_prints_the_report(
    clean_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = clean_env / "kb"
    broken.mkdir()
    (broken / "story.yaml").write_text("story: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)

    assert run_command("run", "--knowledge", str(broken)) == EXIT_KNOWLEDGE
    err = capsys.readouterr().err
    assert "problem" in err and "story.yaml:" in err and "Traceback" not in err


def test_sigterm_stops_the_bot_and_flushes_the_question_log(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("FACTBOT_KNOWLEDGE_PATH", str(KNOWLEDGE))
    closed: list[bool] = []

    async def fake_start(self: FactBot, token: str, *, reconnect: bool = True) -> None:
        assert token == FAKE_TOKEN
        self.fact_context.service.ask(QUESTIONS[4], Origin("discord", 1, 2, 3))  # queued, not yet committed
        os.kill(os.getpid(), signal.SIGTERM)  # what `docker stop` or systemd sends
        await asyncio.Event().wait()

    async def fake_close(self: FactBot) -> None:
        closed.append(True)

    monkeypatch.setattr(FactBot, "start", fake_start)
    monkeypatch.setattr(FactBot, "close", fake_close)
    monkeypatch.setattr(runner, "STOP_GRACE_SECONDS", 0.2)

    assert run_command("run") == EXIT_OK
    assert closed, "the Discord connection was closed"
    stats = read_stats(clean_env / "data" / "questions.sqlite3")
    assert (stats.total, stats.declined) == (1, 1), "the question asked just before SIGTERM is on disk"
    assert (clean_env / "data" / "questions.salt").stat().st_mode & 0o777 == 0o600
    # the whole start-up path: the salt (written first) must not leave the log's directory open
    assert (clean_env / "data").stat().st_mode & 0o777 == 0o700
    assert (clean_env / "data" / "questions.sqlite3").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("error", "expected", "code"),
    [
        (discord.LoginFailure("Improper token"), "Reset Token", EXIT_CONFIG),
        (discord.PrivilegedIntentsRequired(0), "Privileged", EXIT_CONFIG),
        (OSError("Name or service not known"), "cannot reach Discord", EXIT_UNAVAILABLE),
    ],
)
def test_discord_refusals_are_explained(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    expected: str,
    code: int,
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("FACTBOT_KNOWLEDGE_PATH", str(KNOWLEDGE))

    async def refused(self: FactBot, token: str, *, reconnect: bool = True) -> None:
        raise error

    monkeypatch.setattr(FactBot, "start", refused)
    assert run_command("run") == code
    err = capsys.readouterr().err
    assert expected in err and FAKE_TOKEN not in err and "Traceback" not in err


def test_sync_command_forces_a_sync(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("FACTBOT_KNOWLEDGE_PATH", str(KNOWLEDGE))
    calls: list[dict[str, Any]] = []

    async def no_login(self: FactBot, token: str) -> None:
        await self.setup_hook()  # what login does after authenticating (no sync: sync_on_start=False)

    async def fake_sync(
        bot: Any, settings: Settings, *, force: bool = False, scope: str = "auto"
    ) -> SyncOutcome:
        calls.append({"force": force, "scope": scope, "cogs": sorted(bot.cogs)})
        return SyncOutcome("global", True, ("about", "ask"), "x")

    monkeypatch.setattr(FactBot, "login", no_login)
    monkeypatch.setattr(runner, "sync_for", fake_sync)

    assert run_command("sync", "--global") == EXIT_OK
    assert calls == [
        {
            "force": True,
            "scope": "global",
            "cogs": ["Admin", "Ask", "Fact check", "Info", "Messages", "Timeline"],
        }
    ]
    assert "Synced 2 commands (global)" in capsys.readouterr().out


def test_the_bot_never_pings_by_default(bot_settings: Settings, make_bot: MakeBot) -> None:
    bot = make_bot()
    assert bot.allowed_mentions is not None and dict(bot.allowed_mentions.to_dict()) == {"parse": []}
    assert bot.intents.message_content and not bot.intents.members and not bot.intents.presences
    assert context_of(bot).settings is bot_settings


def _raise_with_the_token() -> None:
    # a library that puts the Authorization header in its error, as aiohttp can
    raise RuntimeError(f"request failed: headers={{'Authorization': 'Bot {FAKE_TOKEN}'}}")


@pytest.mark.parametrize("colour", [False, True], ids=["plain", "colour"])
def test_the_token_is_redacted_from_tracebacks_too(
    clean_env: Path, capsys: pytest.CaptureFixture[str], colour: bool
) -> None:
    from bot.discord_app.client import setup_logging

    setup_logging(Settings(token=FAKE_TOKEN))
    if colour:  # what discord.py uses on a terminal; it formats the traceback itself
        (handler,) = [h for h in logging.getLogger().handlers if getattr(h, "_factbot", False)]
        handler.setFormatter(discord.utils._ColourFormatter())
    log = logging.getLogger("discord.http")
    log.warning("token in the message: %s", FAKE_TOKEN)
    try:
        _raise_with_the_token()
    except RuntimeError:
        log.exception("a request failed")
    log.error("and in a stack trace", stack_info=True, extra={"token": FAKE_TOKEN})
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: request failed" in err
    assert FAKE_TOKEN not in err
    assert err.count("[redacted token]") >= 2
