"""`python -m bot run` and `python -m bot sync`: what they do once `bot.cli` has parsed the arguments
and `bot.app` has built the settings and the question log.

Problems a person can fix (a broken knowledge base, a token Discord rejects, a privileged intent not
enabled, no network) are one explanation on stderr and a non-zero exit, never a traceback. The token
is never printed or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import discord

from bot.app import EXIT_CONFIG, EXIT_KNOWLEDGE, EXIT_OK, EXIT_UNAVAILABLE, App
from bot.config import TOKEN_HELP, Settings
from bot.discord_app.client import create_bot, sync_for
from bot.discord_app.context import AnyBot
from bot.knowledge import KnowledgeError

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0

INTENT_HELP = (
    "Discord refused the Message Content intent: enable it at https://discord.com/developers/applications "
    "→ your application → Bot → Privileged Gateway Intents, or set FACTBOT_MESSAGE_CONTENT=false "
    "(mentions and DMs still work without it)."
)


def run_bot(app: App) -> int:
    """Serve Discord with the app's settings until SIGTERM/SIGINT; the caller closes the app after
    (the reload bus, then the question log). In cluster mode (FACTBOT_SHARD_IDS) the bot runs that
    slice of the shards, and only the process running shard 0 syncs the commands (`create_bot`).

    Returns an exit code; a broken knowledge base is its report on stderr and EXIT_KNOWLEDGE.
    """
    try:
        service = app.service()
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return EXIT_KNOWLEDGE
    log.info("knowledge: %s (version %s)", service.engine.base.summary_line(), service.base_version)
    app.join_cluster(service)  # PostgreSQL: reloads reach (and come from) the other processes
    bot = create_bot(app.settings, service)
    return asyncio.run(serve(bot, app.settings.token.get_secret_value()))


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


def sync_bot(app: App, scope: str = "auto") -> int:
    """Log in (no gateway connection), sync the command tree, log out. Returns an exit code."""
    try:
        # The commands do not depend on the base's content, but building the bot needs a service.
        service = app.service()
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return EXIT_KNOWLEDGE
    bot = create_bot(app.settings, service, sync_on_start=False)
    return asyncio.run(force_sync(bot, app.settings, scope))


async def force_sync(bot: AnyBot, settings: Settings, scope: str = "auto") -> int:
    """Log in, sync unconditionally, print what was synced. Returns an exit code."""
    async with bot:
        try:
            await bot.login(settings.token.get_secret_value())
        except discord.LoginFailure:
            print(f"factbot: Discord rejected DISCORD_TOKEN. {TOKEN_HELP}", file=sys.stderr)
            return EXIT_CONFIG
        outcome = await sync_for(bot, settings, force=True, scope=scope)
    print(f"Synced {len(outcome.commands)} commands ({outcome.scope}): {', '.join(outcome.commands)}")
    if outcome.scope == "global":
        print("Global commands can take up to an hour to appear in every client.")
    return EXIT_OK
