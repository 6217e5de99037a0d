"""Questions in plain messages: mentions, replies, DMs, answer channels; bots and chatter ignored."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.discord_app.cogs.messages import CANNOT_READ
from tests.world import MakeBot, World

Q87 = "How many political prisoners were released on 1 January?"


async def test_a_mention_is_answered_as_a_reply_without_pinging(world: World) -> None:
    asked = await world.alice.send(world.channel, f"{world.mention} {Q87}")

    (reply,) = world.bot_messages()
    assert reply.reference is not None and reply.reference.message_id == asked.id
    assert "87" in (reply.embeds[0].description or "")
    assert reply.embeds[0].author.name == f"Asked: {Q87}"  # the mention is stripped from the question
    assert not reply.mentions, "replying does not ping the asker"


async def test_a_mention_in_a_reply_answers_the_referenced_question(world: World) -> None:
    question = await world.alice.send(world.channel, Q87)
    assert world.bot_messages() == [], "a plain message in an ordinary channel is not for the bot"

    await world.bob.send(world.channel, f"{world.mention} can you answer this?", reply_to=question)

    (reply,) = world.bot_messages()
    assert reply.reference is not None and reply.reference.message_id == question.id, "replies to alice"
    assert "87" in (reply.embeds[0].description or "")
    assert reply.embeds[0].author.name == f"Asked: {Q87}"
    assert not reply.mentions


async def test_a_reply_to_the_bots_answer_is_a_follow_up_question(world: World) -> None:
    await world.alice.send(world.channel, f"{world.mention} {Q87}")
    answer = world.bot_messages()[-1]

    await world.alice.send(
        world.channel, f"{world.mention} Which prison were they released from?", reply_to=answer
    )

    follow_up = world.bot_messages()[-1]
    assert "Tocorón" in (follow_up.embeds[0].description or "")


@pytest.mark.factbot(message_content=False)
async def test_without_the_content_intent_a_referenced_question_cannot_be_read(world: World) -> None:
    question = await world.alice.send(world.channel, Q87)
    await world.bob.send(world.channel, f"{world.mention}", reply_to=question)

    (reply,) = world.bot_messages()
    assert reply.content == CANNOT_READ

    await world.bob.send(world.channel, f"{world.mention} {Q87}")  # mentions still carry their text
    assert "87" in (world.bot_messages()[-1].embeds[0].description or "")


async def test_other_bots_and_webhooks_are_ignored(world: World) -> None:
    other = world.guild.add_member(world.env.create_user("otherbot", bot=True))
    await other.send(world.channel, f"{world.mention} {Q87}")
    hook = world.guild.create_webhook(world.channel, "News feed")
    await hook.send(f"{world.mention} {Q87}")

    assert world.bot_messages() == []


async def test_messages_without_a_mention_are_ignored_outside_answer_channels(world: World) -> None:
    await world.alice.send(world.channel, Q87)
    await world.alice.send(world.channel, "@FactBot how many were released?")  # text, not a real mention

    assert world.bot_messages() == []


async def test_an_empty_mention_gets_help(world: World) -> None:
    await world.alice.send(world.channel, world.mention)

    (reply,) = world.bot_messages()
    assert "/ask" in reply.content and "/timeline" in reply.content


async def test_direct_messages_are_answered(world: World) -> None:
    dana = world.env.create_user("dana")
    world.guild.add_member(dana)

    await dana.send_dm(Q87)

    replies = [m for m in dana.dm_channel.history() if m.author.id == world.bot.user.id]  # type: ignore[union-attr]
    assert len(replies) == 1 and "87" in (replies[0].embeds[0].description or "")


async def test_answer_channels_take_every_question_but_not_chatter(
    world: World, make_bot: MakeBot, bot_settings: Settings
) -> None:
    qa = world.guild.create_text_channel("ask-the-bot")
    await world.env.restart_bot(
        make_bot(bot_settings.model_copy(update={"answer_channel_ids": frozenset({qa.id})}))
    )

    await world.alice.send(qa, Q87)
    await world.alice.send(qa, "thanks, that's great")  # not a question, and no answer: stays quiet
    await world.alice.send(qa, "What is the weather in Caracas?")  # a real question it cannot answer
    await world.alice.send(world.channel, Q87)  # other channels are unchanged

    replies = world.bot_messages(qa)
    assert len(replies) == 2
    assert "87" in (replies[0].embeds[0].description or "")
    assert replies[1].embeds[0].title == "I can't answer that from my sources"
    assert world.bot_messages() == []
