"""Questions about a date ("what happened on 16 December?", "qué pasó en julio de 2024"): answered
from the timeline, with the events' own sources, rather than by matching Q&A phrasings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.engine.answer import Answer, Citation
from bot.engine.compose import citations_for, fact_use, source_line
from bot.engine.lexicon import Analysis, is_month_token
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.model import Event, Intent
from bot.locale import kind_label, text

ABOUT_A_DATE = frozenset({"happen", "event"})
"""Terms that, beside a date and nothing else, ask for whatever happened then."""
_RELATIVE_TO_A_DATE = re.compile(
    r"\b(?:before|after|since|until|till|by|prior to|around|antes|despues|desde|hasta|luego)\b"
)
MAX_EVENTS = 4
"""More than this many events is a timeline, not an answer: /timeline pages them."""
CONFIDENCE = 0.9
"""A date lookup is exact, but the question could still mean something the timeline lacks."""


@dataclass(frozen=True, slots=True)
class DateQuery:
    """The date a question asks about: days (month, day), or months, and years to narrow them."""

    days: frozenset[tuple[int, int]]
    months: frozenset[int]
    years: frozenset[int]

    def matches(self, event: Event) -> bool:
        """Whether the event happened on that day, in that month or in that year."""
        d = event.date
        if self.years and d.year not in self.years:
            return False
        if self.days:  # a month-precise event did not happen "on the 20th"
            return bool(d.day) and (d.month, d.day) in self.days
        if self.months:
            return bool(d.month) and d.month in self.months
        return bool(self.years)


def date_query(analysis: Analysis) -> DateQuery | None:
    """The date, when the question asks only what happened on it; else None (the matcher decides).

    Not for "what happened *after* Christmas" (another date), "what will happen" (a prediction),
    "why…"/"where…" (not a list of events), or two dates at once.
    """
    months = {t for t in analysis.terms if is_month_token(t)}
    rest = set(analysis.terms) - analysis.days - analysis.years - months
    if rest - ABOUT_A_DATE or not (analysis.days or months or analysis.years):
        return None
    if not rest and not (analysis.days or months):  # "2024?" alone is too vague to be a question
        return None
    if analysis.intent not in (None, Intent.THING) or analysis.future or analysis.opinion:
        return None
    if _RELATIVE_TO_A_DATE.search(analysis.normalized):
        return None
    if len(analysis.days) + len(months) > 1 or len(analysis.years) > 1:
        return None
    return DateQuery(
        days=frozenset((int(t[4:6]), int(t[6:8])) for t in analysis.days),
        months=frozenset(int(t[5:]) for t in months),
        years=frozenset(int(y) for y in analysis.years),
    )


def events_answer(
    question: str, query: DateQuery, base: KnowledgeBase, language: str = "en"
) -> Answer | None:
    """What the timeline holds for that date, with sources; None when it holds nothing or too much."""
    events = [e for e in base.events if query.matches(e)]
    if not events or len(events) > MAX_EVENTS:
        return None
    lines = []
    for e in events:
        title, summary = e.text(language)
        lines.append(f"{e.date.label(language)}: {title}. {summary}")
    fact_ids = list(dict.fromkeys(f for e in events for f in e.facts))
    citations = citations_for(fact_ids, base, language) + _source_citations(events, base, language)
    first = events[0]
    return Answer(
        question=question,
        answered=True,
        text="\n".join([*lines, source_line(citations, language)]).strip(),
        body="\n".join(lines),
        language=language,
        confidence=CONFIDENCE,
        entry_id=f"event:{first.id}",
        entry_question=text(language, "what_happened", date=first.date.label(language)),
        facts=tuple(fact_use(base.facts[f], base, language) for f in fact_ids),
        citations=citations,
    )


def _source_citations(events: list[Event], base: KnowledgeBase, language: str = "en") -> tuple[Citation, ...]:
    """Sources an event names directly (rather than through its facts)."""
    out = []
    for source_id in dict.fromkeys(s for e in events for s in e.sources):
        source = base.sources[source_id]
        out.append(
            Citation(
                source=source.name,
                kind=kind_label(language, source.kind.value),
                date=source.published.iso() if source.published else "",
                date_label=source.published.label(language) if source.published else "",
                via=tuple(base.sources[v].name for v in source.via),
                url=source.url,
                language=language,
            )
        )
    return tuple(out)
