"""/reload and /stats: who may use them, failed reloads change nothing, questions keep flowing."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from simcord import SetupError

from bot.discord_app.context import context_of
from bot.questionlog import read_processes
from bot.service import FactService, ReloadResult
from tests.world import World

Q87 = "How many political prisoners were released on 1 January?"
NEW_QUESTION = "What colour was the bus that took the released prisoners home?"
NEW_ENTRY = f"""
  - id: test-bus-colour
    topic: jan-1-release
    question: {NEW_QUESTION}
    answer: >-
      The sources do not say; they say {{jan1-released}} left {{jan1-prison}}.
"""


def facts_file(knowledge: Path) -> Path:
    return knowledge / "venezuela-2026" / "facts.yaml"


def questions_file(knowledge: Path) -> Path:
    return knowledge / "venezuela-2026" / "questions.yaml"


def break_yaml_syntax(knowledge: Path) -> str:
    path = facts_file(knowledge)
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    return "venezuela-2026/facts.yaml"


def reference_unknown_fact(knowledge: Path) -> str:
    path = questions_file(knowledge)
    text = path.read_text(encoding="utf-8")
    assert "{jan1-released} detained" in text
    path.write_text(text.replace("{jan1-released} detained", "{jan1-releasd} detained", 1), encoding="utf-8")
    return "venezuela-2026/questions.yaml"


def command_id(world: World, name: str) -> int:
    root = world.env.backend.find_command(name, world.guild.id, type=1)
    return int(root["id"])


async def test_reload_is_for_managers_only(world: World) -> None:
    with pytest.raises(SetupError, match="not visible"):  # hidden by default_permissions(manage_guild)
        await world.alice.slash(world.channel, "reload")

    # A server admin may open the command to everyone in Integrations; the bot still checks.
    world.guild.set_command_permissions(command_id(world, "reload"), {world.alice: True})
    refused = await world.alice.slash(world.channel, "reload")

    assert refused.ephemeral and "Manage Server" in refused.response.content
    assert [type(e).__name__ for e in world.env.errors] == ["CheckFailure"]


@pytest.mark.parametrize("breakage", [break_yaml_syntax, reference_unknown_fact])
async def test_a_broken_base_is_refused_with_every_problem_and_answers_stay(
    world: World, knowledge_copy: Path, breakage: Callable[[Path], str]
) -> None:
    broken_file = breakage(knowledge_copy)

    result = await world.admin.slash(world.channel, "reload")

    assert world.callbacks()[-1] == {"type": 5, "data": {"flags": 64}}  # deferred at once, ephemeral
    reply = result.response
    assert reply.ephemeral and reply.content.startswith("❌ Reload refused")
    problems = reply.embeds[0].description or ""
    assert re.search(rf"{re.escape(broken_file)}:\d+", problems), problems  # file:line
    if breakage is reference_unknown_fact:
        assert "\\[jan1-how-many\\]" in problems or "[jan1-how-many]" in problems

    answer = await world.alice.slash(world.channel, "ask", question=Q87)
    assert "87" in (answer.response.embeds[0].description or ""), "still answering from the working base"
    # and /stats says so, with the version still answering
    version = context_of(world.bot).service.base_version
    stats = await world.admin.slash(world.channel, "stats")
    fields = {f.name: f.value or "" for f in stats.response.embeds[0].fields}
    assert "do not validate" in fields["Note"] and f"still answering from version {version}" in fields["Note"]


async def test_many_problems_are_cut_to_the_limits_with_a_count(world: World, knowledge_copy: Path) -> None:
    path = questions_file(knowledge_copy)
    text = path.read_text(encoding="utf-8")
    # Every fact reference misspelt: one problem per reference, far more than fit in an embed.
    path.write_text(re.sub(r"\{([a-z0-9-]+)([.}])", r"{zz-\1-missing-fact\2", text), encoding="utf-8")

    result = await world.admin.slash(world.channel, "reload")

    embed = result.response.embeds[0]
    count = int(re.match(r"(\d+) problems", embed.title or "").group(1))  # type: ignore[union-attr]
    shown = (embed.description or "").count("• ")
    assert count > shown > 0
    assert f"and {count - shown} more" in (embed.description or "")


async def test_a_valid_change_takes_effect(world: World, knowledge_copy: Path) -> None:
    before = await world.alice.slash(world.channel, "ask", question=NEW_QUESTION)
    assert before.response.embeds[0].title == "I can't answer that from my sources"
    path = questions_file(knowledge_copy)
    path.write_text(path.read_text(encoding="utf-8") + NEW_ENTRY, encoding="utf-8")

    result = await world.admin.slash(world.channel, "reload")

    assert result.response.content.startswith("✅ Reloaded")
    version = context_of(world.bot).service.base_version
    assert f"(version {version})" in result.response.content
    after = await world.alice.slash(world.channel, "ask", question=NEW_QUESTION)
    assert after.response.embeds[0].title == NEW_QUESTION
    assert "at least 87 people" in (after.response.embeds[0].description or "")


async def test_questions_asked_during_a_reload_are_all_answered(
    world: World, knowledge_copy: Path, fact_service: FactService, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = questions_file(knowledge_copy)
    path.write_text(path.read_text(encoding="utf-8") + NEW_ENTRY, encoding="utf-8")
    real_reload = fact_service.reload
    real_send = discord.InteractionResponse.send_message
    asked = 20
    sent = 0
    all_answered = threading.Event()  # set on the event loop, waited for in the reload's worker thread

    async def counting_send(
        self: discord.InteractionResponse[discord.Client], *args: Any, **kwargs: Any
    ) -> Any:
        nonlocal sent
        result = await real_send(self, *args, **kwargs)
        sent += 1  # counted once the answer is sent, not when it is computed: the assertion below is
        if sent == asked:  # about what reached Discord before the reload's reply
            all_answered.set()
        return result

    def slow_reload() -> ReloadResult:
        # Held until every question below has been answered: only possible if the event loop keeps
        # answering while the reload runs (in the worker thread). A reload that blocked the loop would
        # never see the event set, and the wait's timeout would fail the /reload.
        if not all_answered.wait(timeout=5):
            raise RuntimeError("the questions were not answered while the reload was running")
        return real_reload()

    monkeypatch.setattr(discord.InteractionResponse, "send_message", counting_send)
    monkeypatch.setattr(fact_service, "reload", slow_reload)

    reload = world.emit_slash(world.admin, world.channel, "reload")
    asks = [world.emit_slash(world.alice, world.channel, "ask", question=Q87) for _ in range(asked)]
    await world.env.settle(timeout=10)

    assert all_answered.is_set()
    assert reload.response.content.startswith("✅ Reloaded")
    assert all(a.acknowledged and "87" in (a.response.embeds[0].description or "") for a in asks)
    paths = [r.path for r in world.env.http_requests if r.method == "POST"]
    reload_done = max(i for i, p in enumerate(paths) if p.startswith("/webhooks/"))
    answered = [i for i, p in enumerate(paths) if p.endswith("/callback")]
    assert sum(i < reload_done for i in answered) == 21, "answered while the reload was still loading"

    after = await world.alice.slash(world.channel, "ask", question=NEW_QUESTION)
    assert after.response.embeds[0].title == NEW_QUESTION


async def test_stats_counts_outcomes_feedback_and_misses(world: World) -> None:
    answered = await world.alice.slash(world.channel, "ask", question=Q87)
    await world.alice.slash(world.channel, "ask", question="What is the weather in Caracas?")
    await world.bob.slash(world.channel, "ask", question="What is the weather in Caracas?")
    await world.alice.slash(world.channel, "ask", question="prisoners")
    await world.bob.click(answered.response, label="Not helpful")

    result = await world.admin.slash(world.channel, "stats")

    assert result.ephemeral
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert (fields["Answered"], fields["Declined"], fields["Low confidence"]) == ("1", "2", "1")
    assert (fields["👍 Helpful"], fields["👎 Not helpful"], fields["People"]) == ("0", "1", "2")
    assert (fields["Top misses"] or "").startswith("2× What is the weather in Caracas?")
    # one process: its version is in the footer, and no list of processes
    service = context_of(world.bot).service
    assert "Processes" not in fields
    assert (result.response.embeds[0].footer.text or "").endswith(f"version {service.base_version}")
    # ... but it has reported itself to the log, as every process of a cluster does
    assert service.questions is not None
    reported = read_processes(service.questions.database, datetime.now(UTC) - timedelta(minutes=5))
    assert [(r.name, r.base_version) for r in reported] == [(service.name, service.base_version)]
    with pytest.raises(SetupError, match="not visible"):
        await world.alice.slash(world.channel, "stats")


async def test_stats_groups_near_duplicate_misses_as_misses_does(world: World) -> None:
    """Ten typings of one question the base cannot answer are one line of /stats, not ten "1×" lines."""
    typings = [
        "How many prisoners were freed in Cuba?",
        "how many prisoners were freed in cuba",
        "How many prisoners were freed in Cuba",
        "how many prisoners were freed in Cuba??",
        "How many prisonres were freed in Cuba?",
        "how many prisoner were freed in cuba?",
        "HOW MANY PRISONERS WERE FREED IN CUBA",
        "How many prisoners were freed in Cuba ?",
        "how many prisoners where freed in cuba",
        "How many prisoners were freed, in Cuba?",
    ]
    for n, question in enumerate(typings):
        await (world.alice if n % 2 else world.bob).slash(world.channel, "ask", question=question)
    await world.alice.slash(world.channel, "ask", question="What is the weather in Caracas?")

    result = await world.admin.slash(world.channel, "stats")

    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    lines = (fields["Top misses"] or "").splitlines()
    assert fields["Declined"] == "11"
    assert len(lines) == 2, lines
    assert lines[0].startswith("10× ") and "cuba" in lines[0].casefold() and "wordings)" in lines[0]
    assert lines[1] == "1× What is the weather in Caracas?"


@pytest.mark.factbot(watch_seconds=5)
async def test_a_saved_file_is_picked_up_without_reload(world: World, knowledge_copy: Path) -> None:
    path = questions_file(knowledge_copy)
    path.write_text(path.read_text(encoding="utf-8") + NEW_ENTRY, encoding="utf-8")

    await world.env.advance_time(6)

    after = await world.alice.slash(world.channel, "ask", question=NEW_QUESTION)
    assert after.response.embeds[0].title == NEW_QUESTION


@pytest.mark.factbot(watch_seconds=5)
async def test_a_broken_save_is_logged_and_changes_nothing(
    world: World, knowledge_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = await world.alice.slash(world.channel, "ask", question=Q87)
    where = break_yaml_syntax(knowledge_copy)

    await world.env.advance_time(6)

    # once: by the reload itself, with every problem; the watcher does not log it a second time
    logged = [r for r in caplog.records if where in r.getMessage()]
    assert len(logged) == 1 and "reload refused" in logged[0].getMessage().casefold(), logged
    after = await world.alice.slash(world.channel, "ask", question=Q87)
    assert after.response.embeds[0].description == before.response.embeds[0].description
