"""`python -m bot run` and `python -m bot sync`: argparse wiring and what they do.

`bot/cli.py` adds these with `add_run_parser(subparsers)` / `add_sync_parser(subparsers)`; each sets
`func` (the handler, `run` or `sync`, taking the parsed args and returning an exit code).

Problems a person can fix (no token, a malformed setting, a broken knowledge base, a token Discord
rejects, a privileged intent not enabled) are one explanation on stderr and a non-zero exit, never a
traceback. The token is never printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import discord

from bot.cluster import ReloadBus
from bot.config import TOKEN_HELP, ConfigError, Settings, open_question_log
from bot.discord_app.client import create_bot, setup_logging, sync_for
from bot.discord_app.context import AnyBot
from bot.knowledge import KnowledgeError
from bot.questionlog import is_postgres
from bot.service import FactService

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_KNOWLEDGE = 1
EXIT_CONFIG = 2
EXIT_UNAVAILABLE = 3
STOP_GRACE_SECONDS = 10.0

INTENT_HELP = (
    "Discord refused the Message Content intent: enable it at https://discord.com/developers/applications "
    "→ your application → Bot → Privileged Gateway Intents, or set FACTBOT_MESSAGE_CONTENT=false "
    "(mentions and DMs still work without it)."
)


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        help="settings file read before the environment (default: .env; real variables win)",
    )
    parser.add_argument(
        "--knowledge",
        type=Path,
        default=None,
        help="knowledge directory (overrides FACTBOT_KNOWLEDGE_PATH; default: knowledge/)",
    )


def add_run_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `run`: start the Discord bot."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="start the Discord bot",
        description="Start the Discord bot with the settings in the environment and .env.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent(
            """\
            examples:
              cp .env.example .env   # then set DISCORD_TOKEN
              python -m bot run
              FACTBOT_LOG_LEVEL=DEBUG python -m bot run --env-file prod.env

            Stop with Ctrl-C or SIGTERM: the question log is flushed and closed first.
            """
        ),
    )
    _common_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def add_sync_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `sync`: push the slash-command definitions to Discord now."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sync",
        help="push the slash-command definitions to Discord now",
        description=(
            "Sync the slash commands even if they look unchanged. `run` already syncs when the "
            "definitions changed: to FACTBOT_DEV_GUILD_ID if set (instant), else globally."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent(
            """\
            examples:
              python -m bot sync            # dev guild if FACTBOT_DEV_GUILD_ID is set, else global
              python -m bot sync --global   # global even with a dev guild (may take up to an hour to show)
            """
        ),
    )
    _common_arguments(parser)
    parser.add_argument(
        "--global",
        dest="sync_global",
        action="store_true",
        help="sync globally even when FACTBOT_DEV_GUILD_ID is set",
    )
    parser.set_defaults(func=sync)
    return parser


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment and --env-file, with --knowledge applied. Raises ConfigError."""
    settings = Settings.from_env(env_file=getattr(args, "env_file", Path(".env")))
    knowledge = getattr(args, "knowledge", None)
    if knowledge is not None:
        settings = replace(settings, knowledge_path=knowledge)
    return settings


def _configured(args: argparse.Namespace) -> Settings | None:
    """Settings with logging set up, or None after a one-line explanation of what is wrong."""
    try:
        settings = load_settings(args)
    except ConfigError as exc:
        print(f"factbot: {exc}", file=sys.stderr)
        return None
    setup_logging(settings)
    return settings


def run(args: argparse.Namespace) -> int:
    """`python -m bot run`: settings, question log, knowledge, then the bot until SIGTERM/SIGINT."""
    settings = _configured(args)
    if settings is None:
        return EXIT_CONFIG
    bus: ReloadBus | None = None
    try:
        questions = open_question_log(settings)
    except OSError as exc:  # e.g. the salt file cannot be written
        print(f"factbot: cannot prepare {settings.state_dir}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        try:
            service = FactService.load(settings.knowledge_path, questions, settings.snapshot_cache)
        except KnowledgeError as exc:
            print(exc.report(), file=sys.stderr)
            return EXIT_KNOWLEDGE
        log.info("knowledge: %s (version %s)", service.engine.base.summary_line(), service.base_version)
        if is_postgres(settings.database):
            # A cluster: every process's reloads reach the others (LISTEN/NOTIFY on the same database).
            bus = ReloadBus.for_service(str(settings.database), service)
            bus.start()
        bot = create_bot(settings, service)
        return asyncio.run(serve(bot, settings.token))
    finally:
        if bus is not None:
            bus.close()
        if questions is not None:
            questions.close()


async def serve(bot: AnyBot, token: str) -> int:
    """Run `bot` until it stops or the process gets SIGTERM/SIGINT; then close it. Returns an exit code.

    The caller closes the question log after this returns, so everything answered is on disk.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass
    try:
        async with bot:
            runner = asyncio.create_task(bot.start(token), name="factbot")
            stopper = asyncio.create_task(stop.wait(), name="factbot-stop")
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stopper in done:
                log.info("stopping: closing the Discord connection")
            else:
                stopper.cancel()
            await bot.close()
            try:
                # close() makes start() return; if it does not within the grace period, cancel it.
                await asyncio.wait_for(runner, timeout=STOP_GRACE_SECONDS)
            except TimeoutError:
                log.warning("the Discord connection did not close within %s s", STOP_GRACE_SECONDS)
            except discord.LoginFailure:
                print(f"factbot: Discord rejected DISCORD_TOKEN. {TOKEN_HELP}", file=sys.stderr)
                return EXIT_CONFIG
            except discord.PrivilegedIntentsRequired:
                print(f"factbot: {INTENT_HELP}", file=sys.stderr)
                return EXIT_CONFIG
            except (OSError, discord.GatewayNotFound, discord.DiscordServerError) as exc:
                # No network, DNS, or Discord down: not a bug, so no traceback.
                print(
                    f"factbot: cannot reach Discord ({exc}); check the network and try again.",
                    file=sys.stderr,
                )
                return EXIT_UNAVAILABLE
            except asyncio.CancelledError:
                pass
        return EXIT_OK
    finally:
        for signum in installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)


def sync(args: argparse.Namespace) -> int:
    """`python -m bot sync`: log in (no gateway connection), sync the command tree, log out."""
    settings = _configured(args)
    if settings is None:
        return EXIT_CONFIG
    try:
        # The commands do not depend on the base's content, but building the bot needs a service.
        service = FactService.load(settings.knowledge_path, None, settings.snapshot_cache)
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return EXIT_KNOWLEDGE
    bot = create_bot(settings, service, sync_on_start=False)
    scope = "global" if getattr(args, "sync_global", False) else "auto"
    return asyncio.run(force_sync(bot, settings, scope))


async def force_sync(bot: AnyBot, settings: Settings, scope: str = "auto") -> int:
    """Log in, sync unconditionally, print what was synced. Returns an exit code."""
    async with bot:
        try:
            await bot.login(settings.token)
        except discord.LoginFailure:
            print(f"factbot: Discord rejected DISCORD_TOKEN. {TOKEN_HELP}", file=sys.stderr)
            return EXIT_CONFIG
        outcome = await sync_for(bot, settings, force=True, scope=scope)
    print(f"Synced {len(outcome.commands)} commands ({outcome.scope}): {', '.join(outcome.commands)}")
    if outcome.scope == "global":
        print("Global commands can take up to an hour to appear in every client.")
    return EXIT_OK
