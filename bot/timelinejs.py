"""The timeline as Knight Lab TimelineJS3 JSON, for a newsroom to embed on its site. No Discord here.

Format: https://timeline.knightlab.com/docs/json-format.html. A `title` slide (the story, its summary,
how current it is) and one slide per event, in date order, with the same filters as /timeline:

- `start_date` holds what the base knows and no more: {"year": 2013}, {"year": 2024, "month": 7},
  {"year": 2025, "month": 12, "day": 16}. TimelineJS then shows "2013" or "July 2024" by itself
  (in the embed's own language), rather than inventing a 1 January.
- `text.headline` and `text.text` are HTML to TimelineJS, so the base's text is escaped; each
  event's text ends with its sources, so an embedded slide stays attributed.
- `group` is the topic's label (TimelineJS prints it at the left of its navigation); `unique_id`
  is the event's id in the base, stable across exports, so links to a slide (#event-id) keep working.
"""

from __future__ import annotations

import html
from typing import Any

from bot.knowledge.base import KnowledgeBase
from bot.knowledge.dates import PartialDate
from bot.knowledge.model import Event
from bot.timeline import EVERYTHING, TimelineFilter, filter_text, sources_text, story_for
from bot.timeline_labels import ENGLISH, TimelineLabels


def date_object(date: PartialDate) -> dict[str, int]:
    """A TimelineJS date object as precise as the date: year, then month and day where known."""
    out = {"year": date.year}
    if date.month:
        out["month"] = date.month
    if date.day:
        out["day"] = date.day
    return out


def _paragraph(text: str, css: str | None = None) -> str:
    cls = f' class="{css}"' if css else ""
    return f"<p{cls}>{html.escape(text)}</p>"


def event_slide(base: KnowledgeBase, event: Event, labels: TimelineLabels = ENGLISH) -> dict[str, Any]:
    """One event as a TimelineJS slide."""
    body = _paragraph(event.summary)
    if event.date_note:  # e.g. the article says "since September": the reader should know
        body += _paragraph(f"({event.date_note})", "factbot-date-note")
    sources = sources_text(base, [event], labels)
    if sources:
        body += _paragraph(sources, "factbot-sources")
    return {
        "start_date": date_object(event.date),
        "text": {"headline": html.escape(event.title), "text": body},
        "group": base.topics().get(event.topic, event.topic),
        "unique_id": event.id,
    }


def timelinejs(
    base: KnowledgeBase, filters: TimelineFilter = EVERYTHING, labels: TimelineLabels = ENGLISH
) -> dict[str, Any]:
    """The filtered timeline as a TimelineJS3 document: {"title": …, "events": […], "scale": "human"}."""
    story = story_for(base, filters.topic)
    events = filters.events(base)
    title_body = _paragraph(story.summary) if story else ""
    as_of = labels.as_of.format(date=labels.date(story.as_of)) if story else ""
    described = filter_text(base, filters, labels)
    footer = " · ".join(part for part in (described, as_of[:1].upper() + as_of[1:]) if part)
    if footer:
        title_body += _paragraph(footer, "factbot-as-of")
    slides = [event_slide(base, e, labels) for e in events]
    ids = {s["unique_id"] for s in slides}
    title_id = f"{story.id}-title" if story else "timeline-title"
    while title_id in ids:  # unique among all slides, as TimelineJS requires
        title_id += "-0"
    return {
        "title": {
            "text": {"headline": html.escape(story.title if story else labels.untitled), "text": title_body},
            "unique_id": title_id,
        },
        "events": slides,
        "scale": "human",
    }
