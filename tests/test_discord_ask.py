"""/ask and its buttons, driven through simcord: what users see and the JSON the bot sends."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

import pytest
from simcord import OptionError

from bot.config import Cooldown
from bot.questionlog import QuestionLog
from bot.service import FactService
from tests.world import MakeBot, World

Q87 = "How many political prisoners were released on 1 January?"


def buttons(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button of a message payload, row by row."""
    return [b for row in payload.get("components") or [] for b in row["components"]]


def custom_ids(payload: dict[str, Any]) -> list[str]:
    return [b["custom_id"] for b in buttons(payload)]


async def test_ask_answers_with_figure_source_and_date(world: World) -> None:
    result = await world.alice.slash(world.channel, "ask", question=Q87)

    assert result.acknowledged and not result.ephemeral
    callback = world.callbacks()[-1]
    assert callback["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE: answered at once, no defer needed
    data = callback["data"]
    assert data["allowed_mentions"] == {"parse": []}
    (embed,) = data["embeds"]
    assert embed["title"] == "How many political prisoners were released on 1 January 2026?"
    assert "87" in embed["description"] and "Sources:" not in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "**at least 87 people** — 1 January 2026" in fields["Figures"]
    assert "Committee for the Freedom of Political Prisoners (human-rights group)" in fields["Sources"]
    assert "via AFP → TASR" in fields["Sources"]
    assert "as of 1 January 2026" in embed["footer"]["text"]
    assert embed["author"]["name"] == f"Asked: {Q87}"
    assert custom_ids(data) == ["factbot:fb:1:jan1-how-many", "factbot:fb:0:jan1-how-many"]


async def test_spanish_question_gets_the_figure(world: World) -> None:
    await world.alice.slash(
        world.channel, "ask", question="¿cuántos presos políticos fueron liberados el 1 de enero?"
    )

    embed = world.callbacks()[-1]["data"]["embeds"][0]
    assert "al menos 87" in embed["description"].lower()  # a Spanish question gets a Spanish answer
    assert "1 de enero de 2026" in json.dumps(embed, ensure_ascii=False)


async def test_mentions_in_a_question_ping_nobody(world: World) -> None:
    role = world.guild.create_role("Everyone-ish")
    question = f"@everyone @here {role.mention} {world.bob.mention} how many were released on 1 January?"

    result = await world.alice.slash(world.channel, "ask", question=question)

    data = world.callbacks()[-1]["data"]
    assert data["allowed_mentions"] == {"parse": []}
    message = result.response.message
    assert not message.mention_everyone and not message.mentions and not message.role_mentions
    author = data["embeds"][0]["author"]["name"]
    # dropped from the shown question, not just unpinged: no "@everyone", no raw <@id> or <@&id>
    assert author == "Asked: how many were released on 1 January?", author


async def test_mentions_in_a_plain_message_ping_nobody(world: World) -> None:
    role = world.guild.create_role("Staff")
    await world.alice.send(world.channel, f"{world.mention} @everyone {role.mention} how many were released?")

    reply = world.bot_messages()[-1]
    assert not reply.mention_everyone and not reply.mentions and not reply.role_mentions
    sent = [r.json for r in world.env.http_requests if r.method == "POST" and "/messages" in r.path][-1]
    assert sent["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_ask_option_has_a_sane_max_length(world: World) -> None:
    with pytest.raises(OptionError):  # Discord's client refuses it, as simcord does
        await world.alice.slash(world.channel, "ask", question="x" * 301)

    result = await world.alice.slash(world.channel, "ask", question=("How many were released? " * 20)[:300])
    assert result.acknowledged


async def test_a_4000_character_message_is_answered_within_limits(world: World) -> None:
    question = "How many political prisoners were released on 1 January? " + "blah " * 790
    assert len(question) > 4000

    await world.send_nitro_length(world.alice, world.channel, f"{world.mention} {question}")

    (reply,) = world.bot_messages()
    assert reply.embeds and reply.reference is not None  # a reply (answer or decline), not silence
    assert (reply.embeds[0].author.name or "").endswith("…")  # the echo is cut, within 256
    # The world fixture checks every payload against Discord's limits after the test.


async def test_low_confidence_offers_did_you_mean_and_a_click_answers_it(world: World) -> None:
    result = await world.alice.slash(world.channel, "ask", question="prisoners")

    data = world.callbacks()[-1]["data"]
    suggestions = [b for b in buttons(data) if b["custom_id"].startswith("factbot:ask:")]
    assert suggestions, "a low-confidence answer offers alternatives"
    assert "not sure" in data["embeds"][0]["footer"]["text"]
    chosen = suggestions[0]

    click = await world.bob.click(result.response, custom_id=chosen["custom_id"])

    assert click.acknowledged and not click.ephemeral
    answer = world.callbacks()[-1]["data"]["embeds"][0]
    assert answer["title"] == chosen["label"]


async def test_declined_says_what_it_can_answer_and_suggests(world: World) -> None:
    result = await world.alice.slash(world.channel, "ask", question="What is the weather in Caracas?")

    data = world.callbacks()[-1]["data"]
    embed = data["embeds"][0]
    assert embed["title"] == "I can't answer that from my sources"
    assert "/timeline" in embed["description"] and "1 January 2026" in embed["description"]
    asks = [b for b in buttons(data) if b["custom_id"].startswith("factbot:ask:")]
    assert 1 <= len(asks) <= 5
    assert not [c for c in custom_ids(data) if c.startswith("factbot:fb:")], "no feedback on a decline"
    assert embed["fields"][-1]["name"] in {"Did you mean", "You could ask"}

    await world.alice.click(result.response, custom_id=asks[0]["custom_id"])
    assert world.callbacks()[-1]["data"]["embeds"][0]["title"] == asks[0]["label"]


async def test_buttons_work_after_a_restart(world: World, make_bot: MakeBot) -> None:
    result = await world.alice.slash(world.channel, "ask", question="prisoners")
    ask_id = next(c for c in custom_ids(world.callbacks()[-1]["data"]) if c.startswith("factbot:ask:"))

    await world.env.restart_bot(make_bot())  # a new process: nothing in memory survives

    click = await world.bob.click(result.response, custom_id=ask_id)
    assert click.acknowledged
    assert world.callbacks()[-1]["data"]["embeds"][0]["title"]
    vote = await world.bob.click(result.response, label="Helpful")
    assert vote.ephemeral and "Thanks" in vote.response.content


async def test_feedback_is_stored_once_per_user(world: World, question_log: QuestionLog) -> None:
    result = await world.alice.slash(world.channel, "ask", question=Q87)
    message = result.response

    first = await world.alice.click(message, label="Helpful")
    again = await world.alice.click(message, label="Not helpful")
    other = await world.bob.click(message, label="Not helpful")

    # Storing waits for the log's commit, so each click is deferred (type 5, ephemeral) first.
    assert [c["type"] for c in world.callbacks()[-3:]] == [5, 5, 5]
    assert all(c["data"]["flags"] == 64 for c in world.callbacks()[-3:])
    assert first.ephemeral and first.response.ephemeral
    assert "Thanks" in first.response.content
    assert "already rated" in again.response.content
    assert "Thanks" in other.response.content
    question_log.flush()
    stats = question_log.stats()
    assert (stats.helpful, stats.not_helpful) == (1, 1)
    with sqlite3.connect(question_log.path) as db:
        rows = db.execute("SELECT question, entry_id, message_id FROM feedback").fetchall()
    assert {r[0] for r in rows} == {Q87} and {r[1] for r in rows} == {"jan1-how-many"}
    assert {r[2] for r in rows} == {message.id}


async def test_a_date_question_gets_the_timeline_and_can_be_rated(
    world: World, question_log: QuestionLog
) -> None:
    result = await world.alice.slash(world.channel, "ask", question="what happened on dec 16?")

    data = world.callbacks()[-1]["data"]
    (embed,) = data["embeds"]
    assert embed["title"] == "What happened on 16 December 2025?"
    assert "blockade" in embed["description"]
    assert "Donald Trump" in {f["name"]: f["value"] for f in embed["fields"]}["Sources"]
    assert custom_ids(data) == ["factbot:fb:1:event:tanker-blockade", "factbot:fb:0:event:tanker-blockade"]

    await world.alice.click(result.response, label="Not helpful")  # routed back to the same event
    question_log.flush()
    with sqlite3.connect(question_log.path) as db:
        rows = db.execute("SELECT entry_id, helpful FROM feedback").fetchall()
    assert rows == [("event:tanker-blockade", 0)]


async def test_autocomplete_offers_known_questions_within_limits(world: World) -> None:
    choices = await world.alice.autocomplete(world.channel, "ask", "question", "how many released")
    assert 1 <= len(choices) <= 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    assert any("released on 1 January 2026" in c["name"] for c in choices)

    empty = await world.alice.autocomplete(world.channel, "ask", "question", "")
    assert len(empty) == 25


@pytest.mark.factbot(cooldown=Cooldown(3, 30.0))
async def test_a_message_flood_gets_exactly_one_notice(world: World) -> None:
    for i in range(8):
        await world.alice.send(world.channel, f"{world.mention} how many were released on 1 January? ({i})")

    replies = world.bot_messages()
    notices = [m for m in replies if "faster than I can keep up" in m.content]
    answers = [m for m in replies if m.embeds]
    assert (len(answers), len(notices)) == (3, 1)

    await world.env.advance_time(30)
    await world.alice.send(world.channel, f"{world.mention} how many were released on 1 January?")
    assert world.bot_messages()[-1].embeds, "answered again once the window has passed"
    await world.bob.send(world.channel, f"{world.mention} how many were released?")
    assert world.bot_messages()[-1].embeds, "the limit is per user"


@pytest.mark.factbot(cooldown=Cooldown(2, 30.0))
async def test_slash_over_the_limit_is_told_privately(world: World) -> None:
    results = [await world.alice.slash(world.channel, "ask", question=Q87) for _ in range(4)]

    assert [r.ephemeral for r in results] == [False, False, True, True]
    assert all(r.acknowledged for r in results), "every interaction is answered, never left to time out"
    assert "Please wait" in results[-1].response.content


@pytest.mark.factbot(cooldown=Cooldown(3, 30.0))
async def test_every_way_of_asking_counts_against_one_limit(world: World) -> None:
    """/ask, a mention, a "did you mean" button and the context menu share one bucket per user."""
    low = await world.alice.slash(world.channel, "ask", question="prisoners")  # 1: offers buttons
    ask_id = next(c for c in custom_ids(world.callbacks()[-1]["data"]) if c.startswith("factbot:ask:"))
    await world.alice.send(world.channel, f"{world.mention} how many were released on 1 January?")  # 2
    assert world.bot_messages()[-1].embeds, "the mention is answered"
    claim = await world.bob.send(world.channel, "80 political prisoners walked out of Tocorón on 1 January")
    checked = await world.alice.context_menu(world.channel, "Check with factbot", claim)  # 3
    assert not checked.ephemeral, "the third question is answered"

    click = await world.alice.click(low.response, custom_id=ask_id)  # 4: over the limit
    assert click.ephemeral and "Please wait" in click.response.content
    again = await world.alice.context_menu(world.channel, "Check with factbot", claim)
    assert again.ephemeral and "Please wait" in again.response.content
    other = await world.bob.click(low.response, custom_id=ask_id)
    assert not other.ephemeral, "another user's quota is untouched"


async def test_an_exception_gets_an_apology_and_the_bot_keeps_serving(
    world: World, fact_service: FactService, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls = {"n": 0}
    real_record = fact_service.record

    def flaky(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("disk on fire")
        real_record(*args, **kwargs)

    monkeypatch.setattr(fact_service, "record", flaky)
    caplog.set_level(logging.ERROR)

    broken = await world.alice.slash(world.channel, "ask", question=Q87)
    assert broken.ephemeral and broken.response.content.startswith("Sorry, something went wrong")
    errors = world.env.errors  # what the tree's error handler saw (and simcord recorded)
    assert [type(e.original).__name__ for e in errors] == ["RuntimeError"]
    assert any(r.exc_info and "disk on fire" in str(r.exc_info[1]) for r in caplog.records)

    fine = await world.alice.slash(world.channel, "ask", question=Q87)
    assert not fine.ephemeral and "87" in fine.response.embeds[0].description


async def test_an_exception_in_a_message_answer_gets_an_apology(
    world: World, fact_service: FactService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(fact_service, "record", boom)
    await world.alice.send(world.channel, f"{world.mention} how many were released?")
    assert world.bot_messages()[-1].content.startswith("Sorry, something went wrong")

    monkeypatch.undo()
    await world.alice.send(world.channel, f"{world.mention} how many were released?")
    assert world.bot_messages()[-1].embeds
