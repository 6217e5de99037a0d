"""Cross-checks between entries that no single-entry schema can see."""

from __future__ import annotations

from bot.knowledge.base import KnowledgeBase, Location
from bot.knowledge.dates import PartialDate
from bot.knowledge.model import TEMPLATE_REF
from bot.knowledge.problems import Problem
from bot.text import normalize, stem


def cross_check(base: KnowledgeBase) -> list[Problem]:
    """Every problem across entries: unknown references, answers citing nothing, repeated questions."""
    problems: list[Problem] = []

    def at(key: str, entry: str | None, message: str) -> None:
        loc = base.locations.get(key, Location("?", None))
        problems.append(Problem(loc.file, loc.line, entry, message))

    if not base.stories:
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
            at(key, story.id, f"the story id {story.id!r} is used twice")
        seen_story[story.id] = key
        for t in story.topics:
            if t.id in seen_topic:
                at(key, story.id, f"the topic id {t.id!r} is defined twice")
            seen_topic[t.id] = story.id

    def check_topic(key: str, entry: str, topic: str | None) -> None:
        if topic is not None and topic not in topics:
            at(key, entry, f"unknown topic {topic!r}; topics are {', '.join(topics) or 'none'}")

    def check_source(key: str, entry: str, sid: str, role: str) -> None:
        if sid not in base.sources:
            at(key, entry, f"{role} {sid!r} is not a known source id (add it under `sources:`)")

    def check_date(key: str, entry: str, date: PartialDate | None, what: str) -> None:
        if date is not None and as_of is not None and date.first_day() > as_of.last_day():
            at(key, entry, f"the {what} {date} is after the story's as-of date {as_of}")

    for source in base.sources.values():
        key = f"source:{source.id}"
        for via in source.via:
            check_source(key, source.id, via, "`via`")
        check_date(key, source.id, source.published, "publication date")

    for fact in base.facts.values():
        key = f"fact:{fact.id}"
        check_topic(key, fact.id, fact.topic)
        check_date(key, fact.id, fact.date, "date")
        check_date(key, fact.id, fact.as_of, "as-of date")
        for attribution in fact.sources:
            check_source(key, fact.id, attribution.source, "source")
            for via in attribution.via:
                check_source(key, fact.id, via, "`via`")
            check_date(key, fact.id, attribution.said_on, "`said_on` date")
        for other in fact.conflicts_with:
            if other == fact.id:
                at(key, fact.id, "a fact cannot conflict with itself")
            elif other not in base.facts:
                at(key, fact.id, f"`conflicts_with` names {other!r}, which is not a known fact id")
            elif fact.id not in base.facts[other].conflicts_with:
                at(
                    key,
                    fact.id,
                    f"{other!r} should list {fact.id!r} in its `conflicts_with` too, "
                    "so both answers show the disagreement",
                )

    phrasing_owner: dict[str, str] = {}
    for qa in base.questions.values():
        key = f"question:{qa.id}"
        check_topic(key, qa.id, qa.topic)
        cited = qa.cited_facts()
        if not cited:
            at(key, qa.id, "the answer cites no fact: add `{fact-id}` to the answer or a `facts:` list")
        for fid in cited:
            if fid not in base.facts:
                at(key, qa.id, f"the answer refers to {fid!r}, which is not a known fact id")
        for m in TEMPLATE_REF.finditer(qa.answer):
            used = base.facts.get(m.group(1))
            if used is not None and m.group(2) == "date" and used.when() is None:
                at(key, qa.id, f"the answer uses {{{m.group(1)}.date}} but that fact has no date")
            if used is not None and m.group(2) in {None, "value"} and used.value is None:
                at(key, qa.id, f"the answer uses {{{m.group(1)}}} but that fact has no `value`")
        for text in qa.phrasings():
            norm = normalize(text)
            if not norm:
                at(key, qa.id, f"the question {text!r} has no words in it")
                continue
            owner = phrasing_owner.get(norm)
            if owner is not None and owner != qa.id:
                at(
                    key,
                    qa.id,
                    f"the question {text!r} is also in entry {owner!r}: a question must lead to one answer",
                )
            elif owner == qa.id and text != qa.question:
                pass  # the same entry repeating a phrasing is harmless
            phrasing_owner[norm] = qa.id

    for event in base.events:
        key = f"event:{event.id}"
        check_topic(key, event.id, event.topic)
        check_date(key, event.id, event.date, "date")
        for fid in event.facts:
            if fid not in base.facts:
                at(key, event.id, f"`facts` names {fid!r}, which is not a known fact id")
        for sid in event.sources:
            check_source(key, event.id, sid, "`sources`")

    # The engine compares stems: "governing" and "government" are the same word to it.
    stem_owner: dict[tuple[str, ...], tuple[str, str]] = {}
    for index, group in enumerate(base.synonyms):
        for term in group:
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
                )
            stem_owner.setdefault(stems, (term, group[0]))
    return problems
