"""The story in date order: filters and one-line summaries that fit a length budget. No Discord here."""

from __future__ import annotations

import datetime as dt

from bot.knowledge.base import KnowledgeBase
from bot.knowledge.dates import PartialDate
from bot.knowledge.model import Event


def parse_bound(text: str | None, *, end: bool = False) -> dt.date | None:
    """A --from/--to bound: "2025", "2025-12" or "2025-12-25"; a partial date means its first
    (or, for `end`, its last) day. Raises ValueError with a message for people."""
    if text is None or not text.strip():
        return None
    date = PartialDate.parse(text.strip())
    return date.last_day() if end else date.first_day()


def select_events(
    base: KnowledgeBase, start: dt.date | None = None, end: dt.date | None = None, topic: str | None = None
) -> list[Event]:
    """Events in date order, overlapping [start, end], optionally of one topic."""
    return [e for e in base.events if e.date.overlaps(start, end) and (topic is None or e.topic == topic)]


def event_line(event: Event, base: KnowledgeBase | None = None) -> str:
    """'1 January 2026 — At least 87 released from Tocorón: summary'."""
    return f"{event.date.label()} — {event.title}: {event.summary}"


def summarize(events: list[Event], budget: int) -> list[str]:
    """One line per event, in order, as many as fit in `budget` characters (newlines included).

    Lines longer than the whole budget are cut with an ellipsis rather than dropped, so a
    narrow budget still shows the first events.
    """
    lines: list[str] = []
    used = 0
    for event in events:
        line = event_line(event)
        cost = len(line) + (1 if lines else 0)
        if used + cost > budget:
            room = budget - used - (1 if lines else 0)
            if not lines and room > 1:
                lines.append(line[: room - 1] + "…")
            break
        lines.append(line)
        used += cost
    return lines


def paginate(events: list[Event], budget: int) -> list[list[Event]]:
    """Split events into pages whose lines fit `budget` characters each."""
    pages: list[list[Event]] = []
    page: list[Event] = []
    used = 0
    for event in events:
        cost = min(len(event_line(event)), budget) + (1 if page else 0)
        if page and used + cost > budget:
            pages.append(page)
            page, used = [], 0
            cost = min(len(event_line(event)), budget)
        page.append(event)
        used += cost
    if page:
        pages.append(page)
    return pages
