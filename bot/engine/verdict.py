"""Fact-check mode: what a claim asserts, set against what the sources say.

A question that checks a claim ("so 90 got out, yeah?", "Maduro has been president since 2013")
or a statement of a figure gets a verdict on top of its answer:

- **supported**: the asserted figure or date is the sourced one. Qualifiers decide: "87 were
  released" is supported by "at least 87", "about 2,400" by "around 2,400".
- **contradicted**: the claim asserts a figure or date the sources give otherwise, about the same
  thing; or it credits a figure to a claimant who said another one.
- **disputed**: the sources themselves disagree (`conflicts_with` in the base); every side is shown.

Nothing here confirms a claim that asserts no figure or date the base holds: with nothing to
compare, there is no verdict, only the sourced answer. Confirming a false claim is the worst failure.
"""

from __future__ import annotations

from bot.engine.answer import Verdict, VerdictKind
from bot.engine.compose import fact_use
from bot.engine.index import IndexedEntry
from bot.engine.lexicon import Analysis, Lexicon, is_month_token
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.model import Fact

AROUND_TOLERANCE = 0.1
"""'Around 2,400' supports a claim within 10% of 2,400; an exact figure supports only itself."""
HEDGES = frozenset({"around", "about", "approximately", "roughly", "nearly", "almost", "some"})


def judge(q: Analysis, entry: IndexedEntry, base: KnowledgeBase, lexicon: Lexicon) -> Verdict | None:
    """The verdict on what the question asserts, or None when it asserts nothing the entry settles."""
    facts = [base.facts[f] for f in entry.qa.cited_facts()]
    if not facts or not (q.checking or q.intent is not None and q.intent.value == "yesno"):
        return None
    figures = sorted(q.numbers, key=float)
    if figures:
        return _judge_figures(q, figures, facts, base, lexicon)
    if entry.answers_date and (q.days or q.years or any(is_month_token(t) for t in q.terms)):
        return _judge_date(q, facts)
    disputed = [f for f in facts if f.conflicts_with]
    if disputed:
        return _disputed(disputed[0], base, asserted="")
    return None


def _judge_figures(
    q: Analysis, figures: list[str], facts: list[Fact], base: KnowledgeBase, lexicon: Lexicon
) -> Verdict | None:
    counted = [f for f in facts if f.amount is not None]
    if not counted:
        return None
    everything = counted + [base.facts[o] for f in counted for o in f.conflicts_with]
    named = set(q.terms)
    for figure in figures:
        matching = [f for f in everything if _agrees(float(figure), f)]
        if not matching:
            continue
        fact = matching[0]
        rivals = [base.facts[o] for o in fact.conflicts_with]
        # "Foro Penal confirmed all 99": the claimant of the other figure is named as saying this one
        for rival in rivals:
            if named & _claimant_terms(rival, base, lexicon) and not named & _claimant_terms(fact, base, lexicon):
                return _verdict(VerdictKind.CONTRADICTED, figure, rival, base)
        if rivals:
            return _disputed(fact, base, asserted=figure)
        return _verdict(VerdictKind.SUPPORTED, figure, fact, base)
    return _verdict(VerdictKind.CONTRADICTED, figures[0], counted[0], base)


def _judge_date(q: Analysis, facts: list[Fact]) -> Verdict | None:
    dated = [f for f in facts if f.when() is not None]
    if not dated:
        return None
    fact = dated[0]
    when = fact.when()
    assert when is not None
    asserted_days = {t for t in q.days}
    asserted_months = {t for t in q.terms if is_month_token(t)}
    day_token = f"date{when.month:02d}{when.day:02d}" if when.day else None
    month_token = f"month{when.month:02d}" if when.month else None
    wrong = (
        (q.years and str(when.year) not in q.years)
        or (asserted_days and day_token is not None and day_token not in asserted_days)
        or (asserted_months and month_token is not None and month_token not in asserted_months)
    )
    asserted = " ".join(sorted(q.years | asserted_days | asserted_months))
    kind = VerdictKind.CONTRADICTED if wrong else VerdictKind.SUPPORTED
    value = when.label()
    return Verdict(kind, _readable(asserted), value, fact.id)


def _agrees(claimed: float, fact: Fact) -> bool:
    assert fact.amount is not None
    if (fact.qualifier or "").casefold() in HEDGES:
        return abs(claimed - fact.amount) <= AROUND_TOLERANCE * fact.amount
    return claimed == fact.amount


def _claimant_terms(fact: Fact, base: KnowledgeBase, lexicon: Lexicon) -> set[str]:
    names = " ".join(base.sources[a.source].name for a in fact.sources)
    return set(lexicon.analyse(names, intent=False).terms)


def _verdict(kind: VerdictKind, asserted: str, fact: Fact, base: KnowledgeBase) -> Verdict:
    return Verdict(kind, _readable(asserted), fact.value or fact.statement, fact.id)


def _disputed(fact: Fact, base: KnowledgeBase, asserted: str) -> Verdict:
    sides = (fact_use(fact, base), *(fact_use(base.facts[o], base) for o in fact.conflicts_with))
    return Verdict(VerdictKind.DISPUTED, _readable(asserted), fact.value or fact.statement, fact.id, sides)


def _readable(asserted: str) -> str:
    """Date tokens back into words for the reader ("date1224" → "24 December")."""
    words = []
    for token in asserted.split():
        if token.startswith("date") and token[4:].isdigit() and len(token) == 8:
            words.append(f"{int(token[6:])} {_MONTH_NAMES[int(token[4:6]) - 1]}")
        elif is_month_token(token):
            words.append(_MONTH_NAMES[int(token[5:]) - 1])
        else:
            words.append(token)
    return " ".join(words)


_MONTH_NAMES = (
    "January February March April May June July August September October November December".split()
)
