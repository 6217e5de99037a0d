"""The timeline as a picture people can share: a PNG drawn with Pillow. No Discord here.

The picture is made to be screenshotted and posted elsewhere, so it carries its own attribution:
the story's title, how current it is ("as of 1 January 2026") and a sources line. Events sit on an
ordinal axis, one after another in date order with equal spacing (the story spans 2013 to 2026 with
most of it in two weeks, so a proportional axis would crush the news into one corner); each is dated
as precisely as the base knows it and coloured by its topic, with a legend.

Every word the picture writes comes from a `TimelineLabels` (`bot.timeline_labels`), so another
language needs no change here. The font is Source Sans Pro from the `font-source-sans-pro` package
(SIL Open Font License; ñ, accents, ¿¡, dashes and arrows), loaded from the installed package:
nothing is downloaded.

`PictureCache` keeps finished pictures per base version, filter and language, and renders each at
most once at a time however many people ask for it together.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

from PIL import Image, ImageDraw, ImageFont

from bot.knowledge.base import KnowledgeBase
from bot.knowledge.dates import PartialDate
from bot.knowledge.model import Event
from bot.timeline import EVERYTHING, TimelineFilter, filter_text, sources_text, story_for
from bot.timeline_labels import ENGLISH, TimelineLabels

FONT_PACKAGE: Final = "font_source_sans_pro"
FONT_FILES: Final = {
    "regular": "SourceSansPro-Regular.ttf",
    "semibold": "SourceSansPro-Semibold.ttf",
    "bold": "SourceSansPro-Bold.ttf",
}

WIDTH: Final = 1080
"""Pixels. The width social networks expect; Discord and phones scale it down to the screen."""
FULL_EVENTS: Final = 10
"""Up to this many events each get their summary; more are drawn as date and title only."""
MAX_EVENTS: Final = 20
"""At most this many events are drawn: the latest, since the news is at the end of a story; the
older ones are counted in one "Not shown" line above them."""
ALT_TEXT_LIMIT: Final = 1024
"""Discord's limit for an attachment's description (alt text)."""
MAX_PNG_BYTES: Final = 1_000_000

# Okabe–Ito colours: told apart by colour-blind readers, and dark enough to read on white.
PALETTE: Final = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F")
INK: Final = "#1A1A1A"
MUTED: Final = "#4D4D4D"
FAINT: Final = "#8A8A8A"
RULE: Final = "#D0D5DD"
HEADER_BG: Final = "#14213D"
HEADER_INK: Final = "#FFFFFF"
HEADER_MUTED: Final = "#C5CEE0"
HEADER_EDGE: Final = "#3A5A98"  # not a topic's colour: it must not read as one
PAPER: Final = "#FFFFFF"


class FontMissingError(RuntimeError):
    """The font package is not installed: the picture cannot be drawn (the text still can)."""


@dataclass(frozen=True, slots=True)
class TimelinePicture:
    """A rendered timeline: the PNG, its alt text and what it shows."""

    png: bytes
    alt_text: str
    width: int
    height: int
    events: int
    """Events drawn (at most `MAX_EVENTS`, the latest)."""
    total_events: int
    """Events that passed the filter."""


# --- what the picture says ----------------------------------------------------------------------


def topic_colours(base: KnowledgeBase) -> dict[str, str]:
    """Topic id → colour, by the topic's place in the base, so a filter never changes a colour."""
    return {topic: PALETTE[min(i, len(PALETTE) - 1)] for i, topic in enumerate(base.topics())}


def split_events(events: Sequence[Event]) -> tuple[list[Event], list[Event]]:
    """(not shown, drawn): the latest `MAX_EVENTS` events are drawn, the older ones only counted."""
    cut = max(len(events) - MAX_EVENTS, 0)
    return list(events[:cut]), list(events[cut:])


