"""The words of the timeline picture and its alt text, one set per language, all in this file.

The renderer (`bot.timeline_image`) writes no word of its own: month names, headers, the sources
line and the alt text all come from a `TimelineLabels`: English and Spanish so far; another
language is one more `TimelineLabels(...)` added to `LABELS` below, and `labels_for` then picks it
for Discord users whose client is in that language ("es-ES" and "es-419" both find "es").

The events themselves (titles, summaries) are the knowledge base's text, in its translations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.knowledge.dates import MONTH_NAMES, PartialDate


@dataclass(frozen=True, slots=True)
class TimelineLabels:
    """Every string the timeline picture shows or says, with `{placeholders}` filled by the renderer."""

    language: str
    """BCP 47 primary language ("en"): part of the picture cache key."""
    months: tuple[str, ...]
    """Twelve month names, January first."""
    day_date: str
    """A date known to the day: {day}, {month}, {year}."""
    month_date: str
    """A date known to the month: {month}, {year}."""
    untitled: str
    """The title when the base has no story."""
    subtitle: str
    """Under the story's title: {as_of} is `as_of` filled in."""
    as_of: str
    """{date}: the story's as-of date."""
    from_to: str
    from_on: str
    up_to: str
    """The date filters in words: {start}, {end}."""
    topic_filter: str
    """{topic}: the topic's label."""
    source: str
    sources: str
    """{names}: who said it (one, or several separated by semicolons)."""
    via: str
    """{chain}: the publications it reached us through ("AFP → TASR"), with {date} of the last one."""
    via_undated: str
    """The same, when the last publication has no date."""
    not_shown: str
    """Above the events when the oldest did not fit: {events} (`event_count` filled in), {first}, {last}."""
    no_events: str
    credit: str
    """The last line: who made the picture."""
    alt: str
    """The picture's alt text: {title}, {count} (`event_count` filled in), {span}, {events}; then
    `not_shown` when the oldest events did not fit."""
    alt_span: str
    """{first} and {last} dates of the events."""
    event_count_one: str
    event_count_many: str
    """{n} events."""

    def __post_init__(self) -> None:
        if len(self.months) != 12:
            raise ValueError(f"{self.language}: 12 month names needed, got {len(self.months)}")

    def date(self, date: PartialDate) -> str:
        """A date as precise as it is known: "2013", "July 2024", "16 December 2025"."""
        if date.day:
            return self.day_date.format(day=date.day, month=self.months[date.month - 1], year=date.year)
        if date.month:
            return self.month_date.format(month=self.months[date.month - 1], year=date.year)
        return str(date.year)

    def event_count(self, n: int) -> str:
        """'1 event', '9 events'."""
        return (self.event_count_one if n == 1 else self.event_count_many).format(n=n)


ENGLISH: Final = TimelineLabels(
    language="en",
    months=MONTH_NAMES,
    day_date="{day} {month} {year}",
    month_date="{month} {year}",
    untitled="Timeline",
    subtitle="The story in dates · {as_of}",
    as_of="as of {date}",
    from_to="From {start} to {end}",
    from_on="From {start} on",
    up_to="Up to {end}",
    topic_filter="Topic: {topic}",
    source="Source: {names}",
    sources="Sources: {names}",
    via="via {chain} ({date})",
    via_undated="via {chain}",
    not_shown="Not shown: {events} from {first} to {last}",
    no_events="No events in this range.",
    credit="factbot · answers from a curated, sourced knowledge base",
    alt="Timeline picture: {title}. {count}{span}: {events}",
    alt_span=", from {first} to {last}",
    event_count_one="1 event",
    event_count_many="{n} events",
)

SPANISH: Final = TimelineLabels(
    language="es",
    months=tuple(
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
    ),
    day_date="{day} de {month} de {year}",
    month_date="{month} de {year}",
    untitled="Cronología",
    subtitle="La historia en fechas · {as_of}",
    as_of="al {date}",
    from_to="Del {start} al {end}",
    from_on="Desde {start}",
    up_to="Hasta {end}",
    topic_filter="Tema: {topic}",
    source="Fuente: {names}",
    sources="Fuentes: {names}",
    via="vía {chain} ({date})",
    via_undated="vía {chain}",
    not_shown="No se muestran: {events} del {first} al {last}",
    no_events="No hay eventos en este periodo.",
    credit="factbot · respuestas de una base de datos curada y con fuentes",
    alt="Imagen de la cronología: {title}. {count}{span}: {events}",
    alt_span=", del {first} al {last}",
    event_count_one="1 evento",
    event_count_many="{n} eventos",
)

LABELS: Final[dict[str, TimelineLabels]] = {ENGLISH.language: ENGLISH, SPANISH.language: SPANISH}
"""Every language the picture can be drawn in, by primary language tag. Add a language here."""


def labels_for(locale: str | None) -> TimelineLabels:
    """The labels for a locale ("en-US", "es-ES", "es-419", "es"); English when there are none."""
    if not locale:
        return ENGLISH
    primary = str(locale).replace("_", "-").split("-")[0].lower()
    return LABELS.get(primary, ENGLISH)
