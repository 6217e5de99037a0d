"""Cross-checks between entries that no single-entry schema can see."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from bot.knowledge.base import KnowledgeBase, Location
from bot.knowledge.dates import PartialDate
from bot.knowledge.model import TEMPLATE_REF
from bot.knowledge.problems import Problem
from bot.text import normalize, stem

FieldPath = tuple[str | int, ...]
Locate = Callable[[str, FieldPath], Location]
"""("kind:id", a field's path inside that entry, like ("sources", 0, "source")) → where it is."""


def cross_check(
    base: KnowledgeBase,
    locate: Locate | None = None,
    *,
    broken: Collection[str] = (),
    salvaged: Collection[str] = (),
    complete: bool = True,
) -> list[Problem]:
    """Every problem across entries: unknown references, answers citing nothing, repeated questions.

    Each is placed by `locate` at the line of the field it concerns (default: the entry's line).
    `broken` entries ("kind:id") failed validation: a reference to one is not "unknown". `salvaged`
    ones are in the base without their faulty fields: what those fields would hold is not checked.
    When the base is not `complete` (a file could not be read), no reference is reported unknown.
    """
    problems: list[Problem] = []

    def default_locate(key: str, path: FieldPath) -> Location:
        return base.locations.get(key, Location("?", None))

    where = locate or default_locate

    def at(key: str, entry: str | None, message: str, *path: str | int) -> None:
        loc = where(key, path)
        problems.append(Problem(loc.file, loc.line, entry, message))

    stories_known = complete and not any(k.startswith("story:") for k in broken)
    if not base.stories and stories_known:
        problems.append(
            Problem(
                base.files[0] if base.files else "knowledge",
                None,
                None,
                "no `story:` section anywhere: the base needs a title, summary, as-of date and topics",
            )
        )
    topics = base.topics()
    as_of = max((s.as_of for s in base.stories), default=None)
    seen_story: dict[str, str] = {}
    seen_topic: dict[str, str] = {}
    for story in base.stories:
        key = f"story:{story.id}"
        if story.id in seen_story:
            at(key, story.id, f"the story id {story.id!r} is used twice", "id")
        seen_story[story.id] = key
        for i, t in enumerate(story.topics):
            if t.id in seen_topic:
                at(key, story.id, f"the topic id {t.id!r} is defined twice", "topics", i, "id")
            seen_topic[t.id] = story.id

    def known(kind: str, ident: str, table: Collection[str]) -> bool:
        return ident in table or f"{kind}:{ident}" in broken or not complete

    def check_topic(key: str, entry: str, topic: str | None) -> None:
        if topic is not None and topic not in topics and stories_known:
            at(key, entry, f"unknown topic {topic!r}; topics are {', '.join(topics) or 'none'}", "topic")

    def check_source(key: str, entry: str, sid: str, role: str, *path: str | int) -> None:
        if not known("source", sid, base.sources):
            at(key, entry, f"{role} {sid!r} is not a known source id (add it under `sources:`)", *path)

    def check_date(key: str, entry: str, date: PartialDate | None, what: str, *path: str | int) -> None:
        if date is not None and as_of is not None and date.first_day() > as_of.last_day():
            at(key, entry, f"the {what} {date} is after the story's as-of date {as_of}", *path)

    for source in base.sources.values():
        key = f"source:{source.id}"
        for i, via in enumerate(source.via):
            check_source(key, source.id, via, "`via`", "via", i)
        check_date(key, source.id, source.published, "publication date", "published")

    for fact in base.facts.values():
        key = f"fact:{fact.id}"
        check_topic(key, fact.id, fact.topic)
        check_date(key, fact.id, fact.date, "date", "date")
        check_date(key, fact.id, fact.as_of, "as-of date", "as_of")
        for i, attribution in enumerate(fact.sources):
            check_source(key, fact.id, attribution.source, "source", "sources", i, "source")
            for j, via in enumerate(attribution.via):
                check_source(key, fact.id, via, "`via`", "sources", i, "via", j)
            check_date(key, fact.id, attribution.said_on, "`said_on` date", "sources", i, "said_on")
        for i, other in enumerate(fact.conflicts_with):
            if other == fact.id:
                at(key, fact.id, "a fact cannot conflict with itself", "conflicts_with", i)
            elif other not in base.facts:
                if not known("fact", other, base.facts):
                    at(
                        key,
                        fact.id,
                        f"`conflicts_with` names {other!r}, which is not a known fact id",
                        "conflicts_with",
                        i,
                    )
            elif fact.id not in base.facts[other].conflicts_with and f"fact:{other}" not in salvaged:
                at(
                    key,
                    fact.id,
                    f"{other!r} should list {fact.id!r} in its `conflicts_with` too, "
                    "so both answers show the disagreement",
                    "conflicts_with",
                    i,
                )

    phrasing_owner: dict[str, str] = {}
    for qa in base.questions.values():
        key = f"question:{qa.id}"
        check_topic(key, qa.id, qa.topic)
        cited = qa.cited_facts()
        in_template = set(qa.template_refs())
        if not cited and f"question:{qa.id}" not in salvaged:
            at(
                key,
                qa.id,
                "the answer cites no fact: add `{fact-id}` to the answer or a `facts:` list",
                "answer",
            )
        for fid in cited:
            if not known("fact", fid, base.facts):
                field_path: FieldPath = ("answer",) if fid in in_template else ("facts", qa.facts.index(fid))
                at(key, qa.id, f"the answer refers to {fid!r}, which is not a known fact id", *field_path)
        for m in TEMPLATE_REF.finditer(qa.answer):
            used = base.facts.get(m.group(1))
            if used is None or f"fact:{m.group(1)}" in salvaged:
                continue
            if m.group(2) == "date" and used.when() is None:
                at(key, qa.id, f"the answer uses {{{m.group(1)}.date}} but that fact has no date", "answer")
            if m.group(2) in {None, "value"} and used.value is None:
                at(key, qa.id, f"the answer uses {{{m.group(1)}}} but that fact has no `value`", "answer")
        for i, text in enumerate(qa.phrasings()):
            # the model keeps every alternate (a blank one is an error), so i - 1 is the YAML index
            phrasing: FieldPath = ("question",) if i == 0 else ("alternates", i - 1)
            norm = normalize(text)
            if not norm:
                at(key, qa.id, f"the question {text!r} has no words in it", *phrasing)
                continue
            owner = phrasing_owner.get(norm)
            if owner is not None and owner != qa.id:
                at(
                    key,
                    qa.id,
                    f"the question {text!r} is also in entry {owner!r}: a question must lead to one answer",
                    *phrasing,
                )
            # the same entry repeating a phrasing is harmless
            phrasing_owner[norm] = qa.id

    for event in base.events:
        key = f"event:{event.id}"
        check_topic(key, event.id, event.topic)
        check_date(key, event.id, event.date, "date", "date")
        for i, fid in enumerate(event.facts):
            if not known("fact", fid, base.facts):
                at(key, event.id, f"`facts` names {fid!r}, which is not a known fact id", "facts", i)
        for i, sid in enumerate(event.sources):
            check_source(key, event.id, sid, "`sources`", "sources", i)

    # The engine compares stems: "governing" and "government" are the same word to it.
    stem_owner: dict[tuple[str, ...], tuple[str, str]] = {}
    for index, group in enumerate(base.synonyms):
        for j, term in enumerate(group):
            stems = tuple(stem(w) for w in normalize(term).split())
            if not stems:
                continue
            first = stem_owner.get(stems)
            if first is not None and first[1] != group[0]:
                same = "is" if normalize(first[0]) == normalize(term) else f"reads the same as {first[0]!r}"
                at(
                    f"synonyms:{index}",
                    None,
                    f"the synonym {term!r} {same} in the group {first[1]!r} (the engine compares word "
                    f"stems): a word can mean only one thing; keep it in one group",
                    j,
                )
            stem_owner.setdefault(stems, (term, group[0]))
    # A contrast value is one value of one kind: "lara" cannot be a state and a person at once.
    value_owner: dict[tuple[str, ...], tuple[str, str]] = {}
    for kind, values in base.contrasts.items():
        for j, spellings in enumerate(values):
            for spelling in spellings:
                stems = tuple(stem(w) for w in normalize(spelling).split())
                taken = value_owner.get(stems)
                if stems and taken is not None and taken != (kind, spellings[0]):
                    at(
                        f"contrasts:{kind}",
                        None,
                        f"the contrast value {spelling!r} is already the value {taken[1]!r} of the kind "
                        f"{taken[0]!r}: a word can be one value of one kind only",
                        j,
                    )
                if stems:
                    value_owner.setdefault(stems, (kind, spellings[0]))
    return problems


_ADJACENT = re.compile(r"\s*(\w+)")
"""A word after optional spaces, from where a placeholder ends (or, on reversed text, begins)."""
_EDGE = re.compile(r"\W*(\w+)")
"""The first word of a text (of reversed text: its last word, reversed), past quotes and signs."""


def doubled_words(base: KnowledgeBase, locate: Locate | None = None) -> list[Problem]:
    """Warnings for answers that repeat, next to a placeholder, the first or last word of what it
    inserts: "only {dec25-confirmed}" reads "only only 61 prisoners" when the value says "only".

    Each is placed by `locate` at the line of the answer (English, or its translation). Not an
    error: the base still loads, and `check` lists them with the other warnings.
    """
    out: list[Problem] = []
    for qa in base.questions.values():
        answers: list[tuple[str, str, FieldPath]] = [("en", qa.answer, ("answer",))]
        answers += [
            (lang, tr.answer, ("translations", lang, "answer"))
            for lang, tr in qa.translations.items()
            if tr.answer
        ]
        for language, template, path in answers:
            for m in TEMPLATE_REF.finditer(template):
                # reversed, the text before the placeholder starts with the word next to it
                before = _ADJACENT.match(template[max(m.start() - 64, 0) : m.start()][::-1])
                after = _ADJACENT.match(template, m.end())
                if before is None and after is None:
                    continue
                inserted = _inserted(base, m.group(1), m.group(2), language)
                first, last = _EDGE.match(inserted), _EDGE.match(inserted[::-1])
                for near, edge, starts in (
                    (before.group(1)[::-1] if before else "", first.group(1) if first else "", True),
                    (after.group(1) if after else "", last.group(1)[::-1] if last else "", False),
                ):
                    if not near or near.casefold() != edge.casefold():
                        continue
                    loc = (locate or _entry_location(base))(f"question:{qa.id}", path)
                    reads = f"{near} {inserted}" if starts else f"{inserted} {near}"
                    which = "answer" if language == "en" else f"{language} answer"
                    out.append(
                        Problem(
                            loc.file,
                            loc.line,
                            qa.id,
                            f"the {which} has {near!r} next to {m.group(0)}, whose text already "
                            f"{'starts' if starts else 'ends'} with it: it reads “{reads}” "
                            "(drop one of them)",
                        )
                    )
    return out


def _entry_location(base: KnowledgeBase) -> Locate:
    return lambda key, path: base.locations.get(key, Location("?", None))


def _inserted(base: KnowledgeBase, fid: str, part: str | None, language: str) -> str:
    """What a placeholder puts in the answer in `language` (as the engine fills it), '' if unknown."""
    fact = base.facts.get(fid)
    if fact is None:
        return ""
    if part == "date":
        when = fact.when()
        return when.label(language) if when else ""
    if part == "source":
        joiner = " y " if language == "es" else " and "
        return joiner.join(base.sources[a.source].name for a in fact.sources if a.source in base.sources)
    tr = fact.translations.get(language)
    return (tr.value if tr and tr.value else None) or fact.value or ""
