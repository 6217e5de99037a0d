"""Building the answer people read: the entry's template filled from facts, then its sources."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.engine.answer import Answer, Citation, FactUse, Suggestion, Verdict, VerdictKind
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.model import QA, TEMPLATE_REF, Attribution, Fact
from bot.locale import catalogue, kind_label, text


def fact_value(fact: Fact, language: str = "en") -> str:
    """A fact's value as phrased in `language` (English where it is not translated)."""
    tr = fact.translations.get(language)
    return (tr.value if tr and tr.value else None) or fact.value or ""


def fact_statement(fact: Fact, language: str = "en") -> str:
    """A fact's statement in `language` (English where it is not translated)."""
    tr = fact.translations.get(language)
    return (tr.statement if tr and tr.statement else None) or fact.statement


def is_translated(qa: QA, language: str) -> bool:
    """Whether an entry's answer can be given in `language`."""
    tr = qa.translations.get(language)
    return language == "en" or bool(tr and tr.answer)


def render_template(qa: QA, base: KnowledgeBase, language: str = "en") -> str:
    """Fill `{fact-id}` with the fact's value as phrased, `{fact-id.date}` its date, `.source` who says so,
    in `language` when the entry is translated into it."""
    tr = qa.translations.get(language)
    template = tr.answer if tr and tr.answer else qa.answer
    joiner = " y " if language == "es" else " and "

    def fill(match: object) -> str:
        m = match  # re.Match, typed loosely to keep the lambda-free signature short
        fid, part = m.group(1), m.group(2)  # type: ignore[attr-defined]
        fact = base.facts[fid]
        if part == "date":
            when = fact.when()
            return when.label(language) if when else ""
        if part == "source":
            return joiner.join(base.sources[a.source].name_in(language) for a in fact.sources)
        return fact_value(fact, language)

    return TEMPLATE_REF.sub(fill, template)


def citation(attribution: Attribution, fact: Fact, base: KnowledgeBase, language: str = "en") -> Citation:
    """Who said a fact, when, and the chain it reached us through."""
    source = base.sources[attribution.source]
    chain = [base.sources[v] for v in attribution.via]
    date = attribution.said_on
    reported = date is None
    if date is None:  # fall back to the date of the report that carried it
        date = next((c.published for c in reversed(chain) if c.published), None) or source.published
    return Citation(
        # a citation names the source as the source text does; the answer's own words translate it
        source=source.name,
        kind=kind_label(language, source.kind.value),
        date=date.iso() if date else "",
        date_label=date.label(language) if date else "",
        via=tuple(c.name for c in chain),
        # how it was said is the base's English words: left out of a translated answer
        medium=(attribution.medium or "") if language == "en" else "",
        url=source.url,
        reported=reported and date is not None,
        language=language,
    )


def citations_for(fact_ids: list[str], base: KnowledgeBase, language: str = "en") -> tuple[Citation, ...]:
    """Distinct citations of the given facts, in order."""
    seen: dict[tuple[str, str, tuple[str, ...]], Citation] = {}
    for fid in fact_ids:
        fact = base.facts[fid]
        for attribution in fact.sources:
            c = citation(attribution, fact, base, language)
            seen.setdefault((c.source, c.date, c.via), c)
    return tuple(seen.values())


def fact_use(fact: Fact, base: KnowledgeBase, language: str = "en") -> FactUse:
    """A fact as an answer shows it."""
    when = fact.when()
    note = f" ({fact.date_note})" if fact.date_note and language == "en" else ""
    return FactUse(
        id=fact.id,
        value=fact_value(fact, language) or fact_statement(fact, language),
        date=when.iso() if when else "",
        date_label=(when.label(language) if when else "") + note,
        claimants=tuple(base.sources[a.source].name_in(language) for a in fact.sources),
    )


def disagreements(fact_ids: list[str], base: KnowledgeBase, language: str = "en") -> list[str]:
    """Sentences for figures that other sources dispute and the answer does not already show."""
    shown = set(fact_ids)
    lines = []
    joiner = " y " if language == "es" else " and "
    for fid in fact_ids:
        for other in base.facts[fid].conflicts_with:
            if other not in shown:
                shown.add(other)
                o = base.facts[other]
                who = joiner.join(base.sources[a.source].name_in(language) for a in o.sources)
                lines.append(
                    text(language, "not_everyone_agrees", who=who, statement=fact_statement(o, language))
                )
    return lines


def source_line(citations: tuple[Citation, ...], language: str = "en") -> str:
    """'Source: Foro Penal (human-rights group), via AFP → TASR, 1 January 2026.'"""
    if not citations:
        return ""
    parts = [c.chain_text() for c in citations]
    label = text(language, "source" if len(parts) == 1 else "sources")
    return f"{label}: " + "; ".join(parts) + "."


