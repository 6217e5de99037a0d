"""/timeline (filters, pages, buttons across restarts), /sources and /about, through simcord."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.service import FactService
from tests.world import MakeBot, World

STORY_TITLE = "Venezuela releases political prisoners detained after the 2024 election"
EXTRA_EVENTS = 25


def add_events(knowledge: Path, n: int = EXTRA_EVENTS) -> None:
    """Append n dated events to the copy's timeline so it needs several pages."""
    entries = "".join(
        f"""
  - id: extra-event-{i:02d}
    date: 2025-10-{i + 1:02d}
    title: Extra event {i:02d}
    summary: Something else happened that day; this line is here to fill the timeline, number {i:02d}.
    topic: us-venezuela
    sources: [tasr]
"""
        for i in range(n)
    )
    path = knowledge / "venezuela-2026" / "timeline.yaml"
    path.write_text(path.read_text(encoding="utf-8") + entries, encoding="utf-8")


def event_titles(description: str) -> list[str]:
    """The event titles on a page: each line is '**date** — Title: summary'."""
    return re.findall(r"^\*\*[^*]+\*\* — ([^:]+):", description, flags=re.MULTILINE)


def buttons(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["label"]: b for row in payload.get("components") or [] for b in row["components"]}


@pytest.fixture
def long_timeline(knowledge_copy: Path, fact_service: FactService) -> None:
    add_events(knowledge_copy)
    assert fact_service.reload().ok


@pytest.mark.usefixtures("long_timeline")
async def test_timeline_pages_turn_with_buttons_and_survive_a_restart(
    world: World, make_bot: MakeBot, fact_service: FactService
) -> None:
    result = await world.alice.slash(world.channel, "timeline")

    first = world.callbacks()[-1]["data"]
    embed = first["embeds"][0]
    assert embed["title"] == STORY_TITLE
    assert embed["description"].startswith("At least 87 people detained")  # the summary comes first
    assert "page 1 of" in embed["footer"]["text"]
    pages = int(re.search(r"page 1 of (\d+)", embed["footer"]["text"]).group(1))  # type: ignore[union-attr]
    assert pages >= 3
    controls = buttons(first)
    assert controls["◀ Previous"]["disabled"] is True and not controls["Next ▶"].get("disabled")
    seen = event_titles(embed["description"])
    assert seen[0] == "Maduro in the presidential office"

    for page in range(2, pages + 1):
        if page == 3:
            await world.env.restart_bot(make_bot())  # the custom_id carries the page and filters
        click = await world.bob.click(result.response, label="Next ▶")
        update = world.callbacks()[-1]
        assert click.acknowledged and update["type"] == 7  # UPDATE_MESSAGE: the same message turns
        assert f"page {page} of {pages}" in update["data"]["embeds"][0]["footer"]["text"]
        assert update["data"]["embeds"][0]["title"] == f"{STORY_TITLE} (continued)"
        seen += event_titles(update["data"]["embeds"][0]["description"])

    assert buttons(world.callbacks()[-1]["data"])["Next ▶"]["disabled"] is True
    total = len(fact_service.engine.base.events)
    assert len(seen) == total and len(set(seen)) == len(seen), "every event once, none lost"
    back = await world.alice.click(result.response, label="◀ Previous")
    assert (
        back.acknowledged
        and f"page {pages - 1} of" in world.callbacks()[-1]["data"]["embeds"][0]["footer"]["text"]
    )


async def test_the_whole_timeline_fits_one_page_in_date_order(
    world: World, fact_service: FactService
) -> None:
    await world.alice.slash(world.channel, "timeline")

    data = world.callbacks()[-1]["data"]
    assert not data.get("components"), "no buttons when everything fits"
    titles = event_titles(data["embeds"][0]["description"])
    base = fact_service.engine.base
    assert titles == [e.title for e in sorted(base.events, key=lambda e: e.date)]
    assert titles[0] == "Maduro in the presidential office"
    assert "**1 January 2026** — At least 87 released from Tocorón" in data["embeds"][0]["description"]


async def test_topic_filter(world: World) -> None:
    choices = await world.alice.autocomplete(world.channel, "timeline", "topic", "US")
    assert {"name": "US–Venezuela tensions", "value": "us-venezuela"} in choices

    await world.alice.slash(world.channel, "timeline", topic="us-venezuela")
    embed = world.callbacks()[-1]["data"]["embeds"][0]
    assert event_titles(embed["description"]) == [
        "US attacks on ships begin",
        "Trump announces a tanker blockade",
        "US strike on a dock in Venezuela",
    ]
    assert "topic: US–Venezuela tensions" in embed["description"]

    await world.alice.slash(world.channel, "timeline", topic="us–venezuela tensions")  # the label works too
    assert len(event_titles(world.callbacks()[-1]["data"]["embeds"][0]["description"])) == 3


async def test_date_filters_accept_years_months_and_days(world: World) -> None:
    await world.alice.slash(world.channel, "timeline", **{"from": "2025-12", "to": "2025-12"})
    embed = world.callbacks()[-1]["data"]["embeds"][0]
    assert event_titles(embed["description"]) == [
        "Trump announces a tanker blockade",
        "Government announces 99 releases",
    ]
    assert "From December 2025 to December 2025" in embed["description"]

    await world.alice.slash(world.channel, "timeline", to="2024")
    assert len(event_titles(world.callbacks()[-1]["data"]["embeds"][0]["description"])) == 3


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"from": "yesterday"}, "`from`"),
        ({"to": "2025-13"}, "no month 13"),
        ({"from": "2025-02-30"}, "not a real day"),
        ({"from": "2026", "to": "2025"}, "is after"),
        ({"topic": "sports"}, "Unknown topic"),
    ],
)
async def test_bad_filters_get_a_clear_private_message(
    world: World, options: dict[str, str], expected: str
) -> None:
    result = await world.alice.slash(world.channel, "timeline", **options)

    assert result.ephemeral
    assert expected in result.response.content
    if expected in {"`from`", "no month 13", "not a real day"}:
        assert "2025-12-25" in result.response.content  # says what a date looks like


async def test_sources_lists_who_said_what_and_when(world: World) -> None:
    result = await world.alice.slash(world.channel, "sources")

    embed = world.callbacks()[-1]["data"]["embeds"][0]
    assert not result.ephemeral and embed["title"] == "Sources"
    text = embed["description"]
    assert "**Foro Penal** (human-rights group)" in text
    assert "**TASR** (news agency)" in text and "published 1 January 2026" in text and "cites AFP" in text
    assert "said 1 January 2026" in text
    assert "AFP → TASR" in text


async def test_about_says_what_when_and_how_to_ask(world: World) -> None:
    await world.alice.slash(world.channel, "about")

    embed = world.callbacks()[-1]["data"]["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["title"] == STORY_TITLE
    assert fields["As of"] == "1 January 2026"
    assert "/ask" in fields["How to ask"] and "/timeline" in fields["How to ask"]
    assert "Q&A entries" in fields["Knowledge base"]
    assert "1 January 2026" in fields["What I can answer"]
