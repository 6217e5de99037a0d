"""The base in more than one language: what each entry still lacks in the story's declared languages.

The figure, the date and the sources stay one fact; a translation carries only the words
("at least 87 people" is "al menos 87 personas"). `check` lists every entry missing a translation
as a warning, with file and line, so editors can work down the list; a missing translation never
stops the bot, which answers that entry in English and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.base import KnowledgeBase
from bot.knowledge.problems import Problem

LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


@dataclass(frozen=True, slots=True)
class Gap:
    """One entry's missing words in one language."""

    key: str
    """The entry, as "fact:jan1-released"."""
    entry: str
    language: str
    fields: tuple[str, ...]


def declared_languages(base: KnowledgeBase) -> list[str]:
    """Every language a story of the base declares besides its own."""
    return sorted({lang for story in base.stories for lang in story.languages if lang != story.language})


def gaps(base: KnowledgeBase) -> list[Gap]:
    """Every entry missing a translation (or part of one) in a declared language."""
    out: list[Gap] = []
    for language in declared_languages(base):
        for story in base.stories:
            tr = story.translations.get(language)
            wanted = {"title": story.title, "summary": story.summary, "scope": story.scope}
            out += _gap(f"story:{story.id}", story.id, language, wanted, tr)
        for fact in base.facts.values():
            wanted = {"statement": fact.statement, "value": fact.value}
            out += _gap(f"fact:{fact.id}", fact.id, language, wanted, fact.translations.get(language))
        for qa in base.questions.values():
            wanted = {"question": qa.question, "answer": qa.answer}
            out += _gap(f"question:{qa.id}", qa.id, language, wanted, qa.translations.get(language))
        for event in base.events:
            wanted = {"title": event.title, "summary": event.summary}
            out += _gap(f"event:{event.id}", event.id, language, wanted, event.translations.get(language))
    return out


def _gap(key: str, entry: str, language: str, wanted: dict[str, str | None], tr: object) -> list[Gap]:
    missing = tuple(f for f, english in wanted.items() if english and not getattr(tr, f, None))
    return [Gap(key, entry, language, missing)] if missing else []


def gap_warnings(base: KnowledgeBase) -> list[Problem]:
    """The gaps as warnings for `check`: file, line of the entry, and what to add."""
    out = []
    for gap in gaps(base):
        where = base.locations.get(gap.key)
        name = LANGUAGE_NAMES.get(gap.language, gap.language)
        fields = " and ".join(f"`{f}`" for f in gap.fields)
        out.append(
            Problem(
                where.file if where else "?",
                where.line if where else None,
                gap.entry,
                f"no {name} translation of its {fields} (add `translations: {gap.language}:` with "
                f"{', '.join(gap.fields)})",
            )
        )
    return out
