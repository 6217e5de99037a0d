"""The timeline picture: a real PNG of the real base, its alt text, its labels, and its cache."""

from __future__ import annotations

import dataclasses
import io
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from bot import timeline_image
from bot.knowledge import KnowledgeBase, load_base
from bot.knowledge.dates import PartialDate
from bot.timeline import EVERYTHING, TimelineFilter, sources_text
from bot.timeline_image import (
    ALT_TEXT_LIMIT,
    MAX_EVENTS,
    MAX_PNG_BYTES,
    FontMissingError,
    PictureCache,
    TimelinePicture,
    alt_text,
    base_version,
    render_timeline,
    topic_colours,
)
from bot.timeline_labels import ENGLISH, LABELS, SPANISH, TimelineLabels, labels_for

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


@pytest.fixture(scope="module")
def base() -> KnowledgeBase:
    return load_base(KNOWLEDGE)


@pytest.fixture(scope="module")
def picture(base: KnowledgeBase) -> TimelinePicture:
    return render_timeline(base)


def open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()  # decodes every row: a truncated or corrupt file fails here
    return image


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def many_events_base(tmp_path: Path, n: int) -> KnowledgeBase:
    """The real base plus n events in October 2025, each with a summary that has accents."""
    knowledge = Path(shutil.copytree(KNOWLEDGE, tmp_path / "knowledge"))
    entries = "".join(
        f"""
  - id: extra-{i:02d}
    date: 2025-10-{i % 28 + 1:02d}
    title: Extra event {i:02d} with a title long enough to need a second line on the picture
    summary: Another day in the story, number {i:02d}; Peñalver and Ñáñez say ¿qué pasó?
    topic: us-venezuela
    sources: [tasr]
"""
        for i in range(n)
    )
    path = knowledge / "venezuela-2026" / "timeline.yaml"
    path.write_text(path.read_text(encoding="utf-8") + entries, encoding="utf-8")
    return load_base(knowledge)


# --- the picture of the real base ------------------------------------------------------------------


def test_the_real_base_renders_to_a_png_people_can_read_and_share(picture: TimelinePicture) -> None:
    image = open_png(picture.png)
    assert image.width >= 800 and image.width == picture.width == 1080
    assert image.height == picture.height and 1500 < image.height < 4000  # a phone scrolls, not zooms
    assert len(picture.png) <= MAX_PNG_BYTES
    assert picture.events == picture.total_events == 9

    rgb = image.convert("RGB")
    lo, hi = zip(*rgb.getextrema(), strict=True)
    assert max(hi) - min(lo) > 200, "not blank: dark text on white paper"
    colours = rgb.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 1
    white = sum(n for n, c in colours if c == (255, 255, 255))
    assert 0.3 < white / (image.width * image.height) < 0.95, "neither empty nor solid"


def test_every_topic_of_the_real_base_has_its_colour_in_the_picture(
    base: KnowledgeBase, picture: TimelinePicture
) -> None:
    pixels = {c for _, c in open_png(picture.png).convert("RGB").getcolors(maxcolors=1_000_000) or []}
    colours = topic_colours(base)
    assert len(set(colours.values())) == len(colours) == 5, "five topics, five colours"
    for topic, colour in colours.items():
        assert hex_rgb(colour) in pixels, f"{topic}: its dot and legend colour {colour} is drawn"


def test_the_picture_is_drawn_afresh_identically(base: KnowledgeBase, picture: TimelinePicture) -> None:
    assert render_timeline(base).png == picture.png  # deterministic: safe to cache and to diff


def test_a_narrower_picture_scales_down_and_stays_at_least_800_wide(base: KnowledgeBase) -> None:
    narrow = render_timeline(base, width=800)
    image = open_png(narrow.png)
    assert image.width == 800 and image.height < render_timeline(base).height
    with pytest.raises(ValueError, match="at least 400"):
        render_timeline(base, width=300)