def not_shown_text(omitted: Sequence[Event], labels: TimelineLabels = ENGLISH) -> str:
    """'Not shown: 24 events from 2013 to 13 October 2025', or '' when everything is drawn."""
    if not omitted:
        return ""
    return labels.not_shown.format(
        events=labels.event_count(len(omitted)),
        first=labels.date(omitted[0].date),
        last=labels.date(omitted[-1].date),
    )


def alt_text(
    base: KnowledgeBase,
    filters: TimelineFilter = EVERYTHING,
    labels: TimelineLabels = ENGLISH,
    events: Sequence[Event] | None = None,
) -> str:
    """What the picture shows, for screen readers: title, how many events, each dated title, sources.

    `events` are those that passed the filter (default: worked out from `filters`). At most 1,024
    characters (Discord's limit): past that the sources are left out, then the oldest events ("…").
    """
    events = filters.events(base) if events is None else events
    omitted, drawn = split_events(events)
    story = story_for(base, filters.topic)
    title = story.text(labels.language)[0] if story else ""
    span = ""
    if drawn:
        first, last = labels.date(drawn[0].date), labels.date(drawn[-1].date)
        span = labels.alt_span.format(first=first, last=last) if first != last else ""
    items = [f"{labels.date(e.date)}: {e.text(labels.language)[0]}" for e in drawn]
    tail = f". {not_shown_text(omitted, labels)}" if omitted else ""
    sources = sources_text(base, drawn, labels)

    def compose(listed: list[str], with_sources: bool) -> str:
        text = labels.alt.format(
            title=title,
            count=labels.event_count(len(drawn)),
            span=span,
            events="; ".join(listed) or labels.no_events,
        )
        return text + tail + (f". {sources}" if with_sources and sources else "")

    text = compose(items, with_sources=True)
    if len(text) <= ALT_TEXT_LIMIT:
        return text
    # Too long: the sources go first (the picture shows them), then the oldest events, since
    # the news is at the end.
    for dropped in range(len(items)):
        text = compose(["…", *items[dropped:]] if dropped else items, with_sources=False)
        if len(text) <= ALT_TEXT_LIMIT:
            return text
    return text[: ALT_TEXT_LIMIT - 1].rstrip() + "…"  # one enormous title: cut it


# --- drawing -------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _font_bytes(weight: str) -> bytes:
    try:
        return (resources.files(FONT_PACKAGE) / "files" / FONT_FILES[weight]).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise FontMissingError(
            f"the font package {FONT_PACKAGE!r} is not installed (pip install font-source-sans-pro)"
        ) from exc


@lru_cache(maxsize=64)
def _font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    # Pillow keeps the bytes alive for the font's lifetime; fonts are cached, as opening one costs ~1 ms.
    return ImageFont.truetype(io.BytesIO(_font_bytes(weight)), size)


_BREAKABLE_SPACE: Final = re.compile(r"[^\S\u00a0]+")
_PARENTHESES: Final = re.compile(r"\([^()]*\)")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float, max_lines: int) -> list[str]:
    """Words in lines at most `width` pixels long; the last line ends with "…" if cut short."""
    lines: list[str] = []
    line = ""
    for word in _BREAKABLE_SPACE.split(text.strip()):  # a no-break space holds its words together
        trial = f"{line} {word}" if line else word
        if font.getlength(trial) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and font.getlength(word) > width:  # a word wider than a line: cut it
            fits, over = 1, len(word)  # binary search for the longest prefix that fits
            while over - fits > 1:
                mid = (fits + over) // 2
                fits, over = (mid, over) if font.getlength(word[:mid]) <= width else (fits, mid)
            lines.append(word[:fits])
            word = word[fits:]
        line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return lines


@dataclass(slots=True)
class _Text:
    """Lines of text to draw at (x, y) in one font and colour, `leading` pixels apart."""

    x: float
    y: float
    lines: list[str]
    font: ImageFont.FreeTypeFont
    fill: str
    leading: float

    @property
    def height(self) -> float:
        return self.leading * len(self.lines)


