"""/reload and /stats, for server managers and the bot's owner; and, when configured, a reload
whenever the knowledge files change (FACTBOT_WATCH_SECONDS).

`default_permissions(manage_guild=True)` hides the commands from everyone else in Discord's UI;
server admins can change that in Server Settings → Integrations, so `is_admin_or_owner` checks
again on every use.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Final

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord_app import render
from bot.discord_app.context import AnyBot, AppContext, context_of
from bot.questionlog import LogStats, ProcessRow, QuestionLog, read_processes

Interaction = discord.Interaction[discord.Client]
log = logging.getLogger(__name__)


async def is_admin_or_owner(interaction: Interaction) -> bool:
    """True for members with Manage Server here, and for the application's owner (or team) anywhere."""
    if interaction.guild_id is not None and interaction.permissions.manage_guild:
        return True
    client = interaction.client
    if isinstance(client, commands.Bot | commands.AutoShardedBot):
        return await client.is_owner(interaction.user)
    return False


PRESENCE_EVERY: Final = 60.0
"""Seconds between two reports of this process to the shared log (its base version, that it lives)."""
PRESENT_WITHIN: Final = timedelta(seconds=3 * PRESENCE_EVERY)
"""/stats lists the processes heard from within this: three missed reports and a process is gone."""


def read_stats(qlog: QuestionLog, since: datetime | None) -> tuple[LogStats, list[ProcessRow]]:
    """Counts including what is still queued, and the processes heard from lately (blocking: run it
    in a thread). The wait for the queue is short: with the database away it would only delay the
    answer that the database is away."""
    qlog.flush(timeout=1.0)
    return qlog.stats(since), read_processes(qlog.database, datetime.now(UTC) - PRESENT_WITHIN)


class AdminCog(commands.Cog, name="Admin"):
    """Answers /reload and /stats."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def cog_load(self) -> None:
        """Start reporting this process to the shared log, and watching the knowledge files when
        FACTBOT_WATCH_SECONDS asks for it."""
        self.ctx.service.reports_presence = True
        self.report_presence.start()
        seconds = self.ctx.settings.watch_seconds
        if seconds > 0:
            self.watch_knowledge.change_interval(seconds=seconds)
            self.watch_knowledge.start()

    async def cog_unload(self) -> None:
        """Stop the watcher and the reports with the cog."""
        self.watch_knowledge.cancel()
        self.report_presence.cancel()

    @tasks.loop(seconds=PRESENCE_EVERY)
    async def report_presence(self) -> None:
        """This process and its base version, for every process's /stats (queued: never blocks)."""
        self.ctx.service.report_presence()

    @tasks.loop(seconds=60)
    async def watch_knowledge(self) -> None:
        """Reload when an editor saved a knowledge file; a broken save changes nothing and is logged
        once, by the reload itself (with every problem)."""
        await asyncio.to_thread(self.ctx.service.reload_if_changed)

    @watch_knowledge.error
    async def _watch_failed(self, error: BaseException) -> None:
        log.error("the knowledge watcher stopped: %s", error, exc_info=error)

    @app_commands.command(
        name="reload", description="Reload the knowledge base; if it has problems, nothing changes."
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(is_admin_or_owner)
    async def reload(self, interaction: Interaction) -> None:
        """Validate the whole base first; swap it in only if valid, else list every problem."""
        # Loading takes longer than the 3 s Discord allows before the first response.
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.ctx.service.reload_async()
        text, embeds = render.reload_report(result)
        await interaction.followup.send(
            text, embeds=embeds, ephemeral=True, allowed_mentions=render.NO_MENTIONS
        )

    @app_commands.command(
        name="stats", description="How questions went: answered, declined, feedback, top misses."
    )
    @app_commands.describe(days="Only the last N days (default: everything kept in the log)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(is_admin_or_owner)
    async def stats(
        self, interaction: Interaction, days: app_commands.Range[int, 1, 3650] | None = None
    ) -> None:
        """Counts from the question log, and the questions the bot most often could not answer."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        qlog = self.ctx.service.questions
        stats: LogStats | None = None
        processes: list[ProcessRow] = []
        note = ""
        if qlog is not None:
            since = datetime.now(UTC) - timedelta(days=days) if days else None
            try:
                # blocking reads: off the event loop
                stats, processes = await asyncio.to_thread(read_stats, qlog, since)
            except Exception as exc:  # a PostgreSQL server that is away, a SQLite file that is locked
                log.warning("/stats could not read the question log: %s", exc)
                note = f"The question log cannot be read right now ({type(exc).__name__}); try again later."
            lost = qlog.not_logged
            if not qlog.healthy:
                note = f"The log stopped recording ({lost} questions not logged): {qlog.last_error}"
            elif lost:
                # e.g. the queue filled while the database was away: the log works, these were dropped
                note = f"{lost} questions were not logged (last problem: {qlog.last_error}). {note}".strip()
            elif days and not note:
                note = f"Last {days} day{'s' if days != 1 else ''}."
        service = self.ctx.service
        if service.reload_refused and service.last_reload is not None:
            # Said where an admin looks: this process's files do not validate, its working base answers.
            refused = (
                f"This process's knowledge files do not validate ({service.last_reload.summary}); "
                f"still answering from version {service.base_version}."
            )
            note = f"{refused} {note}".strip()
        embed = render.stats_embed(
            stats,
            service.engine.base,
            note=render.truncate(note, 1000),
            version=service.base_version,
            unreadable=qlog is not None and stats is None,
            processes=processes,
            this_process=service.name,
        )
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=render.NO_MENTIONS)


async def setup(bot: AnyBot) -> None:
    """Extension entry point."""
    await bot.add_cog(AdminCog(context_of(bot)))