def test_filters_draw_only_their_events_and_say_so(base: KnowledgeBase) -> None:
    december = TimelineFilter(PartialDate(2025, 12), PartialDate(2025, 12))
    picture = render_timeline(base, december)
    assert picture.events == picture.total_events == 2
    assert picture.height < render_timeline(base).height
    assert "16 December 2025: Trump announces a tanker blockade" in picture.alt_text
    assert "25 December 2025: Government announces 99 releases" in picture.alt_text
    assert "Maduro" not in picture.alt_text and "Tocorón" not in picture.alt_text

    us = render_timeline(base, TimelineFilter(topic="us-venezuela"))
    pixels = {c for _, c in open_png(us.png).convert("RGB").getcolors(maxcolors=1_000_000) or []}
    colours = topic_colours(base)
    assert hex_rgb(colours["us-venezuela"]) in pixels
    assert hex_rgb(colours["jan-1-release"]) not in pixels, "the legend shows only the topics drawn"


def test_no_events_is_a_picture_that_says_so(base: KnowledgeBase) -> None:
    picture = render_timeline(base, TimelineFilter(PartialDate(2030)))
    assert picture.events == 0 and open_png(picture.png).width == 1080
    assert "0 events" in picture.alt_text and "No events in this range." in picture.alt_text


# --- dates, sources, alt text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "shown"),
    [
        (PartialDate(2013), "2013"),
        (PartialDate(2024, 7), "July 2024"),
        (PartialDate(2025, 12, 16), "16 December 2025"),
    ],
)
def test_dates_are_as_precise_as_the_base_knows(date: PartialDate, shown: str) -> None:
    assert ENGLISH.date(date) == shown


def test_the_alt_text_lists_each_event_with_its_date_then_the_sources(
    base: KnowledgeBase, picture: TimelinePicture
) -> None:
    text = picture.alt_text
    assert text.startswith("Timeline picture: Venezuela releases political prisoners")
    assert "9 events, from 2013 to 1 January 2026" in text
    positions = [text.index(f"{ENGLISH.date(e.date)}: {e.title}") for e in base.events]
    assert positions == sorted(positions), "in date order"
    assert "Foro Penal" in text and "via AFP → TASR (1 January 2026)" in text
    assert len(text) <= ALT_TEXT_LIMIT


def test_the_sources_line_names_each_claimant_once_and_each_chain_once(base: KnowledgeBase) -> None:
    line = sources_text(base, base.events)
    assert line.startswith("Sources: ")
    names = line.removeprefix("Sources: ").split(" · ")[0].split("; ")
    assert len(names) == len(set(names))
    assert "Donald Trump, US President" in names  # a comma inside a name does not split it
    assert "TASR" not in names, "TASR is named in the chain, not as a claimant"
    assert line.count("via ") == 1 and line.endswith("via AFP → TASR (1 January 2026)")
    one = [e for e in base.events if e.id == "still-held-2026"]
    assert sources_text(base, one) == "Source: Official data · via AFP → TASR (1 January 2026)"


def test_many_events_draw_the_latest_and_count_the_rest(tmp_path: Path) -> None:
    big = many_events_base(tmp_path, 45)
    picture = render_timeline(big)
    assert picture.total_events == 54 and picture.events == MAX_EVENTS
    image = open_png(picture.png)
    assert image.width == 1080 and len(picture.png) <= MAX_PNG_BYTES
    text = picture.alt_text
    assert len(text) <= ALT_TEXT_LIMIT
    assert "1 January 2026: More than 700 still held" in text, "the news, at the end, is kept"
    assert "Not shown: 34 events from 2013 to " in text
    assert "Maduro" not in text


def test_an_alt_text_too_long_loses_its_oldest_events_not_its_newest(tmp_path: Path) -> None:
    big = many_events_base(tmp_path, 45)
    text = alt_text(big)
    assert len(text) <= ALT_TEXT_LIMIT
    assert ": …; " in text and text.endswith("Not shown: 34 events from 2013 to 15 October 2025")
    assert "More than 700 still held" in text