class _Picture:
    """The picture being laid out: sizes that scale with its width, then what to draw where.

    Layout runs top to bottom, advancing `y`; nothing is drawn until the height is known.
    """

    def __init__(self, width: int) -> None:
        self.u = width / WIDTH  # everything scales with the width, so 1080 px and 800 px look alike
        self.width = width
        self.margin = self.px(64)
        self.axis_x = self.margin + self.px(16)
        self.text_x = self.axis_x + self.px(44)
        self.text_width = width - self.text_x - self.margin
        self.y = 0.0
        self.texts: list[_Text] = []
        self.dots: list[tuple[float, float, float, str]] = []  # centre x, centre y, radius, colour
        self.header_bottom = 0.0
        self.axis: tuple[float, float] | None = None
        self.rule_y = 0.0

    def px(self, value: float) -> int:
        return round(value * self.u)

    def font(self, weight: str, size: float) -> ImageFont.FreeTypeFont:
        return _font(weight, max(self.px(size), 8))

    def text(
        self, x: float, text: str, font: ImageFont.FreeTypeFont, fill: str, leading: float, max_lines: int = 1
    ) -> None:
        """Text wrapped to the right margin at `y`, which then moves below it."""
        block = _Text(
            x, self.y, _wrap(text, font, self.width - self.margin - x, max_lines), font, fill, leading
        )
        self.texts.append(block)
        self.y += block.height

    def draw(self) -> Image.Image:
        """The picture, `y` pixels tall."""
        width, height = self.width, round(self.y)
        image = Image.new("RGB", (width, height), PAPER)
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, width, round(self.header_bottom)), fill=HEADER_BG)
        draw.rectangle(
            (0, round(self.header_bottom), width, round(self.header_bottom) + self.px(8)), fill=HEADER_EDGE
        )
        if self.axis is not None:
            draw.line((self.axis_x, self.axis[0], self.axis_x, self.axis[1]), fill=RULE, width=self.px(6))
        for cx, cy, r, colour in self.dots:
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        draw.line((self.margin, self.rule_y, width - self.margin, self.rule_y), fill=RULE, width=self.px(2))
        for text in self.texts:
            for i, line in enumerate(text.lines):
                draw.text(
                    (text.x, text.y + i * text.leading), line, font=text.font, fill=text.fill, anchor="la"
                )
        return image


def render_timeline(
    base: KnowledgeBase,
    filters: TimelineFilter = EVERYTHING,
    labels: TimelineLabels = ENGLISH,
    *,
    width: int = WIDTH,
) -> TimelinePicture:
    """Draw the filtered timeline as a PNG: 1,080 px wide by default, at most 1 MB.

    Raises FontMissingError when the font package is absent, ValueError for a width under 400.
    """
    if width < 400:
        raise ValueError(f"a timeline picture needs at least 400 px, not {width}")
    all_events = filters.events(base)
    omitted, events = split_events(all_events)
    story = story_for(base, filters.topic)
    pic = _Picture(width)
    _header(
        pic,
        base,
        filters,
        labels,
        story.text(labels.language)[0] if story else labels.untitled,
        story.as_of if story else None,
    )
    _legend(pic, base, events)
    if omitted:
        top = pic.y
        pic.text(pic.text_x, not_shown_text(omitted, labels), pic.font("semibold", 30), MUTED, pic.px(44))
        pic.y += pic.px(22)
        pic.axis = (top, top)  # the axis reaches up to the line: the story goes on above
    _events(pic, base, events, labels, full=len(all_events) <= FULL_EVENTS)
    if not all_events:
        pic.text(pic.margin, labels.no_events, pic.font("regular", 32), MUTED, pic.px(44))
        pic.y += pic.px(30)
    _footer(pic, sources_text(base, events, labels), labels)
    return TimelinePicture(
        png=_encode(pic.draw()),
        alt_text=alt_text(base, filters, labels, all_events),
        width=width,
        height=round(pic.y),
        events=len(events),
        total_events=len(all_events),
    )


