"""The bot: a `commands.Bot` (or `AutoShardedBot`) with one extension per concern.

`create_bot(settings, service)` builds it; `setup_hook` loads the cogs, registers the persistent
buttons and syncs the command tree when its definitions changed (see `bot.discord_app.sync`).
Every send defaults to pinging nobody; command errors and event errors are logged with their
traceback while the user gets a short apology, and the bot keeps serving.
"""

from __future__ import annotations

import logging
from typing import Any, Final, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.discord_app import render
from bot.discord_app.context import AnyBot, AppContext
from bot.discord_app.sync import SyncOutcome, sync_commands
from bot.discord_app.translator import FactTranslator
from bot.discord_app.views import DYNAMIC_ITEMS, apologise
from bot.service import FactService

log = logging.getLogger(__name__)

EXTENSIONS: Final = (
    "bot.discord_app.cogs.ask",
    "bot.discord_app.cogs.factcheck",
    "bot.discord_app.cogs.timeline",
    "bot.discord_app.cogs.info",
    "bot.discord_app.cogs.messages",
    "bot.discord_app.cogs.admin",
)


class FactTree(app_commands.CommandTree[Any]):
    """The command tree, with one error handler for every slash command and autocomplete."""

    async def on_error(
        self, interaction: discord.Interaction[discord.Client], error: app_commands.AppCommandError
    ) -> None:
        """Refusals get their reason; anything else is logged with its traceback and apologised for."""
        name = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(error, app_commands.CheckFailure):
            log.info("refused /%s for user %s: %s", name, interaction.user.id, type(error).__name__)
            await apologise(interaction, render.check_failure_message(error))
            return
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        log.error("/%s failed", name, exc_info=original)
        await apologise(interaction)


def intents_for(settings: Settings) -> discord.Intents:
    """Only what the bot uses: guilds, guild and DM messages; message content only when opted in.

    Without Message Content, Discord still sends the text of messages that mention the bot and of
    DMs, which is all the mention and DM paths need.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = settings.message_content
    return intents


def _options(settings: Settings) -> dict[str, Any]:
    return {
        # Prefix commands are not used (on_message is overridden below); commands.Bot requires one.
        "command_prefix": commands.when_mentioned,
        "help_command": None,
        "intents": intents_for(settings),
        "allowed_mentions": render.NO_MENTIONS,
        "tree_cls": FactTree,
    }


async def _setup(bot: AnyBot, ctx: AppContext) -> None:
    await bot.tree.set_translator(FactTranslator())
    for extension in EXTENSIONS:
        if extension not in bot.extensions:  # a re-login of the same object must not load twice
            await bot.load_extension(extension)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    for warning in ctx.settings.warnings():
        log.warning(warning)
    if ctx.sync_on_start:
        try:
            await sync_for(bot, ctx.settings)
        except discord.HTTPException:
            log.exception("command sync failed; serving the commands Discord already has")


async def sync_for(
    bot: AnyBot, settings: Settings, *, force: bool = False, scope: str = "auto"
) -> SyncOutcome:
    """Sync `bot`'s command tree as configured (dev guild or global); `force` ignores the stored hash."""
    return await sync_commands(
        bot,
        bot.tree,
        settings.command_hash_path,
        dev_guild_id=settings.dev_guild_id,
        force=force,
        scope=scope,
    )


INVITE_PERMISSIONS: Final = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    read_message_history=True,
)
"""What the bot needs in a channel: read and answer (replies need Read Message History), with embeds."""


def invite_url(application_id: int) -> str:
    """The URL that adds the bot to a server with its slash commands and the permissions it needs."""
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )


def _log_ready(bot: AnyBot) -> None:
    user = bot.user
    shards = f", {bot.shard_count} shards" if bot.shard_count and bot.shard_count > 1 else ""
    log.info("logged in as %s (%s) in %d servers%s", user, user.id if user else "?", len(bot.guilds), shards)
    if bot.application_id is not None:
        log.info("invite: %s", invite_url(bot.application_id))