# --- labels and font ---------------------------------------------------------------------------------

PLACEHOLDER = dataclasses.replace(
    ENGLISH,
    language="xx",
    months=tuple(f"M{i}ñ" for i in range(1, 13)),
    subtitle="SUBTITLE {as_of}",
    as_of="ASOF {date}",
    alt="ALT {title} | {count}{span} | {events}",
    alt_span=" SPAN {first} … {last}",
    event_count_one="ONE",
    event_count_many="{n} MANY",
)
"""A stand-in set of labels (not a translation) to show the renderer writes only what it is given."""


def test_the_renderer_uses_the_labels_it_is_given(base: KnowledgeBase, picture: TimelinePicture) -> None:
    other = render_timeline(base, EVERYTHING, PLACEHOLDER)
    assert other.png != picture.png
    assert other.alt_text.startswith("ALT Venezuela releases political prisoners")
    assert "| 9 MANY SPAN 2013 … 1 M1ñ 2026 |" in other.alt_text
    assert "July" not in other.alt_text and "M7ñ 2024: Presidential election" in other.alt_text


def test_labels_for_a_locale_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    assert labels_for("en-US") is ENGLISH and labels_for(None) is ENGLISH
    assert labels_for("es-ES") is SPANISH and labels_for("es-419") is SPANISH
    assert labels_for("fr-FR") is ENGLISH
    monkeypatch.setitem(LABELS, "xx", PLACEHOLDER)
    assert labels_for("xx-YY") is PLACEHOLDER and labels_for("xx_YY") is PLACEHOLDER


def test_labels_need_twelve_months() -> None:
    with pytest.raises(ValueError, match="12 month names"):
        dataclasses.replace(ENGLISH, months=("January",))


def test_the_font_has_accents_and_the_spanish_letters() -> None:
    font = timeline_image._font("regular", 60)
    # Each letter draws taller than its bare form (the accent or tilde is there), and differently
    # from a character the font lacks (which would draw as the same empty box).
    missing = font.getmask("\U0001f600").getbbox()
    for plain, marked in [("n", "ñ"), ("N", "Ñ"), ("a", "á"), ("e", "é"), ("u", "ú"), ("u", "ü")]:
        plain_box, marked_box = font.getbbox(plain), font.getbbox(marked)
        assert marked_box[1] < plain_box[1], f"{marked} has its mark above {plain}"
        assert font.getmask(marked).getbbox() != missing
    assert font.getlength("¿¡–→") > 4 * font.getlength(" ")


