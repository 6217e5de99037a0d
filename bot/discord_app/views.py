"""Persistent buttons: all their state is in the custom_id, so they keep working after a restart.

Each button is a `discord.ui.DynamicItem` registered once in `setup_hook` (`bot.add_dynamic_items`);
discord.py matches a clicked custom_id against the templates below and rebuilds the item from it, so
no view has to be kept in memory per message and nothing is lost when the process restarts.

    factbot:ask:<entry id>                       "did you mean" — answer that entry
    factbot:fb:<1|0>:<entry id>                  Helpful / Not helpful on an answer
    factbot:tl:<page>:<from>:<to>:<topic token>  a timeline page with its filters

Entry and topic ids are at most 80 characters ([a-z0-9-], see `bot.knowledge.model.Id`), so every
custom_id fits in Discord's 100; a long topic id is replaced by a short hash of it (`topic_token`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, cast

import discord

from bot.discord_app import render
from bot.discord_app.context import context_of, language_of_interaction, origin_of_interaction
from bot.engine import Answer
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.dates import PartialDate
from bot.locale import text as t
from bot.timeline import select_events

log = logging.getLogger(__name__)

_ID: Final = r"[a-z0-9][a-z0-9-]{0,79}"
_ID_RE: Final = re.compile(rf"^{_ID}$")
_ANSWER_ID: Final = rf"(?:event:)?{_ID}"
"""What an answer came from: a Q&A entry, or a timeline event ("event:tanker-blockade")."""
_ANSWER_ID_RE: Final = re.compile(rf"^{_ANSWER_ID}$")
ASK_TEMPLATE: Final = rf"^factbot:ask:(?P<entry>{_ID})$"
FEEDBACK_TEMPLATE: Final = rf"^factbot:fb:(?P<helpful>[01]):(?P<entry>{_ANSWER_ID})$"
TIMELINE_TEMPLATE: Final = (
    r"^factbot:tl:(?P<page>\d{1,3}):(?P<start>[0-9-]{0,10}):(?P<end>[0-9-]{0,10})"
    r":(?P<topic>[a-z0-9~-]{0,63})$"
)
_TOPIC_INLINE_MAX: Final = 60

Button = discord.ui.Button[discord.ui.View]
Interaction = discord.Interaction[discord.Client]


async def run_safely(interaction: Interaction, handler: Callable[[], Awaitable[None]]) -> None:
    """Run a button's handler; on any exception log the traceback and apologise to the clicker only.

    Button callbacks do not go through the command tree's error handler, so they get their own.
    """
    try:
        await handler()
    except Exception:
        data = cast(dict[str, Any], interaction.data or {})
        log.exception("button %s failed", data.get("custom_id", "?"))
        await apologise(interaction)


async def apologise(interaction: Interaction, text: str = render.APOLOGY) -> None:
    """Tell the user (ephemerally) that something failed, whatever state the interaction is in."""
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
        elif interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=render.NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=render.NO_MENTIONS)
    except discord.HTTPException:
        # The interaction may have expired (3 s / 15 min); the traceback is already in the log.
        log.warning("could not deliver an apology for interaction %s", interaction.id)


# --- answers ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """An embed and its buttons, ready for any send method."""

    embed: discord.Embed
    view: discord.ui.View | None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `send`/`send_message`/`reply` (a None view must be left out)."""
        out: dict[str, Any] = {"embed": self.embed, "allowed_mentions": render.NO_MENTIONS}
        if self.view is not None:
            out["view"] = self.view
        return out


def answer_reply(answer: Answer, base: KnowledgeBase, asked: str | None = None) -> Reply:
    """An answer's embed plus its buttons: "did you mean" when unsure or declined, feedback when answered."""
    view = discord.ui.View(timeout=None)
    suggestions = answer.suggestions if (not answer.answered or answer.low_confidence) else ()
    hint = "Not what you asked? Pick one of the buttons below." if answer.answered else "Pick a button below."
    if not answer.answered and not suggestions:
        # Nothing close: offer a way on anyway, one question per topic.
        suggestions = render.fallback_suggestions(base)
        hint = "For example, one of the buttons below."
    shown = [s for s in suggestions if _ID_RE.match(s.entry_id)][: render.BUTTONS_PER_ROW]
    for s in shown:
        view.add_item(AskButton(s.entry_id, s.question, row=0))
    if answer.answered and answer.entry_id and _ANSWER_ID_RE.match(answer.entry_id):
        view.add_item(FeedbackButton(True, answer.entry_id, row=1))
        view.add_item(FeedbackButton(False, answer.entry_id, row=1))
    embed = render.answer_embed(answer, base, asked)
    if shown:
        embed.add_field(
            name="Did you mean" if answer.suggestions else "You could ask", value=hint, inline=False
        )
        render.fit_embed(embed)
    return Reply(embed, view if view.children else None)