class _FactBotEvents:
    """What both bot classes add to discord.py's: one definition, two gateway flavours."""

    fact_context: AppContext

    async def setup_hook(self) -> None:
        """Load the cogs, register persistent buttons, sync commands if they changed."""
        await _setup(cast(AnyBot, self), self.fact_context)

    async def on_ready(self) -> None:
        """Log who we are, and how many shards (the token is never logged)."""
        _log_ready(cast(AnyBot, self))

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: questions in messages are handled by the messages cog's listener."""

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """An event handler raised: log the traceback and keep serving."""
        log.exception("unhandled error in %s", event_method)


VOICE_WARNING_TEXTS: Final = frozenset(
    {
        "PyNaCl is not installed, voice will NOT be supported",
        "davey is not installed, voice will NOT be supported",
    }
)
"""What discord.py's client logs at every start when the voice libraries are missing."""


class _NoVoiceWarnings(logging.Filter):
    """Drops discord.py's two "… is not installed, voice will NOT be supported" warnings: the bot has
    no voice, so they are noise at every start. Anything else passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for those two warnings only."""
        return not (record.levelno == logging.WARNING and record.msg in VOICE_WARNING_TEXTS)


VOICE_WARNINGS: Final = _NoVoiceWarnings()


def quiet_voice_warnings() -> None:
    """Filter the voice warnings on the logger that writes them (once, however many bots start)."""
    logger = logging.getLogger("discord.client")
    if VOICE_WARNINGS not in logger.filters:
        logger.addFilter(VOICE_WARNINGS)


class FactBot(_FactBotEvents, commands.Bot):
    """The bot on one gateway connection."""

    def __init__(self, ctx: AppContext, **options: Any) -> None:
        quiet_voice_warnings()
        super().__init__(**_options(ctx.settings), **options)
        self.fact_context = ctx


class ShardedFactBot(_FactBotEvents, commands.AutoShardedBot):
    """The bot on several gateway connections (FACTBOT_SHARDED=true); otherwise the same as FactBot."""

    def __init__(self, ctx: AppContext, **options: Any) -> None:
        quiet_voice_warnings()
        super().__init__(**_options(ctx.settings), **options)
        self.fact_context = ctx


def shard_label(ids: tuple[int, ...]) -> str:
    """Shard ids as FACTBOT_SHARD_IDS writes them: (0, 1, 2, 5) -> '0-2,5'."""
    runs: list[list[int]] = []
    for i in sorted(ids):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ",".join(f"{a}-{b}" if a != b else str(a) for a, b in runs)


def create_bot(settings: Settings, service: FactService, *, sync_on_start: bool = True) -> AnyBot:
    """The bot for these settings: `AutoShardedBot` when FACTBOT_SHARDED or FACTBOT_SHARD_IDS is set
    (on that slice of the shards), else `Bot`."""
    # In a cluster only the process that runs shard 0 syncs the commands (see Settings.syncs_commands).
    ctx = AppContext(settings, service, sync_on_start=sync_on_start and settings.syncs_commands)
    if settings.shard_ids is not None:
        service.shards = shard_label(settings.shard_ids)  # as /stats lists the processes
    if settings.shard_ids is not None:  # this process runs its slice of FACTBOT_SHARD_COUNT shards
        return ShardedFactBot(ctx, shard_count=settings.shard_count, shard_ids=list(settings.shard_ids))
    if settings.sharded:
        return ShardedFactBot(ctx, shard_count=settings.shard_count)
    return FactBot(ctx)


REDACTED: Final = "[redacted token]"


class RedactingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that removes the token from everything it writes: the message and its
    arguments, and also exception tracebacks and stack traces, whatever the formatter (discord.py's
    colour formatter builds its own traceback text), so a library bug cannot leak it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, with every occurrence of the token replaced."""
        text = super().format(record)
        return text.replace(self._token, REDACTED) if self._token else text


def setup_logging(settings: Settings) -> None:
    """discord.py's log format at the configured level, with the token redacted from every line written
    (tracebacks included).

    Idempotent: a second call replaces the handler the first one installed instead of adding another.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_factbot", False)]:
        root.removeHandler(old)
    handler = RedactingHandler(settings.token.get_secret_value())
    handler._factbot = True  # type: ignore[attr-defined]
    discord.utils.setup_logging(
        handler=handler, level=logging.getLevelNamesMapping()[settings.log_level], root=True
    )