def test_a_missing_font_package_is_an_error_that_says_what_to_install(
    base: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeline_image._font.cache_clear()
    timeline_image._font_bytes.cache_clear()
    monkeypatch.setattr(timeline_image, "FONT_PACKAGE", "no_such_font_package")
    try:
        with pytest.raises(FontMissingError, match="font-source-sans-pro"):
            render_timeline(base)
    finally:
        timeline_image._font.cache_clear()
        timeline_image._font_bytes.cache_clear()


# --- the cache ------------------------------------------------------------------------------------------


class CountingRenderer:
    """Stands in for render_timeline: counts calls, can wait for a signal or fail."""

    def __init__(self, *, fail: bool = False, gate: threading.Event | None = None) -> None:
        self.calls: list[tuple[TimelineFilter, str]] = []
        self.fail = fail
        self.gate = gate
        self.lock = threading.Lock()

    def __call__(
        self, base: KnowledgeBase, filters: TimelineFilter, labels: TimelineLabels
    ) -> TimelinePicture:
        with self.lock:
            self.calls.append((filters, labels.language))
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.fail:
            raise RuntimeError("boom")
        return TimelinePicture(b"png", "alt", 1080, 100, 0, 0)


def test_the_cache_renders_once_per_version_filter_and_language(base: KnowledgeBase) -> None:
    render = CountingRenderer()
    cache = PictureCache(render)
    with ThreadPoolExecutor(1) as pool:
        first = cache.submit(base, EVERYTHING, ENGLISH, pool).result(5)
        assert cache.submit(base, EVERYTHING, ENGLISH, pool).result(5) is first
        assert cache.submit(base, TimelineFilter(topic="prisoners"), ENGLISH, pool).result(5) is not first
        assert cache.submit(base, EVERYTHING, PLACEHOLDER, pool).result(5) is not first
        edited = dataclasses.replace(base, digests={**base.digests, "x.yaml": "0" * 64})
        assert base_version(edited) != base_version(base)
        assert cache.submit(edited, EVERYTHING, ENGLISH, pool).result(5) is not first
    assert render.calls == [
        (EVERYTHING, "en"),
        (TimelineFilter(topic="prisoners"), "en"),
        (EVERYTHING, "xx"),
        (EVERYTHING, "en"),
    ]


def test_people_asking_at_once_share_one_render(base: KnowledgeBase) -> None:
    gate = threading.Event()
    render = CountingRenderer(gate=gate)
    cache = PictureCache(render)
    with ThreadPoolExecutor(2) as pool:
        futures = [cache.submit(base, EVERYTHING, ENGLISH, pool) for _ in range(10)]
        assert len({id(f) for f in futures}) == 1 and not futures[0].done()
        gate.set()
        assert futures[0].result(5).png == b"png"
    assert len(render.calls) == 1


def test_a_failed_render_is_not_kept_and_the_next_request_tries_again(base: KnowledgeBase) -> None:
    render = CountingRenderer(fail=True)
    cache = PictureCache(render)
    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(RuntimeError):
            cache.submit(base, EVERYTHING, ENGLISH, pool).result(5)
        deadline = time.monotonic() + 5
        while len(cache) and time.monotonic() < deadline:  # the done-callback runs in the worker
            time.sleep(0.01)
        assert len(cache) == 0
        render.fail = False
        assert cache.submit(base, EVERYTHING, ENGLISH, pool).result(5).png == b"png"
    assert len(render.calls) == 2


def test_the_cache_keeps_at_most_maxsize_pictures(base: KnowledgeBase) -> None:
    cache = PictureCache(CountingRenderer(), maxsize=3)
    with ThreadPoolExecutor(1) as pool:
        for year in range(2020, 2026):
            cache.submit(base, TimelineFilter(PartialDate(year)), ENGLISH, pool).result(5)
    assert len(cache) == 3


def test_long_titles_labels_and_words_stay_inside_the_margins(tmp_path: Path) -> None:
    knowledge = Path(shutil.copytree(KNOWLEDGE, tmp_path / "knowledge"))
    story = knowledge / "venezuela-2026" / "story.yaml"
    story.write_text(
        story.read_text(encoding="utf-8").replace(
            "label: US–Venezuela tensions",
            "label: " + "Tensions between the United States and Venezuela " * 5,
        ),
        encoding="utf-8",
    )
    timeline = knowledge / "venezuela-2026" / "timeline.yaml"
    timeline.write_text(
        timeline.read_text(encoding="utf-8")
        + "\n  - id: long-one\n    date: 2025-11\n    title: "
        + "Ñandú" * 50
        + "\n    summary: "
        + "word " * 55
        + "\n    topic: us-venezuela\n    sources: [tasr]\n",
        encoding="utf-8",
    )
    picture = render_timeline(load_base(knowledge))
    image = open_png(picture.png).convert("RGB")
    margin = 64 - 8  # the layout's margin, less a little for anti-aliasing
    below_header = 400
    right = image.crop((image.width - margin, below_header, image.width, image.height))
    assert right.getcolors() == [(right.width * right.height, (255, 255, 255))], "nothing past the margin"
    assert "Ñandú" in picture.alt_text and len(picture.alt_text) <= ALT_TEXT_LIMIT
