"""The story in date order: filters and one-line summaries that fit a length budget. No Discord here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.knowledge.base import KnowledgeBase
from bot.knowledge.dates import PartialDate
from bot.knowledge.model import Event, Story
from bot.timeline_labels import ENGLISH, TimelineLabels


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


@dataclass(frozen=True, slots=True)
class TimelineFilter:
    """Which events to show: dates as given (a year, a month or a day) and a topic id.

    Hashable, so the timeline picture can be cached per filter.
    """

    start: PartialDate | None = None
    end: PartialDate | None = None
    topic: str | None = None

    @classmethod
    def parse(cls, start: str | None, end: str | None, topic: str | None = None) -> TimelineFilter:
        """From --from/--to strings ("2025", "2025-12", "2025-12-25"); raises ValueError for people."""
        return cls(
            PartialDate.parse(start.strip()) if start and start.strip() else None,
            PartialDate.parse(end.strip()) if end and end.strip() else None,
            topic or None,
        )

    def bounds(self) -> tuple[dt.date | None, dt.date | None]:
        """Calendar bounds: a partial `start` means its first day, a partial `end` its last."""
        return (
            self.start.first_day() if self.start else None,
            self.end.last_day() if self.end else None,
        )

    def events(self, base: KnowledgeBase) -> list[Event]:
        """The base's events that pass this filter, in date order."""
        start, end = self.bounds()
        return select_events(base, start, end, self.topic)


EVERYTHING: Final = TimelineFilter()
"""No filter: the whole timeline."""


def story_for(base: KnowledgeBase, topic: str | None = None) -> Story | None:
    """The story a topic belongs to; the first story when the topic is None or unknown."""
    for story in base.stories:
        if topic is not None and any(t.id == topic for t in story.topics):
            return story
    return base.stories[0] if base.stories else None


def filter_text(base: KnowledgeBase, filters: TimelineFilter, labels: TimelineLabels = ENGLISH) -> str:
    """The filters in words ("From December 2025 to 1 January 2026 · Topic: …"), '' for none."""
    parts = []
    if filters.start and filters.start == filters.end:
        parts.append(labels.date(filters.start))
    elif filters.start and filters.end:
        parts.append(labels.from_to.format(start=labels.date(filters.start), end=labels.date(filters.end)))
    elif filters.start:
        parts.append(labels.from_on.format(start=labels.date(filters.start)))
    elif filters.end:
        parts.append(labels.up_to.format(end=labels.date(filters.end)))
    if filters.topic:
        parts.append(labels.topic_filter.format(topic=base.topics().get(filters.topic, filters.topic)))
    return " · ".join(parts)


def sources_text(base: KnowledgeBase, events: Sequence[Event], labels: TimelineLabels = ENGLISH) -> str:
    """Who said what the events rest on, then the publications it reached us through.

    'Sources: Foro Penal; Venezuelan government; … · via AFP → TASR (1 January 2026)'. A source
    that is itself a link of a chain (TASR) is named in the chain only.
    """
    claimants: dict[str, None] = {}
    chains: dict[tuple[str, ...], None] = {}
    for event in events:
        for fact_id in event.facts:
            fact = base.facts.get(fact_id)
            for attribution in fact.sources if fact else []:
                claimants[attribution.source] = None
                if attribution.via:
                    chains[tuple(attribution.via)] = None
        for source_id in event.sources:
            claimants[source_id] = None
    in_chains = {s for chain in chains for s in chain}
    names = [base.sources[s].name for s in claimants if s in base.sources and s not in in_chains]
    # Names may hold commas ("Donald Trump, US President"), so they are told apart by semicolons.
    parts = []
    if names:
        parts.append((labels.source if len(names) == 1 else labels.sources).format(names="; ".join(names)))
    # "via TASR" is already said by "via AFP → TASR": keep only chains that are not the end of another.
    longest = [c for c in chains if not any(len(o) > len(c) and o[-len(c) :] == c for o in chains)]
    for chain in longest:
        known = [base.sources[s] for s in chain if s in base.sources]
        if not known:
            continue
        text = " → ".join(s.name for s in known)
        last = known[-1].published
        parts.append(
            labels.via.format(chain=text, date=labels.date(last))
            if last
            else labels.via_undated.format(chain=text)
        )
    return " · ".join(parts)


def event_line(event: Event, language: str = "en") -> str:
    """'1 January 2026 — At least 87 released from Tocorón: summary', in `language` where translated."""
    title, summary = event.text(language)
    return f"{event.date.label(language)} — {title}: {summary}"


def summarize(lines: Sequence[str], budget: int) -> list[str]:
    """Timeline lines, in order, as many as fit in `budget` characters (newlines included).

    Lines longer than the whole budget are cut with an ellipsis rather than dropped, so a
    narrow budget still shows the first events.
    """
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = len(line) + (1 if kept else 0)
        if used + cost > budget:
            if not kept and budget > 1:
                kept.append(line[: budget - 1] + "…")
            break
        kept.append(line)
        used += cost
    return kept


def paginate(
    lines: Sequence[str], budget: int, *, first_page_budget: int | None = None, max_lines: int | None = None
) -> list[list[str]]:
    """Split lines into pages of at most `budget` characters (newlines included) and `max_lines` lines.

    The first page may have less room (`first_page_budget`: it also carries the story's summary).
    Always at least one, possibly empty, page; a line longer than a page gets a page of its own.
    """
    pages: list[list[str]] = [[]]
    used = 0
    for line in lines:
        room = first_page_budget if first_page_budget is not None and len(pages) == 1 else budget
        cost = len(line) + (1 if pages[-1] else 0)
        full = max_lines is not None and len(pages[-1]) >= max_lines
        if pages[-1] and (full or used + cost > room):
            pages.append([])
            used, cost = 0, len(line)
        pages[-1].append(line)
        used += cost
    return pages
