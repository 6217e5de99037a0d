"""/timeline's picture through simcord: the attachment, the embed showing it, the cache, the fallback."""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest
from PIL import Image

from bot.discord_app.cogs.timeline import TimelineCog
from bot.discord_app.views import TimelineQuery
from bot.knowledge import KnowledgeBase
from bot.service import FactService
from bot.timeline import TimelineFilter
from bot.timeline_image import PictureCache, TimelinePicture, render_timeline
from bot.timeline_labels import TimelineLabels, labels_for
from tests.test_discord_timeline import add_events
from tests.world import World

LOGGER = "bot.discord_app.cogs.timeline"


def cog_of(world: World) -> TimelineCog:
    return cast(TimelineCog, world.bot.get_cog("Timeline"))


class SpyRenderer:
    """The real renderer, counting its calls and noting the thread each ran in; may wait or fail."""

    def __init__(self, *, gate: threading.Event | None = None, fail: bool = False) -> None:
        self.calls: list[TimelineFilter] = []
        self.threads: list[threading.Thread] = []
        self.gate = gate
        self.fail = fail

    def __call__(
        self, base: KnowledgeBase, filters: TimelineFilter, labels: TimelineLabels
    ) -> TimelinePicture:
        self.calls.append(filters)
        self.threads.append(threading.current_thread())
        if self.gate is not None:
            assert self.gate.wait(10), "the test never released the render"
        if self.fail:
            raise RuntimeError("the drawing broke")
        return render_timeline(base, filters, labels)


@pytest.fixture
def spy(world: World) -> SpyRenderer:
    renderer = SpyRenderer()
    cog_of(world).pictures = PictureCache(renderer)
    return renderer


def attachment_of(data: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = data["attachments"]
    return cast(dict[str, Any], attachment)


async def png_of(result: Any) -> Image.Image:
    (attachment,) = result.response.attachments
    assert attachment.filename == "timeline.png" and attachment.content_type == "image/png"
    data = await attachment.read()
    assert len(data) == attachment.size <= 1_000_000
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image


def picture_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]


