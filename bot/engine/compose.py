"""Building the answer people read: the entry's template filled from facts, then its sources."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.engine.answer import Answer, Citation, FactUse, Suggestion, Verdict, VerdictKind
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.model import QA, TEMPLATE_REF, Attribution, Fact


def render_template(qa: QA, base: KnowledgeBase) -> str:
    """Fill `{fact-id}` with the fact's value as phrased, `{fact-id.date}` its date, `.source` who says so."""

    def fill(match: object) -> str:
        m = match  # re.Match, typed loosely to keep the lambda-free signature short
        fid, part = m.group(1), m.group(2)  # type: ignore[attr-defined]
        fact = base.facts[fid]
        if part == "date":
            when = fact.when()
            return when.label() if when else ""
        if part == "source":
            return " and ".join(base.sources[a.source].name for a in fact.sources)
        return fact.value or ""

    return TEMPLATE_REF.sub(fill, qa.answer)


def citation(attribution: Attribution, fact: Fact, base: KnowledgeBase) -> Citation:
    """Who said a fact, when, and the chain it reached us through."""
    source = base.sources[attribution.source]
    chain = [base.sources[v] for v in attribution.via]
    date = attribution.said_on
    reported = date is None
    if date is None:  # fall back to the date of the report that carried it
        date = next((c.published for c in reversed(chain) if c.published), None) or source.published
    return Citation(
        source=source.name,
        kind=source.kind.label,
        date=date.iso() if date else "",
        date_label=date.label() if date else "",
        via=tuple(c.name for c in chain),
        medium=attribution.medium or "",
        url=source.url,
        reported=reported and date is not None,
    )


def citations_for(fact_ids: list[str], base: KnowledgeBase) -> tuple[Citation, ...]:
    """Distinct citations of the given facts, in order."""
    seen: dict[tuple[str, str, tuple[str, ...]], Citation] = {}
    for fid in fact_ids:
        fact = base.facts[fid]
        for attribution in fact.sources:
            c = citation(attribution, fact, base)
            seen.setdefault((c.source, c.date, c.via), c)
    return tuple(seen.values())


def fact_use(fact: Fact, base: KnowledgeBase) -> FactUse:
    """A fact as an answer shows it."""
    when = fact.when()
    return FactUse(
        id=fact.id,
        value=fact.value or fact.statement,
        date=when.iso() if when else "",
        date_label=(when.label() if when else "") + (f" ({fact.date_note})" if fact.date_note else ""),
        claimants=tuple(base.sources[a.source].name for a in fact.sources),
    )


def disagreements(fact_ids: list[str], base: KnowledgeBase) -> list[str]:
    """Sentences for figures that other sources dispute and the answer does not already show."""
    shown = set(fact_ids)
    lines = []
    for fid in fact_ids:
        for other in base.facts[fid].conflicts_with:
            if other not in shown:
                shown.add(other)
                o = base.facts[other]
                who = " and ".join(base.sources[a.source].name for a in o.sources)
                lines.append(f"Not everyone agrees: {who} says: {o.statement}")
    return lines


SOURCE_LINE = re.compile(r"^Sources?: ")
"""How the line `source_line` writes begins: front ends that show sources apart drop it."""


def without_sources(text: str) -> str:
    """An answer's text without its sources line."""
    return "\n".join(ln for ln in text.splitlines() if not SOURCE_LINE.match(ln)).strip()


def source_line(citations: tuple[Citation, ...]) -> str:
    """'Source: Foro Penal (human-rights group), via AFP → TASR, 1 January 2026.'"""
    if not citations:
        return ""
    parts = [c.chain_text() for c in citations]
    label = "Source" if len(parts) == 1 else "Sources"
    return f"{label}: " + "; ".join(parts) + "."


def entry_answer(qa: QA, base: KnowledgeBase) -> Answer:
    """An entry's answer, the same for every question that reaches it (the engine caches it)."""
    fact_ids = qa.cited_facts()
    citations = citations_for(fact_ids, base)
    body = render_template(qa, base)
    body = body[:1].upper() + body[1:]  # a sentence may open with a value: "at least 87 people"
    extra = disagreements(fact_ids, base)
    shown = "\n".join([body, *extra]).strip()
    text = "\n".join([shown, source_line(citations)]).strip()
    return Answer(
        question=qa.question,
        answered=True,
        text=text,
        body=shown,
        confidence=1.0,
        entry_id=qa.id,
        entry_question=qa.question,
        facts=tuple(fact_use(base.facts[f], base) for f in fact_ids),
        citations=citations,
    )


def decline(question: str, scope: str, confidence: float, suggestions: tuple[Suggestion, ...]) -> Answer:
    """An honest 'I don't know', saying what the bot can answer."""
    body = (
        "I can't answer that from my sources, and I'd rather not guess. "
        f"I can answer questions about {scope}."
    )
    text = body + " Try /timeline for the story in dates."
    if suggestions:
        text += "\nDid you mean: " + " · ".join(s.question for s in suggestions) + "?"
    return Answer(
        question=question,
        answered=False,
        text=text,
        body=body,
        confidence=confidence,
        suggestions=suggestions,
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
        text="\n".join([*bodies, source_line(citations)]).strip(),
        body="\n".join(bodies).strip(),
        confidence=min(a.confidence for a in unique),
        entry_id=unique[0].entry_id,
        entry_question=" / ".join(a.entry_question or "" for a in unique),
        facts=facts,
        citations=citations,
        low_confidence=any(a.low_confidence for a in unique),
    )


def verdict_line(verdict: Verdict) -> str:
    """The first line of a checked claim's answer, in words."""
    if verdict.kind == VerdictKind.SUPPORTED:
        return f"Supported: the sources say {verdict.sourced}."
    if verdict.kind == VerdictKind.CONTRADICTED:
        said = f"The claim says {verdict.asserted}; " if verdict.asserted else ""
        return f"Contradicted: {said}the sources say {verdict.sourced}."
    sides = "; ".join(f"{' and '.join(side.claimants)}: {side.value}" for side in verdict.sides)
    return f"Disputed: the sources disagree. {sides}."


def with_verdict(answer: Answer, verdict: Verdict | None) -> Answer:
    """The answer, led by the verdict on the claim it checks."""
    if verdict is None:
        return answer
    return replace(answer, verdict=verdict, text=verdict_line(verdict) + "\n" + answer.text)