def _header(
    pic: _Picture,
    base: KnowledgeBase,
    filters: TimelineFilter,
    labels: TimelineLabels,
    title: str,
    as_of: PartialDate | None,
) -> None:
    """The dark band: the story's title, "The story in dates · as of …", the filters if any."""
    pic.y = pic.px(52)
    pic.text(pic.margin, title, pic.font("bold", 54), HEADER_INK, pic.px(64), max_lines=3)
    pic.y += pic.px(14)
    as_of_text = labels.as_of.format(date=labels.date(as_of)) if as_of else ""
    pic.text(
        pic.margin,
        labels.subtitle.format(as_of=as_of_text),
        pic.font("regular", 32),
        HEADER_MUTED,
        pic.px(42),
        2,
    )
    filters_text = filter_text(base, filters, labels)
    if filters_text:
        pic.text(pic.margin, filters_text, pic.font("semibold", 30), HEADER_MUTED, pic.px(42), 2)
    pic.header_bottom = pic.y + pic.px(40)
    pic.y = pic.header_bottom + pic.px(36)


def _legend(pic: _Picture, base: KnowledgeBase, events: Sequence[Event]) -> None:
    """The topics that appear, in the base's order, flowing onto as many rows as needed."""
    topics = base.topics()
    colours = topic_colours(base)
    shown = [t for t in topics if any(e.topic == t for e in events)]
    if not shown:
        return
    font = pic.font("semibold", 30)
    row, r, gap = pic.px(46), pic.px(11), pic.px(12)
    x = float(pic.margin)
    for topic in shown:
        # A label longer than a whole row is cut with "…" rather than run off the picture.
        (label,) = _wrap(topics[topic], font, pic.width - 2 * pic.margin - 2 * r - gap, 1) or [""]
        item_width = 2 * r + gap + font.getlength(label)
        if x > pic.margin and x + item_width > pic.width - pic.margin:
            x = float(pic.margin)
            pic.y += row
        pic.dots.append((x + r, pic.y + pic.px(19), r, colours[topic]))
        pic.texts.append(_Text(x + 2 * r + gap, pic.y, [label], font, INK, row))
        x += item_width + pic.px(34)
    pic.y += row + pic.px(30)


def _events(
    pic: _Picture, base: KnowledgeBase, events: Sequence[Event], labels: TimelineLabels, *, full: bool
) -> None:
    """Events on the ordinal axis: equal steps, whatever the time between them.

    Every event carries its date, even one shared with the event above, so that a cropped
    screenshot stays dated. With few events each gets its summary; with many, date and title only.
    """
    colours = topic_colours(base)
    date_font, body_font = pic.font("bold", 30), pic.font("regular", 32)
    head_font = pic.font("bold", 38 if full else 34)
    ring, r = pic.px(5), pic.px(14)
    for event in events:
        dot_y = pic.y + pic.px(20)
        pic.text(pic.text_x, labels.date(event.date), date_font, MUTED, pic.px(40))
        title, summary = event.text(labels.language)
        pic.text(pic.text_x, title, head_font, INK, pic.px(46), max_lines=2)
        if full:
            pic.y += pic.px(4)
            pic.text(pic.text_x, summary, body_font, MUTED, pic.px(42), max_lines=5)
            pic.y += pic.px(4)
        # A white ring keeps each dot clear of the axis line behind it.
        pic.dots.append((pic.axis_x, dot_y, r + ring, PAPER))
        pic.dots.append((pic.axis_x, dot_y, r, colours.get(event.topic, PALETTE[-1])))
        pic.axis = (pic.axis[0] if pic.axis else dot_y, dot_y)
        pic.y += pic.px(34 if full else 22)