class AskButton(discord.ui.DynamicItem[Button], template=ASK_TEMPLATE):
    """A "did you mean" suggestion: clicking it answers that entry's question."""

    def __init__(self, entry_id: str, question: str, *, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=render.button_label(question),
                style=discord.ButtonStyle.secondary,
                custom_id=f"factbot:ask:{entry_id}",
                row=row,
            )
        )
        self.entry_id = entry_id
        self.label = question

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AskButton:
        """Rebuild the button from a click (the label comes back with the component)."""
        label = item.label if isinstance(item, discord.ui.Button) and item.label else "?"
        return cls(match["entry"], label)

    async def callback(self, interaction: Interaction) -> None:
        """Answer the suggested entry, publicly, as a new message."""
        await run_safely(interaction, lambda: self._answer(interaction))

    async def _answer(self, interaction: Interaction) -> None:
        ctx = context_of(interaction.client)
        if await ctx.refused(interaction, language_of_interaction(interaction)):
            return
        engine = ctx.service.engine  # read once: a reload may swap it at any moment
        # the button's label is the question in the language it was offered in
        language = engine.language_for(self.label, fallback=language_of_interaction(interaction))
        answer = engine.answer_entry(self.entry_id, language=language)
        if answer is None:
            await interaction.response.send_message(
                "That question is no longer in my knowledge base; try /ask.",
                ephemeral=True,
                allowed_mentions=render.NO_MENTIONS,
            )
            return
        ctx.service.record(answer, origin_of_interaction(interaction))
        reply = answer_reply(answer, engine.base)
        await interaction.response.send_message(**reply.kwargs())


class FeedbackButton(discord.ui.DynamicItem[Button], template=FEEDBACK_TEMPLATE):
    """👍 / 👎 under an answer; each user's first click per answer is stored, later ones are not."""

    def __init__(self, helpful: bool, entry_id: str, *, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label="Helpful" if helpful else "Not helpful",
                emoji="👍" if helpful else "👎",
                style=discord.ButtonStyle.success if helpful else discord.ButtonStyle.secondary,
                custom_id=f"factbot:fb:{int(helpful)}:{entry_id}",
                row=row,
            )
        )
        self.helpful = helpful
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        """Rebuild the button from a click."""
        return cls(match["helpful"] == "1", match["entry"])

    async def callback(self, interaction: Interaction) -> None:
        """Record the vote in the question log and thank the clicker (only they see it)."""
        await run_safely(interaction, lambda: self._record(interaction))

    async def _record(self, interaction: Interaction) -> None:
        ctx = context_of(interaction.client)
        qlog = ctx.service.questions
        if qlog is None:
            await interaction.response.send_message(
                "Thanks for the feedback!", ephemeral=True, allowed_mentions=render.NO_MENTIONS
            )
            return
        # The write waits for the log's commit (up to its busy timeout): acknowledge within 3 s first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        qa = ctx.service.engine.base.questions.get(self.entry_id)
        question = render.asked_question(interaction.message) or (qa.question if qa else self.entry_id)
        stored = await qlog.record_feedback_async(
            message_id=interaction.message.id if interaction.message else interaction.id,
            question=question,
            entry_id=self.entry_id,
            helpful=self.helpful,
            origin=origin_of_interaction(interaction),
        )
        if stored:
            text = "Thanks, noted. Editors read every 👎." if not self.helpful else "Thanks, noted!"
        elif qlog.healthy:
            text = "You have already rated this answer; thanks!"
        else:
            text = "Thanks! (Feedback can't be saved right now.)"
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=render.NO_MENTIONS)


# --- timeline --------------------------------------------------------------------------------------


def topic_token(topic: str | None) -> str:
    """A topic id as it fits in a custom_id: itself if short, else "~" and a hash of it."""
    if topic is None:
        return ""
    if len(topic) <= _TOPIC_INLINE_MAX:
        return topic
    return "~" + hashlib.sha256(topic.encode()).hexdigest()[:16]


