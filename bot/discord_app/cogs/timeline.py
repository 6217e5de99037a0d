"""/timeline: the story's events in date order, filtered by dates and topic, paginated with buttons,
with a picture of the same events to share.

The picture is drawn in a worker thread under a time limit (`TimelineCog.picture_seconds`), so the
event loop never waits on Pillow, and kept per base version, filter and language. If it fails or
is late, the text goes alone and one line is logged: the text is the answer, the picture a bonus.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import render
from bot.discord_app.context import AnyBot, AppContext, context_of, language_of_interaction
from bot.discord_app.views import TimelineQuery, timeline_reply
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.dates import PartialDate
from bot.text import fold
from bot.timeline import TimelineFilter
from bot.timeline_image import PictureCache, TimelinePicture
from bot.timeline_labels import labels_for

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]

PICTURE_SECONDS = 2.0
"""How long /timeline waits for its picture: Discord wants the reply within 3 s of the command, and
a picture of the real base takes about 0.15 s."""


class BadFilter(ValueError):
    """A /timeline option the user must fix; the message is shown to them as is."""


def parse_date_option(name: str, raw: str | None) -> PartialDate | None:
    """A from/to option: YYYY, YYYY-MM or YYYY-MM-DD. Raises BadFilter naming the option."""
    if raw is None or not raw.strip():
        return None
    try:
        return PartialDate.parse(raw.strip())
    except ValueError as exc:
        raise BadFilter(
            f"`{name}`: {render.escape_user_text(str(exc), 300)}. "
            "Use a year (2025), a month (2025-12) or a day (2025-12-25)."
        ) from None


def resolve_topic(base: KnowledgeBase, raw: str | None) -> str | None:
    """A topic option (its id, or its label typed out) as a topic id. Raises BadFilter listing the topics."""
    if raw is None or not raw.strip():
        return None
    topics = base.topics()
    wanted = fold(raw.strip())
    for topic_id, label in topics.items():
        if wanted in {fold(topic_id), fold(label)}:
            return topic_id
    known = "; ".join(f"{label} (`{tid}`)" for tid, label in topics.items())
    raise BadFilter(
        render.truncate(f"Unknown topic “{render.escape_user_text(raw, 100)}”. Topics: {known}.", 1900)
    )


def build_query(base: KnowledgeBase, start: str | None, end: str | None, topic: str | None) -> TimelineQuery:
    """The validated filters; raises BadFilter with a message for the user."""
    query = TimelineQuery(
        parse_date_option("from", start), parse_date_option("to", end), resolve_topic(base, topic)
    )
    low, high = query.bounds()
    if low is not None and high is not None and low > high:
        raise BadFilter(f"`from` ({query.start}) is after `to` ({query.end}).")
    return query


class TimelineCog(commands.Cog, name="Timeline"):
    """Answers /timeline."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.pictures = PictureCache()
        self.picture_seconds = PICTURE_SECONDS
        # One thread: pictures are CPU work under the GIL, so more threads would not draw them faster,
        # and a burst of different filters then queues here instead of crowding the default executor.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="factbot-timeline-picture")

    async def cog_unload(self) -> None:
        """Stop the picture thread (a picture being drawn finishes; queued ones are dropped)."""
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def picture(
        self, base: KnowledgeBase, query: TimelineQuery, locale: str | None
    ) -> TimelinePicture | None:
        """The picture of these events, or None (and one log line) if it fails or takes too long."""
        filters = TimelineFilter(query.start, query.end, query.topic)
        try:
            future = self.pictures.submit(base, filters, labels_for(locale), self.executor)
            waiter = asyncio.wrap_future(future)
            # Retrieve a late failure too, or asyncio reports "exception was never retrieved".
            waiter.add_done_callback(lambda done: done.cancelled() or done.exception())
            # shield: giving up waiting must not cancel the render others may share or the cache keeps.
            return await asyncio.wait_for(asyncio.shield(waiter), self.picture_seconds)
        except TimeoutError:
            log.warning(
                "timeline picture not ready after %.1f s; sent the text alone (filters %s)",
                self.picture_seconds,
                filters,
            )
        except Exception as exc:
            log.warning(
                "timeline picture failed, sent the text alone: %s: %s", type(exc).__name__, str(exc)[:200]
            )
        return None

    @app_commands.command(
        name="timeline", description="The story in dates: one line per event, oldest first."
    )
    @app_commands.rename(start="from", end="to")
    @app_commands.describe(
        start="Earliest date: a year (2025), a month (2025-12) or a day (2025-12-25)",
        end="Latest date: a year, a month or a day",
        topic="Only the events of one thread of the story",
    )
    async def timeline(
        self,
        interaction: Interaction,
        start: app_commands.Range[str, 1, 10] | None = None,
        end: app_commands.Range[str, 1, 10] | None = None,
        topic: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Show the first page; the buttons turn pages (and keep working after a restart)."""
        base = self.ctx.service.engine.base
        try:
            query = build_query(base, start, end, topic)
        except BadFilter as exc:
            await interaction.response.send_message(
                render.content(str(exc)), ephemeral=True, allowed_mentions=render.NO_MENTIONS
            )
            return
        language = language_of_interaction(interaction) or "en"
        reply = timeline_reply(base, query, language=language)
        kwargs = reply.kwargs()
        picture = await self.picture(base, query, str(interaction.locale) if interaction.locale else None)
        if picture is not None:
            render.show_timeline_picture(reply.embed)
            kwargs["file"] = render.timeline_picture_file(picture)
        await interaction.response.send_message(**kwargs)

    @timeline.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The base's topics (as they are now, after any /reload), filtered by what has been typed."""
        typed = fold(current.strip())
        return [
            app_commands.Choice(name=render.truncate(label, render.CHOICE_TEXT_LIMIT), value=topic_id)
            for topic_id, label in self.ctx.service.engine.base.topics().items()
            if not typed or typed in fold(label) or typed in topic_id
        ][: render.CHOICES_LIMIT]


async def setup(bot: AnyBot) -> None:
    """Extension entry point."""
    await bot.add_cog(TimelineCog(context_of(bot)))