async def test_the_reply_carries_a_png_that_the_embed_shows(world: World, spy: SpyRenderer) -> None:
    result = await world.alice.slash(world.channel, "timeline")

    data = world.callbacks()[-1]["data"]
    assert world.callbacks()[-1]["type"] == 4
    embed = data["embeds"][0]
    assert embed["image"]["url"] == "attachment://timeline.png"
    assert attachment_of(data)["filename"] == "timeline.png"
    assert "At least 87 released from Tocorón" in embed["description"], "the text is still there"

    image = await png_of(result)
    assert image.width >= 800 and image.height > image.width
    assert len(image.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 1

    alt = result.response.attachments[0].description
    assert alt is not None and alt == attachment_of(data)["description"] and len(alt) <= 1024
    assert alt.startswith("Timeline picture: Venezuela releases political prisoners")
    assert "9 events, from 2013 to 1 January 2026" in alt
    assert (
        "2013: Maduro in the presidential office" in alt and "1 January 2026: More than 700 still held" in alt
    )


async def test_the_same_filters_come_from_the_cache_and_others_get_their_own_picture(
    world: World, spy: SpyRenderer
) -> None:
    first = await world.alice.slash(world.channel, "timeline")
    again = await world.bob.slash(world.channel, "timeline")
    assert len(spy.calls) == 1
    assert (await png_of(first)).tobytes() == (await png_of(again)).tobytes()

    topic = await world.alice.slash(world.channel, "timeline", topic="us-venezuela")
    assert len(spy.calls) == 2 and spy.calls[-1] == TimelineFilter(topic="us-venezuela")
    alt = topic.response.attachments[0].description
    assert alt is not None and "3 events" in alt and "Tocorón" not in alt
    assert (await png_of(topic)).size != (await png_of(first)).size


async def test_a_reload_that_changes_the_base_draws_a_new_picture(
    world: World, spy: SpyRenderer, knowledge_copy: Path, fact_service: FactService
) -> None:
    await world.alice.slash(world.channel, "timeline", **{"from": "2025-10", "to": "2025-10"})
    assert "0 events" in (world.callbacks()[-1]["data"]["attachments"][0]["description"])
    add_events(knowledge_copy, 2)
    assert fact_service.reload().ok

    result = await world.alice.slash(world.channel, "timeline", **{"from": "2025-10", "to": "2025-10"})
    assert len(spy.calls) == 2, "a new base version is a new picture"
    alt = result.response.attachments[0].description
    assert alt is not None and "2 events" in alt and "Extra event 01" in alt


async def test_page_turns_keep_showing_the_picture(
    world: World, spy: SpyRenderer, knowledge_copy: Path, fact_service: FactService
) -> None:
    add_events(knowledge_copy)
    assert fact_service.reload().ok
    result = await world.alice.slash(world.channel, "timeline")
    assert "page 1 of" in world.callbacks()[-1]["data"]["embeds"][0]["footer"]["text"]

    click = await world.bob.click(result.response, label="Next ▶")
    update = world.callbacks()[-1]
    assert click.acknowledged and update["type"] == 7
    assert update["data"]["embeds"][0]["image"]["url"] == "attachment://timeline.png"
    assert "attachments" not in update["data"], "the edit keeps the attachment it has"
    assert [a.filename for a in result.response.attachments] == ["timeline.png"]
    assert len(spy.calls) == 1


async def test_a_failing_picture_sends_the_text_alone_and_logs_one_line(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    cog_of(world).pictures = PictureCache(SpyRenderer(fail=True))
    caplog.set_level(logging.WARNING, logger=LOGGER)

    result = await world.alice.slash(world.channel, "timeline")

    data = world.callbacks()[-1]["data"]
    assert world.callbacks()[-1]["type"] == 4 and not result.ephemeral
    assert "image" not in data["embeds"][0] and not data.get("attachments")
    assert result.response.attachments == []
    assert "At least 87 released from Tocorón" in data["embeds"][0]["description"]
    (record,) = picture_warnings(caplog)
    assert "RuntimeError: the drawing broke" in record.getMessage() and "text alone" in record.getMessage()
    assert "\n" not in record.getMessage() and record.exc_info is None, "one line, no traceback"


async def test_a_picture_not_ready_in_time_sends_the_text_alone(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # simcord runs the bot's timers on a virtual clock that only moves once the bot's work has
    # settled, and a render in a thread is work it waits for; so through simcord the limit is set to
    # 0 (the render is never ready in time). The next test times a real limit on the wall clock.
    gate = threading.Event()
    cog = cog_of(world)
    cog.pictures = PictureCache(SpyRenderer(gate=gate))
    cog.picture_seconds = 0.0
    caplog.set_level(logging.WARNING, logger=LOGGER)
    try:
        result = await world.alice.slash(world.channel, "timeline")
    finally:
        gate.set()

    data = world.callbacks()[-1]["data"]
    assert world.callbacks()[-1]["type"] == 4 and result.response.attachments == []
    assert "image" not in data["embeds"][0] and not data.get("attachments")
    assert "At least 87 released from Tocorón" in data["embeds"][0]["description"]
    (record,) = picture_warnings(caplog)
    assert "not ready after 0.0 s" in record.getMessage() and "\n" not in record.getMessage()


async def test_the_time_limit_is_kept_and_a_late_picture_serves_the_next_asker(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    gate = threading.Event()
    renderer = SpyRenderer(gate=gate)
    cog = cog_of(world)
    cog.pictures = PictureCache(renderer)
    cog.picture_seconds = 0.3
    caplog.set_level(logging.WARNING, logger=LOGGER)
    base = cog.ctx.service.engine.base
    try:
        started = time.monotonic()
        picture = await cog.picture(base, TimelineQuery(), "en-US")  # from the test: wall-clock timers
        waited = time.monotonic() - started
    finally:
        gate.set()
    assert picture is None and 0.25 < waited < 3
    (record,) = picture_warnings(caplog)
    assert "not ready after 0.3 s" in record.getMessage()

    # Giving up waiting did not cancel the render: it finishes, and is kept for whoever asks next.
    cog.pictures.submit(base, TimelineFilter(), labels_for("en-US"), cog.executor).result(10)
    cog.picture_seconds = 2.0
    later = await world.bob.slash(world.channel, "timeline")
    assert (await png_of(later)).width == 1080
    assert len(renderer.calls) == 1 and len(picture_warnings(caplog)) == 1


async def test_rendering_runs_in_the_picture_thread_not_on_the_event_loop(
    world: World, spy: SpyRenderer
) -> None:
    await world.alice.slash(world.channel, "timeline")
    (thread,) = spy.threads
    assert thread is not threading.current_thread()  # the test runs the event loop
    assert thread.name.startswith("factbot-timeline-picture")


async def test_the_asker_s_locale_chooses_the_labels(
    world: World, spy: SpyRenderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str | None] = []

    def spy_labels(locale: str | None) -> TimelineLabels:
        asked.append(locale)
        return labels_for(locale)

    # discord.py loads each extension as a fresh module: patch the one the running cog came from.
    monkeypatch.setattr(sys.modules[type(cog_of(world)).__module__], "labels_for", spy_labels)
    await world.alice.slash(world.channel, "timeline")
    assert asked == ["en-US"]  # simcord's users are en-US; "es-ES" will find Spanish once it exists