def entry_answer(qa: QA, base: KnowledgeBase, language: str = "en") -> Answer:
    """An entry's answer in `language`, the same for every question that reaches it (the engine caches
    it). An entry not yet translated answers in English, with one line in `language` saying so."""
    translated = is_translated(qa, language)
    shown_in = language if translated else "en"
    fact_ids = qa.cited_facts()
    citations = citations_for(fact_ids, base, shown_in)
    body = render_template(qa, base, shown_in)
    body = body[:1].upper() + body[1:]  # a sentence may open with a value: "at least 87 people"
    extra = disagreements(fact_ids, base, shown_in)
    note = [] if translated else [text(language, "untranslated")]
    shown = "\n".join([*note, body, *extra]).strip()
    tr = qa.translations.get(shown_in)
    question = tr.question if tr and tr.question else qa.question
    return Answer(
        question=qa.question,
        answered=True,
        text="\n".join([shown, source_line(citations, shown_in)]).strip(),
        body=shown,
        confidence=1.0,
        entry_id=qa.id,
        entry_question=question,
        facts=tuple(fact_use(base.facts[f], base, shown_in) for f in fact_ids),
        citations=citations,
        language=shown_in,
        untranslated=not translated,
    )


def decline(
    question: str,
    scope: str,
    confidence: float,
    suggestions: tuple[Suggestion, ...],
    language: str = "en",
    *,
    unsettled: bool = False,
    said_by: str | None = None,
) -> Answer:
    """An honest 'I don't know', saying what the bot can answer; `unsettled`: a claim the sources
    do not settle, `said_by` the only one they report saying it."""
    if said_by:
        body = text(language, "decline_only_said_by", who=said_by, scope=scope)
    else:
        body = text(language, "decline_unsettled" if unsettled else "decline", scope=scope)
    full = body + " " + text(language, "timeline_hint")
    if suggestions:
        offered = text(language, "did_you_mean", suggestions=" · ".join(s.question for s in suggestions))
        # the suggestions are questions: the last one usually brings its own question mark
        full += "\n" + offered + ("" if offered.rstrip().endswith(("?", "？")) else "?")
    return Answer(
        question=question,
        answered=False,
        text=full,
        body=body,
        confidence=confidence,
        suggestions=suggestions,
        language=language,
    )


def combine(question: str, answers: list[Answer]) -> Answer:
    """One answer to a question in parts ("how many died and how many were detained?"): each part's
    text, then every source once. One entry answering both parts gives its answer once."""
    unique = list({a.entry_id: a for a in answers}.values())
    if len(unique) == 1:
        return replace(unique[0], question=question)
    bodies = [a.body for a in unique]
    citations = tuple(dict.fromkeys(c for a in unique for c in a.citations))
    facts = tuple({f.id: f for a in unique for f in a.facts}.values())
    return Answer(
        question=question,
        answered=True,
        text="\n".join([*bodies, source_line(citations, unique[0].language)]).strip(),
        body="\n".join(bodies).strip(),
        language=unique[0].language,
        confidence=min(a.confidence for a in unique),
        entry_id=unique[0].entry_id,
        entry_question=" / ".join(a.entry_question or "" for a in unique),
        facts=facts,
        citations=citations,
        low_confidence=any(a.low_confidence for a in unique),
    )


def verdict_line(verdict: Verdict, language: str = "en") -> str:
    """The first line of a checked claim's answer, in words."""
    if verdict.kind == VerdictKind.SUPPORTED:
        return text(language, "verdict_supported", sourced=verdict.sourced)
    if verdict.kind == VerdictKind.CONTRADICTED:
        claimed = text(language, "verdict_claimed", asserted=verdict.asserted) if verdict.asserted else ""
        return text(language, "verdict_contradicted", claimed=claimed, sourced=verdict.sourced)
    joiner = " y " if language == "es" else " and "
    sides = "; ".join(f"{joiner.join(side.claimants)}: {side.value}" for side in verdict.sides)
    return text(language, "verdict_disputed", sides=sides)


def with_verdict(answer: Answer, verdict: Verdict | None) -> Answer:
    """The answer, led by the verdict on the claim it checks."""
    if verdict is None:
        return answer
    line = verdict_line(verdict, answer.language)
    # "Yes: the strike was the first" under "Contradicted" would answer another question
    openers = catalogue(answer.language).answer_openers
    text = _without_opener(answer.text, openers)
    return replace(
        answer, verdict=verdict, text=line + "\n" + text, body=_without_opener(answer.body, openers)
    )


def _without_opener(text: str, openers: list[str]) -> str:
    """The text without a leading "Yes:" or "No." (then capitalised again)."""
    if not openers:
        return text
    m = re.match(rf"(?:{'|'.join(map(re.escape, openers))})\s*[:.,;—–-]\s+", text)
    if m is None:
        return text
    rest = text[m.end() :]
    return rest[:1].upper() + rest[1:]