def _footer(pic: _Picture, sources: str, labels: TimelineLabels) -> None:
    """Under a rule: the sources line (a screenshot stays attributed) and the credit."""
    pic.rule_y = pic.y
    pic.y += pic.px(28)
    # A chain "AFP → TASR" and a date "(1 January 2026)" are not broken across lines.
    held = sources.replace(" → ", "\u00a0→\u00a0")
    held = _PARENTHESES.sub(lambda m: m.group(0).replace(" ", "\u00a0"), held)
    pic.text(pic.margin, held, pic.font("regular", 28), MUTED, pic.px(38), 6)
    pic.y += pic.px(8)
    pic.text(pic.margin, labels.credit, pic.font("regular", 24), FAINT, pic.px(34))
    pic.y += pic.px(44)


def _encode(image: Image.Image) -> bytes:
    """PNG bytes. Flat colours and anti-aliased text compress well; a 256-colour palette halves
    that again with no visible change, and is only used when the full-colour file is over 1 MB."""
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)  # 6 costs 30 ms more for 3% smaller
    if out.tell() <= MAX_PNG_BYTES:
        return out.getvalue()
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    if out.tell() > MAX_PNG_BYTES:  # not seen with 20 events; a bound, so a reply never carries 8 MB
        raise ValueError(f"the timeline picture is {out.tell():,} bytes, over {MAX_PNG_BYTES:,}")
    return out.getvalue()


# --- caching -------------------------------------------------------------------------------------

PictureKey = tuple[str, TimelineFilter, str]
Renderer = Callable[[KnowledgeBase, TimelineFilter, TimelineLabels], TimelinePicture]


def base_version(base: KnowledgeBase) -> str:
    """A short hash of the bytes the base was loaded from: the same files, the same version.

    A base built in code (no files) is known only by its identity.
    """
    if not base.digests:
        return f"object-{id(base)}"
    digest = hashlib.sha256()
    for name, sha in sorted(base.digests.items()):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()[:16]


def _default_renderer(
    base: KnowledgeBase, filters: TimelineFilter, labels: TimelineLabels
) -> TimelinePicture:
    return render_timeline(base, filters, labels)


class PictureCache:
    """Timeline pictures by (base version, filter, language), shared between everyone who asks.

    `submit` returns a Future: finished for a cached picture, pending while one is rendered. Many
    people asking for the same picture at once share one render; a render that failed (or was
    cancelled) is forgotten, so the next request tries again. The oldest pictures are dropped past
    `maxsize` (a picture is 0.1–1 MB).
    """

    def __init__(self, render: Renderer = _default_renderer, maxsize: int = 32) -> None:
        self.render = render
        self.maxsize = maxsize
        self._entries: OrderedDict[PictureKey, Future[TimelinePicture]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(base: KnowledgeBase, filters: TimelineFilter, labels: TimelineLabels) -> PictureKey:
        """What a picture depends on: the base's content, the filter and the language."""
        return (base_version(base), filters, labels.language)

    def submit(
        self, base: KnowledgeBase, filters: TimelineFilter, labels: TimelineLabels, executor: Executor
    ) -> Future[TimelinePicture]:
        """The picture's Future: from the cache, or rendered in `executor` (never in the caller)."""
        key = self.key(base, filters, labels)
        with self._lock:
            future = self._entries.get(key)
            if future is not None and not _failed(future):
                self._entries.move_to_end(key)
                return future
            future = executor.submit(self.render, base, filters, labels)
            self._entries[key] = future
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        future.add_done_callback(lambda done: self._forget_if_failed(key, done))
        return future

    def _forget_if_failed(self, key: PictureKey, future: Future[TimelinePicture]) -> None:
        if _failed(future):
            with self._lock:
                if self._entries.get(key) is future:
                    del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget every picture (a render under way still finishes for whoever waits on it)."""
        with self._lock:
            self._entries.clear()


def _failed(future: Future[TimelinePicture]) -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)