def topic_from_token(base: KnowledgeBase, token: str) -> str | None:
    """The topic a token stands for (a hashed one is looked up among the base's topics)."""
    if not token:
        return None
    if not token.startswith("~"):
        return token
    # Unknown after a reload: keep the token, so the page says "no events" rather than show all.
    return next((t for t in base.topics() if topic_token(t) == token), token)


@dataclass(frozen=True, slots=True)
class TimelineQuery:
    """The /timeline filters: dates as given (a year, a month or a day) and a topic id."""

    start: PartialDate | None = None
    end: PartialDate | None = None
    topic: str | None = None

    def bounds(self) -> tuple[dt.date | None, dt.date | None]:
        """Calendar bounds: a partial `start` means its first day, a partial `end` its last."""
        return (
            self.start.first_day() if self.start else None,
            self.end.last_day() if self.end else None,
        )

    def custom_id(self, page: int) -> str:
        """The custom_id of a button showing `page` of this query (≤ 100 characters)."""
        start = self.start.iso() if self.start else ""
        end = self.end.iso() if self.end else ""
        return f"factbot:tl:{page}:{start}:{end}:{topic_token(self.topic)}"

    def describe(self, base: KnowledgeBase, language: str = "en") -> str:
        """The filters in words: 'From December 2025 to 1 January 2026 · topic: The 1 January release'."""
        parts = []
        if self.start and self.end:
            parts.append(
                t(language, "from_to", start=self.start.label(language), end=self.end.label(language))
            )
        elif self.start:
            parts.append(t(language, "from_on", start=self.start.label(language)))
        elif self.end:
            parts.append(t(language, "up_to", end=self.end.label(language)))
        if self.topic:
            parts.append(t(language, "topic", topic=base.topics().get(self.topic, self.topic)))
        return " · ".join(parts)


def timeline_reply(base: KnowledgeBase, query: TimelineQuery, page: int = 0, language: str = "en") -> Reply:
    """A timeline page with Previous/Next buttons when the events do not fit on one."""
    start, end = query.bounds()
    events = select_events(base, start, end, query.topic)
    embed, page, pages = render.timeline_embed(
        base, events, page, filters=query.describe(base, language), topic=query.topic, language=language
    )
    if pages <= 1:
        return Reply(embed, None)
    view = discord.ui.View(timeout=None)
    # Prev and next always point at different pages, so their custom_ids never collide.
    previous, following = "◀ " + t(language, "previous"), t(language, "next") + " ▶"
    view.add_item(TimelineButton(query, max(page - 1, 0), previous, disabled=page == 0))
    view.add_item(TimelineButton(query, min(page + 1, pages - 1), following, disabled=page >= pages - 1))
    return Reply(embed, view)


class TimelineButton(discord.ui.DynamicItem[Button], template=TIMELINE_TEMPLATE):
    """Previous / Next on a timeline; the page and the filters are in the custom_id."""

    def __init__(self, query: TimelineQuery, page: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=query.custom_id(page),
                disabled=disabled,
            )
        )
        self.query = query
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> TimelineButton:
        """Rebuild the button (and its query) from a click."""
        base = context_of(interaction.client).service.engine.base
        query = TimelineQuery(
            PartialDate.parse(match["start"]) if match["start"] else None,
            PartialDate.parse(match["end"]) if match["end"] else None,
            topic_from_token(base, match["topic"]),
        )
        label = item.label if isinstance(item, discord.ui.Button) and item.label else "Page"
        return cls(query, int(match["page"]), label)

    async def callback(self, interaction: Interaction) -> None:
        """Show the page in place of the current one."""
        await run_safely(interaction, lambda: self._turn(interaction))

    async def _turn(self, interaction: Interaction) -> None:
        base = context_of(interaction.client).service.engine.base
        reply = timeline_reply(base, self.query, self.page, language_of_interaction(interaction) or "en")
        message = interaction.message
        if message is not None and any(a.filename == render.TIMELINE_PICTURE for a in message.attachments):
            # The message keeps its attachment across edits; every page keeps showing it in the embed.
            render.show_timeline_picture(reply.embed)
        await interaction.response.edit_message(
            embed=reply.embed, view=reply.view, allowed_mentions=render.NO_MENTIONS
        )


DYNAMIC_ITEMS: Final = (AskButton, FeedbackButton, TimelineButton)
"""Registered by the bot's setup_hook."""
