"""Questions in plain messages: when the bot is mentioned, in DMs, and in the configured answer channels.

* Bots (this one included) and webhooks are ignored, so two bots can never talk in a loop.
* Mentioning the bot in a reply to someone else's message answers *that* message's question, as a
  reply to it: "@FactBot" under a question is a way to hand it to the bot.
* In answer channels every message is a question (this needs the privileged Message Content intent;
  without it Discord sends the text of mentions and DMs only). There, a message the bot cannot answer
  that does not even look like a question ("thanks!") gets no reply and is not logged as a miss.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord.ext import commands

from bot.discord_app import render
from bot.discord_app.context import AnyBot, AppContext, context_of, origin_of_message
from bot.discord_app.views import answer_reply
from bot.engine import Answer
from bot.locale import from_discord_locale

log = logging.getLogger(__name__)

_ANSWERABLE_TYPES = (discord.MessageType.default, discord.MessageType.reply)

CANNOT_READ = (
    "I can't read that message: Discord only shows me messages that mention me, unless the server "
    "owner enables the Message Content intent. Mention me with the question itself instead."
)
REFERENCE_GONE = "I can't find the message you replied to (it may have been deleted)."


class MessagesCog(commands.Cog, name="Messages"):
    """Answers questions asked in messages."""

    def __init__(self, bot: AnyBot, ctx: AppContext) -> None:
        self.bot = bot
        self.ctx = ctx

    @commands.Cog.listener("on_message")
    async def on_message(self, message: discord.Message) -> None:
        """Answer if this message is addressed to the bot; any failure becomes an apology and a log line."""
        try:
            await self._handle(message)
        except Exception:
            log.exception("failed to answer message %s", message.id)
            await self._send(message, content=render.APOLOGY)

    async def _handle(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.webhook_id is not None or message.author.id == me.id:
            return
        if message.type not in _ANSWERABLE_TYPES:
            return
        is_dm = message.guild is None
        mentioned = any(user.id == me.id for user in message.mentions)
        in_answer_channel = self._in_answer_channel(message)
        if not (is_dm or mentioned or in_answer_channel):
            return

        question = strip_mentions(message.content, me.id)
        target = message
        if mentioned and message.reference is not None:
            referenced = await self._referenced(message)
            if referenced is None:
                if not question:
                    await self._send(message, content=REFERENCE_GONE)
                    return
            elif referenced.author.id != me.id:
                # A reply to someone else's message: the question is theirs, and so is the reply.
                asked = strip_mentions(referenced.content, me.id)
                if not asked:
                    await self._send(message, content=CANNOT_READ)
                    return
                question, target = asked, referenced

        if not question:
            if mentioned or is_dm:
                engine = self.ctx.service.engine
                await self._send(
                    message, content=render.mention_help(engine.base, engine.scope, me.display_name)
                )
            return

        verdict = self.ctx.throttle.hit(message.author)
        if not verdict.allowed:
            if verdict.notify:  # once per window; the rest of a flood is ignored silently
                await self._send(message, content=self.ctx.cooldown_notice(verdict))
            return

        engine = self.ctx.service.engine  # read once: a /reload may swap it at any moment
        # answered in the language it was written in; the server's language when too short to tell
        server = from_discord_locale(str(message.guild.preferred_locale)) if message.guild else None
        # in an answer channel, a remark nobody addressed to the bot that it cannot answer is talk
        passive = in_answer_channel and not (mentioned or is_dm) and "?" not in question

        def is_a_question(answer: Answer) -> bool:
            return answer.answered or not passive

        answer = self.ctx.service.ask(
            question, origin_of_message(message), engine=engine, fallback=server, logged=is_a_question
        )
        if not is_a_question(answer):
            return
        reply = answer_reply(answer, engine.base, asked=question)
        await self._send(target, **reply.kwargs())

    def _in_answer_channel(self, message: discord.Message) -> bool:
        ids = self.ctx.settings.answer_channel_ids
        if not ids:
            return False
        parent = getattr(message.channel, "parent_id", None)  # threads inherit their channel's setting
        return message.channel.id in ids or parent in ids

    async def _referenced(self, message: discord.Message) -> discord.Message | None:
        """The message replied to: from the gateway payload, else fetched; None if it is gone."""
        reference = message.reference
        if reference is None:
            return None
        if isinstance(reference.resolved, discord.Message):
            return reference.resolved
        if isinstance(reference.resolved, discord.DeletedReferencedMessage) or reference.message_id is None:
            return None
        try:
            return await message.channel.fetch_message(reference.message_id)
        except (discord.NotFound, discord.Forbidden):
            return None

    async def _send(self, target: discord.Message, **kwargs: Any) -> None:
        """Reply without pinging anyone; a channel the bot cannot write to is logged, not raised."""
        kwargs.setdefault("allowed_mentions", render.NO_MENTIONS)
        try:
            await target.reply(mention_author=False, **kwargs)
        except discord.Forbidden:
            # Replying also needs Read Message History; a plain message may still be allowed.
            try:
                await target.channel.send(**kwargs)
            except discord.HTTPException:
                log.warning("no permission to answer in channel %s", target.channel.id)
        except discord.HTTPException:
            log.exception("could not reply to message %s", target.id)


def strip_mentions(text: str, bot_id: int) -> str:
    """The question without the bot's mention(s), on one line."""
    return render.clean_user_text(re.sub(rf"<@!?{bot_id}>", " ", text))


async def setup(bot: AnyBot) -> None:
    """Extension entry point."""
    await bot.add_cog(MessagesCog(bot, context_of(bot)))
