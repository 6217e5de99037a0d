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

import re
from dataclasses import replace
from typing import cast

from bot.engine.answer import Verdict, VerdictKind
from bot.engine.compose import fact_statement, fact_use, fact_value
from bot.engine.index import Index, IndexedEntry
from bot.engine.language import merged_map, merged_words, phrase_alternation
from bot.engine.lexicon import (
    MONTHS,
    STOPWORDS,
    TAG_QUESTION,
    YEAR,
    Analysis,
    Lexicon,
    is_month_token,
    is_statement,
)
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.model import Fact, Intent
from bot.locale import catalogue, text
from bot.text import normalize

RESTATED_SHARE = 0.5
"""A claim restates a fact when it has at least this share of the fact's value's words."""
AROUND_TOLERANCE = 0.1
"""'Around 2,400' supports a claim within 10% of 2,400; an exact figure supports only itself."""
HEDGES = frozenset({"around", "about", "approximately", "roughly", "nearly", "almost", "some"})


def judge(
    q: Analysis, entry: IndexedEntry, base: KnowledgeBase, index: Index, language: str = "en"
) -> Verdict | None:
    """The verdict on what the question asserts, or None when it asserts nothing the entry settles.

    A denied claim ("it is not true that 28 died", "the 87 were not freed on a Friday") is judged as
    the claim it denies, and the verdict turned: what the sources support, it contradicts.
    """
    verdict = _judge_asserted(q, entry, base, index, language)
    if (
        verdict is not None
        and verdict.kind != VerdictKind.CONTRADICTED
        and credits_another(q, entry, base, index)
    ):
        return None  # "Foro Penal says 28 died": the sources say AFP reports it, not Foro Penal
    if verdict is not None and verdict.kind == VerdictKind.SUPPORTED and verdict.fact_id in base.facts:
        # "all the people killed were fishermen": the sources say many of them were
        fact = base.facts[verdict.fact_id]
        if (whole := _UNIVERSAL.search(q.normalized)) and _PARTIAL.search(
            normalize(fact.value or fact.statement)
        ):
            return replace(verdict, kind=VerdictKind.CONTRADICTED, asserted=whole.group(0))
    if verdict is None or not _denies(q, verdict.asserted):
        return verdict
    if len(q.numbers) > 1:
        return None  # "they did not free 90, they freed 87": two claims, one denied; no verdict
    turned = {
        VerdictKind.SUPPORTED: VerdictKind.CONTRADICTED,
        VerdictKind.CONTRADICTED: VerdictKind.SUPPORTED,
    }
    if verdict.kind not in turned:
        return verdict  # a disagreement stays one, whichever side is denied
    if verdict.kind == VerdictKind.CONTRADICTED and _HEDGE_WORDS.search(q.normalized):
        return None  # "exactly 87, not one more": the denial is the hedge's, never a confirmation
    return replace(verdict, kind=turned[verdict.kind], asserted=_denied(verdict.asserted, language))


def _denies(q: Analysis, asserted: str) -> bool:
    """Whether the claim denies what it states: a denial word before the value it asserts ("it is
    not true that 28…", "did not confirm all 99"), not in a tag ("…, didn't they?") nor opening a
    negative question ("Weren't 28 killed?"), which ask for a confirmation."""
    text = _CONFIRMING.sub("", TAG_QUESTION.sub("", q.normalized)).strip()
    text = _NEGATIVE_QUESTION.sub("", text)
    words = [w for w in normalize(asserted).split() if w not in _HEDGE_KINDS_WORDS]
    found = [m.start() for w in words if (m := re.search(rf"\b{re.escape(w)}\b", text))]
    return bool(_DENIAL.search(text[: min(found)] if found else text))


def _denied(asserted: str, language: str) -> str:
    return f"{text(language, 'denied')} {asserted}" if asserted else ""


_UNIVERSAL = re.compile(rf"\b(?:{'|'.join(sorted(merged_words('universals')))})\b")
_PARTIAL = re.compile(rf"\b(?:{phrase_alternation('partials')})\b")
_DENIAL = re.compile(rf"\b(?:{'|'.join(sorted(merged_words('denials')))})\b")
_CONFIRMING = re.compile(r"\b(?:or not|no|verdad|cierto|right)\s*$")
"""Besides a tag question, what asks for a confirmation at a claim's end ("…, ¿no?", "…, right")."""
_NEGATIVE_QUESTION = re.compile(
    r"^(?:isnt|wasnt|werent|arent|didnt|doesnt|dont|hasnt|havent|hadnt|no es cierto que)\b"
)


def _judge_asserted(
    q: Analysis, entry: IndexedEntry, base: KnowledgeBase, index: Index, language: str
) -> Verdict | None:
    facts = [base.facts[f] for f in entry.qa.cited_facts()]
    lexicon = index.lexicon
    if not facts or not (q.checking or q.intent == Intent.YESNO or is_statement(q.normalized)):
        return None
    # A figure or a date the claim gets right confirms it only when it is what the entry answers:
    # "the jan 1 release was the first" names the right day and asserts something else.
    credited = _credited(q, lexicon)
    amounts = {f"{f.amount:g}" for f in facts if f.amount is not None}
    # "more than 2000 released": a figure the entry's facts hold, though it reads like a year
    figures = sorted(q.numbers | (q.years & amounts), key=float)
    # one figure: credited to the verbs before it ("Foro Penal confirmed the 99 the government
    # announced"); two ("99 announced, 61 confirmed") are each their own claim, read whole
    at = re.search(rf"\b{re.escape(figures[0])}\b", q.normalized) if len(figures) == 1 else None
    by_figure = _credited(q, lexicon, upto=at.start()) if at is not None else credited
    verdict = _judge_figures(q, figures, facts, base, lexicon, by_figure, language) if figures else None
    if verdict is not None and verdict.kind != VerdictKind.SUPPORTED:
        return verdict
    asserted_values = lexicon.values_named(q.terms)
    held = _fact_values(facts, entry, base, lexicon) if asserted_values else {}
    # "2,400 were detained by the army": the right figure, and a value the sources give otherwise
    if (
        wrong := _contradicted_value(q.normalized, asserted_values, held, entry, base, lexicon, language)
    ) is not None:
        return wrong
    # "87 detainees from the 2018 protests were freed": the right figure, of another year's events
    if (named_year := _wrong_naming_year(q, entry, facts, amounts)) is not None:
        return named_year
    # "28 died in 2019": the right figure, dated in a year none of the entry's facts is of
    dating = q.years - _naming_years(q.normalized)
    if verdict is not None and (undated := _wrong_event_year(dating - amounts, entry, facts)) is not None:
        return undated
    if verdict is not None and entry.answers_figure:
        return verdict
    if (narrowed := _narrowed(q, asserted_values, held, lexicon, language)) is not None:
        return narrowed
    side = _names_a_side(q, facts, base, index, language)
    months = any(is_month_token(t) for t in q.terms)
    if q.days or months or (entry.answers_date and dating):
        verdict = _judge_date(q, dating, facts, language)
        if verdict is not None and (verdict.kind != VerdictKind.SUPPORTED or entry.answers_date):
            # "González won the 2024 election": the right year, and a winner the sources dispute (of
            # that year: "Maduro has been president since 2013" is about another date)
            if side is not None and verdict.kind == VerdictKind.SUPPORTED and _of_the_years(side, q, base):
                return side
            return verdict
    # "freed in 2025": a year dating the claim that none of the entry's facts is of ("more than
    # 2000 released": a figure, not the year 2000)
    if (undated := _wrong_event_year(dating - amounts, entry, facts)) is not None:
        return undated
    if (restated := _restates(q, entry, facts, index)) is not None:
        return _attributed(restated, "", credited, base, lexicon, language)
    if side is not None:
        return side
    if asserted_values and (agreed := _agreed_value(q, entry, asserted_values, held)) is not None:
        fact, value = agreed
        verdict = _attributed(
            fact, _as_asserted(value, q.normalized, lexicon), credited, base, lexicon, language
        )
        if (
            verdict is not None
            and verdict.kind == VerdictKind.SUPPORTED
            and not _states(fact, value, lexicon)
        ):
            # only the answer names it ("released from the Tocorón prison"): show it as written there
            verdict = replace(verdict, sourced=_as_written(value, entry.qa.answer, lexicon))
        return verdict
    return None


def only_said_by(q: Analysis, entry: IndexedEntry, base: KnowledgeBase, index: Index) -> str | None:
    """Who alone says what a claim asserts as so, when the entry's facts are only that source's word
    (`alleged`) and the claim does not credit it; else None. "Oil money funds narco-terrorism":
    the sources report that Trump says so, which neither confirms nor refutes it."""
    lexicon = index.lexicon
    credited = _credited(q, lexicon)
    for fid in entry.qa.cited_facts():
        fact = base.facts[fid]
        if fact.alleged and not credited & _claimant_terms(fact, base, lexicon):
            return ", ".join(base.sources[a.source].name for a in fact.sources)
    return None


def credits_another(q: Analysis, entry: IndexedEntry, base: KnowledgeBase, index: Index) -> str | None:
    """Who the sources credit the entry's facts to, when the claim credits them to another of the
    base's sources ("Foro Penal says 28 died" where AFP reports it); else None.

    A source named in the entry's own questions is its topic, not a credit ("what did Foro Penal
    confirm?"); the publications a fact reached us through count as its sources ("TASR reports…").
    """
    credited = index.sources_named(_credited(q, index.lexicon) - entry.question_terms)
    facts = [base.facts[f] for f in entry.qa.cited_facts()]
    if not credited or not facts:
        return None
    chain: set[str] = set()
    for fact in facts:
        chain |= _chain(fact)
        for rival in fact.conflicts_with:
            chain |= _chain(base.facts[rival])
    if credited & chain:
        return None
    names = dict.fromkeys(base.sources[a.source].name for f in facts for a in f.sources)
    return ", ".join(names)


def _chain(fact: Fact) -> set[str]:
    """The sources a fact is credited to, and the publications it reached us through."""
    return {s for a in fact.sources for s in (a.source, *a.via)}


def _of_the_years(verdict: Verdict, q: Analysis, base: KnowledgeBase) -> bool:
    """Whether the verdict's fact is of a year the claim names (or the claim names none)."""
    when = base.facts[verdict.fact_id].when() if verdict.fact_id in base.facts else None
    return not q.years or (when is not None and str(when.year) in q.years)


def _names_a_side(
    q: Analysis, facts: list[Fact], base: KnowledgeBase, index: Index, language: str
) -> Verdict | None:
    """ "Maduro won the 2024 election": a claim naming a side of a disagreement among the sources
    is disputed, and every side is shown."""
    named = set(q.terms) & index.entity_terms
    for fact in facts:
        values = [fact, *(base.facts[o] for o in fact.conflicts_with)]
        # a disagreement over a figure is judged only by a claim that states a figure
        if (
            fact.conflicts_with
            and fact.amount is None
            and any(named & _value_terms(v, index.lexicon) for v in values)
        ):
            return _disputed(fact, base, "", language)
    return None


def _fact_values(
    facts: list[Fact], entry: IndexedEntry, base: KnowledgeBase, lexicon: Lexicon
) -> dict[str, list[tuple[Fact, str]]]:
    """Contrast kind → (fact, value) for each value of it the facts state or are said by, those
    whose own value names it first (they are what to show); then those only the entry's answer
    names, credited to its first fact (the answer is written from its facts)."""
    out: dict[str, list[tuple[Fact, str, int]]] = {}
    # the other side of a disagreement is what the sources say too: "González won" is disputed,
    # never contradicted by the published results alone
    rivals = [base.facts[o] for f in facts for o in f.conflicts_with if base.facts[o] not in facts]
    for fact in [*facts, *rivals]:
        names = [base.sources[a.source].name for a in fact.sources]
        text = " ".join([fact.statement, fact.value or "", *names])
        own = set(lexicon.base_terms(fact.value or ""))
        for kind, values in lexicon.values_named(lexicon.base_terms(text)).items():
            out.setdefault(kind, []).extend((fact, v, 0 if v in own else 1) for v in sorted(values))
    for kind, values in lexicon.values_named(lexicon.base_terms(entry.qa.answer)).items():
        known = {v for _, v, _ in out.get(kind, [])}
        out.setdefault(kind, []).extend((facts[0], v, 2) for v in sorted(values - known))
    return {k: [(f, v) for f, v, _ in sorted(found, key=lambda x: x[2])] for k, found in out.items()}


def _contradicted_value(
    q_text: str,
    named: dict[str, frozenset[str]],
    held: dict[str, list[tuple[Fact, str]]],
    entry: IndexedEntry,
    base: KnowledgeBase,
    lexicon: Lexicon,
    language: str,
) -> Verdict | None:
    """A claim naming only values of a kind the facts name none of: "freed from El Helicoide" where
    the sources say Tocorón. A claim naming the facts' value too ("Trump said Maduro…") is not."""
    for kind in sorted(named):
        facts = held.get(kind)
        if not facts or named[kind] & {v for _, v in facts}:
            continue
        asserted = " / ".join(_as_asserted(v, q_text, lexicon) for v in sorted(named[kind]))
        fact, value = facts[0]
        if value in lexicon.base_terms(fact.value or ""):
            sourced = fact_value(fact, language) or fact.value or ""  # "the state of Aragua"
        elif value in lexicon.base_terms(fact.statement):
            # "Thursday", "the police": the value as the statement writes it; the answer below has the rest
            sourced = _as_written(value, fact_statement(fact, language), lexicon)
        else:
            sourced = _as_written(value, entry.qa.answer, lexicon)  # "Tocorón", as the answer has it
        if fact.conflicts_with:
            # "Machado won": neither side says so; each side is shown with who says it
            sides = [
                fact_use(f, base, language) for f in (fact, *(base.facts[o] for o in fact.conflicts_with))
            ]
            sourced = " / ".join(f"{side.value} ({', '.join(side.claimants)})" for side in sides)
        return Verdict(VerdictKind.CONTRADICTED, asserted, sourced, fact.id)
    return None


def _states(fact: Fact, value: str, lexicon: Lexicon) -> bool:
    """Whether the fact's own value or statement names the contrast value."""
    text = f"{fact.value or ''} {fact.statement}"
    return value in lexicon.base_terms(text)


def _narrowed(
    q: Analysis,
    named: dict[str, frozenset[str]],
    held: dict[str, list[tuple[Fact, str]]],
    lexicon: Lexicon,
    language: str,
) -> Verdict | None:
    """ "Only in the Caribbean" where one fact names the Caribbean and the Pacific: a claim that
    narrows to part of what the sources name is contradicted by the whole."""
    if not _EXCLUSIVE.search(q.normalized):
        return None
    for kind in sorted(named):
        by_fact: dict[str, set[str]] = {}
        for fact, value in held.get(kind, []):
            by_fact.setdefault(fact.id, set()).add(value)
        for fid, values in by_fact.items():
            if named[kind] < values:
                fact = next(f for f, _ in held[kind] if f.id == fid)
                asserted = " / ".join(_as_asserted(v, q.normalized, lexicon) for v in sorted(named[kind]))
                return Verdict(VerdictKind.CONTRADICTED, asserted, fact_statement(fact, language), fact.id)
    return None


_EXCLUSIVE = re.compile(rf"\b(?:{'|'.join(sorted(merged_words('exclusives')))})\b")


def _as_asserted(value: str, normalized: str, lexicon: Lexicon) -> str:
    """A contrast value as the claim spells it ("caribe", "viernes"), else as the data names it."""
    for spelling in _longest_first(value, lexicon):
        if re.search(rf"\b{re.escape(normalize(spelling))}\b", normalized):
            return spelling
    return lexicon.value_names.get(value, value)


def _as_written(value: str, text: str, lexicon: Lexicon) -> str:
    """A contrast value as `text` writes it ("Tocorón"), else as the contrast data names it."""
    for spelling in _longest_first(value, lexicon):
        if m := re.search(rf"\b{re.escape(spelling)}\b", text, re.IGNORECASE):
            return m.group(0)
    return lexicon.value_names.get(value, value)


def _longest_first(value: str, lexicon: Lexicon) -> list[str]:
    """A value's spellings, the longest first ("el helicoide" before "helicoide")."""
    return sorted(lexicon.value_spellings.get(value, ()), key=len, reverse=True)


def _agreed_value(
    q: Analysis,
    entry: IndexedEntry,
    named: dict[str, frozenset[str]],
    held: dict[str, list[tuple[Fact, str]]],
) -> tuple[Fact, str] | None:
    """The fact and value a claim gets right, when it asserts nothing else: every value it names is
    the facts' own, and every other word of it is the entry's, with no negation ("so the 87 got out
    of Tocorón, yeah?"). "The US seized a tanker" names the right cargo and asserts a seizure the
    sources never mention: nothing is confirmed."""
    if q.unknown or q.common or _NEGATION.search(q.normalized):
        return None
    claim = {t for t in q.terms if not t.startswith(("date", "month"))}
    if not claim <= entry.question_terms | entry.answer_terms | q.numbers:
        return None
    agreed: tuple[Fact, str] | None = None
    for kind in sorted(named):
        matches = [(f, v) for f, v in held.get(kind, []) if v in named[kind]]
        if not matches:
            return None  # a value of a kind the facts do not settle
        agreed = agreed or matches[0]
    return agreed


def _event_fact(facts: list[Fact], entry: IndexedEntry) -> Fact | None:
    """The entry's own dated fact (of its topic), whose year a claim can contradict."""
    topic = entry.qa.topic
    for fact in facts:
        when = fact.when()
        if when is not None and (topic is None or fact.topic == topic):
            return fact
    return None


def _judge_figures(
    q: Analysis,
    figures: list[str],
    facts: list[Fact],
    base: KnowledgeBase,
    lexicon: Lexicon,
    credited: set[str],
    language: str,
) -> Verdict | None:
    counted = [f for f in facts if f.amount is not None]
    if not counted:
        return None
    everything = counted + [base.facts[o] for f in counted for o in f.conflicts_with]
    for figure in figures:
        matching = [f for f in everything if _agrees(float(figure), f)]
        if not matching:
            continue
        if _hedges_clash(_claimed_hedge(q.normalized, figure), matching[0]):
            # "exactly 87" where the sources say "at least 87"; "fewer than 700" against "more than 700"
            claimed = f"{_claimed_hedge_words(q.normalized, figure)} {figure}".strip()
            return _verdict(VerdictKind.CONTRADICTED, claimed, matching[0], base, language)
        return _attributed(matching[0], figure, credited, base, lexicon, language)
    return _verdict(VerdictKind.CONTRADICTED, figures[0], counted[0], base, language)


_CLAIM_HEDGES = cast(dict[str, str], merged_map("figure_qualifiers"))
_HEDGE_ALT = "|".join(sorted((re.escape(normalize(h)) for h in _CLAIM_HEDGES), key=len, reverse=True))
_HEDGE_KIND = {normalize(h): kind for h, kind in _CLAIM_HEDGES.items()}
_HEDGE_WORDS = re.compile(rf"\b(?:{_HEDGE_ALT})\b")
_HEDGE_KINDS_WORDS = frozenset(w for h in _HEDGE_KIND for w in h.split())
SOURCE_LOWER_BOUNDS = frozenset({"at least", "more than", "over", "al menos", "mas de"})
"""A source's hedges that make its figure a floor: the true number may be higher."""


def _claimed_hedge_words(normalized: str, figure: str) -> str:
    m = re.search(rf"\b({_HEDGE_ALT}) (?:the )?{re.escape(figure)}\b", normalized) or re.search(
        rf"\b{re.escape(figure)}\b.{{0,40}}\b({_HEDGE_ALT})\b", normalized
    )
    return m.group(1) if m else ""


def _claimed_hedge(normalized: str, figure: str) -> str | None:
    """How the claim hedges a figure it states: exact, below, at_most or above; None when plain."""
    words = _claimed_hedge_words(normalized, figure)
    return _HEDGE_KIND.get(words) if words else None


def _hedges_clash(claimed: str | None, fact: Fact) -> bool:
    """A claimed hedge the source's own rules out: "exactly" or "at most" against a floor or an
    estimate, "fewer than" against a floor."""
    qualifier = (fact.qualifier or "").casefold()
    floor = qualifier in SOURCE_LOWER_BOUNDS
    estimate = qualifier in HEDGES
    if claimed in ("exact", "at_most"):
        return floor or estimate
    if claimed == "below":
        return floor
    return False


def _attributed(
    fact: Fact, asserted: str, credited: set[str], base: KnowledgeBase, lexicon: Lexicon, language: str
) -> Verdict | None:
    """The verdict on a claim that states what `fact` says.

    Where the sources disagree: "Foro Penal could confirm only 61" credits the figure to the one
    who gave it, which is so; "Foro Penal confirmed all 99" credits it to someone who gave another,
    which is not. Crediting nobody, the claim is disputed. A fact the sources report only as its
    source's word (`alleged`) settles nothing for a claim that does not credit that source.
    """
    rivals = [base.facts[o] for o in fact.conflicts_with]
    if fact.alleged and not credited & _claimant_terms(fact, base, lexicon):
        return None  # "oil money funds narco-terrorism": the sources only say that Trump says so
    if not rivals or credited & _claimant_terms(fact, base, lexicon):
        return _verdict(VerdictKind.SUPPORTED, asserted, fact, base, language)
    for rival in rivals:
        if credited & _claimant_terms(rival, base, lexicon):
            return _verdict(VerdictKind.CONTRADICTED, asserted, rival, base, language)
    return _disputed(fact, base, asserted, language)


def _wrong_event_year(
    years: set[str] | frozenset[str], entry: IndexedEntry, facts: list[Fact]
) -> Verdict | None:
    """A claim dated in a year none of the entry's events is of: contradicted, with the year they are of."""
    if not years or years & entry.event_years or (dated := _event_fact(facts, entry)) is None:
        return None
    when = dated.when()
    assert when is not None
    return Verdict(VerdictKind.CONTRADICTED, " ".join(sorted(years)), str(when.year), dated.id)


def _wrong_naming_year(
    q: Analysis, entry: IndexedEntry, facts: list[Fact], amounts: set[str]
) -> Verdict | None:
    """A claim naming an event by a year the entry never gives it ("the 2018 protests" where the
    entry's protests are of 2024): contradicted, with the year the entry names its events by."""
    wrong = _naming_years(q.normalized) - amounts - entry.years - entry.event_years
    dated = _event_fact(facts, entry)
    if not wrong or dated is None:
        return None
    texts = [entry.qa.answer, *(f.statement for f in facts)]
    own = sorted(set().union(*(_naming_years(normalize(t)) for t in texts)))
    when = dated.when()
    assert when is not None
    return Verdict(
        VerdictKind.CONTRADICTED, " ".join(sorted(wrong)), " / ".join(own) or str(when.year), dated.id
    )


def _naming_years(normalized: str) -> set[str]:
    """Years that name something rather than date the claim: "the 2024 election", "2018 protests"
    (a year before a content word), "las protestas de 2017" (a year after "de" and a noun). "July
    2024", "since 2013", "1 de enero de 2026" date; chatter after a year ("2013 vale") names nothing."""
    words = normalized.split()
    out = set()
    for i, w in enumerate(words):
        if not YEAR.fullmatch(w) or _dates(words[max(i - 2, 0) : i]):
            continue
        after = words[i + 1] if i + 1 < len(words) else ""
        before_of = words[i - 2] if i >= 2 and words[i - 1] in _OF else ""
        if _names_by(after) or (_names_by(before_of) and before_of not in MONTHS):
            out.add(w)
    return out


def _dates(before: list[str]) -> bool:
    """Whether the words before a year make it a date: "in 2024", "january 1 2025", "enero de
    2025", "desde el 2013" (Spanish puts an article before a year; English "in the 2019 protests"
    names the protests)."""
    if not before:
        return False
    last = before[-1]
    if last in _DATING or last.isdigit():
        return True
    return len(before) == 2 and before[0] in _DATING and last in {"el", *_OF}


def _names_by(word: str) -> bool:
    return word.isalpha() and word not in STOPWORDS and word not in _CHATTER


_CHATTER = merged_words("chatter")
_OF = frozenset({"of", "de", "del"})
_DATING = frozenset(MONTHS) | {"in", "since", "during", "by", "until", "en", "desde", "durante", "hasta"}
"""Words just before a year that make it the claim's date ("in 2024", "July 2024", "desde 2013")."""


def _judge_date(
    q: Analysis, years: set[str] | frozenset[str], facts: list[Fact], language: str
) -> Verdict | None:
    """The verdict on the date a claim asserts: its day, month and the `years` that date it."""
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
        (years and str(when.year) not in years)
        or (asserted_days and day_token is not None and day_token not in asserted_days)
        or (asserted_months and month_token is not None and month_token not in asserted_months)
    )
    asserted = " ".join(sorted(set(years) | asserted_days | asserted_months))
    kind = VerdictKind.CONTRADICTED if wrong else VerdictKind.SUPPORTED
    return Verdict(kind, _readable(asserted, language), when.label(language), fact.id)


def _agrees(claimed: float, fact: Fact) -> bool:
    assert fact.amount is not None
    if (fact.qualifier or "").casefold() in HEDGES:
        return abs(claimed - fact.amount) <= AROUND_TOLERANCE * fact.amount
    return claimed == fact.amount


def _claimant_terms(fact: Fact, base: KnowledgeBase, lexicon: Lexicon) -> set[str]:
    names = " ".join(base.sources[a.source].name for a in fact.sources)
    return set(lexicon.base_terms(names))


def _restates(q: Analysis, entry: IndexedEntry, facts: list[Fact], index: Index) -> Fact | None:
    """The fact a claim restates in words ("tocoron is in aragua state"), or None.

    Every word of the claim must be the entry's own, with no word the base does not know and no
    negation, and the claim must state most of a cited fact's value, naming what it names.
    """
    if q.unknown or _NEGATION.search(q.normalized):
        return None
    claim = {t for t in q.terms if not t[0].isdigit() and not t.startswith(("date", "month"))}
    if not claim or not claim <= entry.question_terms | entry.answer_terms:
        return None
    for fact in facts:
        if fact.amount is not None:
            continue  # a figure is restated only with its figure, which the figure check judges
        value = _value_terms(fact, index.lexicon)
        names = value & index.entity_terms
        shared = value & claim
        if value and len(shared) >= RESTATED_SHARE * len(value) and (not names or names & claim):
            return fact
    return None


_NEGATION = re.compile(rf"\b(?:{'|'.join(sorted(merged_words('negations')))})\b")


def _credited(q: Analysis, lexicon: Lexicon, upto: int | None = None) -> set[str]:
    """Who the claim says said it: "Foro Penal could only confirm 61", "according to the government",
    "our copy says Foro Penal confirmed…" (each saying verb credits the words just before it).

    With `upto` (where the claim's figure is), only the verbs before it: in "Foro Penal confirmed the
    99 releases the government announced", the 99 is credited to Foro Penal, not the government."""
    said: set[str] = set()
    start = 0
    for m in _SAYS.finditer(q.normalized):
        if upto is not None and m.start() > upto:
            break
        before = q.normalized[start : m.start()].split()[-SPEAKER_WORDS:]
        said |= set(lexicon.analyse(" ".join(before), intent=False).terms)
        start = m.end()
    for m in _SAID_BY.finditer(q.normalized):  # "confirmed by Foro Penal", "anunciado por el gobierno"
        said |= set(lexicon.analyse(" ".join(m.group(1).split()[:SPEAKER_WORDS]), intent=False).terms)
    return said | set(q.speakers)


_SAID_BY = re.compile(
    r"\b(?:confirmed|announced|reported|said|verified|claimed|confirmad[oa]s?|anunciad[oa]s?|informad[oa]s?)"
    r" (?:by|por) ((?:\w+\s*){1,6})"
)
SPEAKER_WORDS = 6
"""Words before a saying verb that may name who says it ("the mothers committee for the defense")."""
_SAYS = re.compile(rf"\b(?:{phrase_alternation('report_verbs', 'credit_verbs')})\b")
"""A verb crediting its subject with what follows (`report_verbs`, `credit_verbs` in the language data)."""


def _value_terms(fact: Fact, lexicon: Lexicon) -> set[str]:
    """The terms of what a fact asserts ("Nicolás Maduro"), without its figures."""
    return {t for t in lexicon.base_terms(fact.value or "") if not t[0].isdigit()}


def _verdict(kind: VerdictKind, asserted: str, fact: Fact, base: KnowledgeBase, language: str) -> Verdict:
    sourced = fact_value(fact, language) or fact_statement(fact, language)
    return Verdict(kind, _readable(asserted, language), sourced, fact.id)


def _disputed(fact: Fact, base: KnowledgeBase, asserted: str, language: str) -> Verdict:
    sides = (
        fact_use(fact, base, language),
        *(fact_use(base.facts[o], base, language) for o in fact.conflicts_with),
    )
    sourced = fact_value(fact, language) or fact_statement(fact, language)
    return Verdict(VerdictKind.DISPUTED, _readable(asserted, language), sourced, fact.id, sides)


def _readable(asserted: str, language: str) -> str:
    """Date tokens back into words for the reader ("date1224" → "24 December", "24 de diciembre")."""
    months = catalogue(language).months
    words = []
    for token in asserted.split():
        if token.startswith("date") and token[4:].isdigit() and len(token) == 8:
            month = months[int(token[4:6]) - 1]
            words.append(f"{int(token[6:])} de {month}" if language == "es" else f"{int(token[6:])} {month}")
        elif is_month_token(token):
            words.append(months[int(token[5:]) - 1])
        else:
            words.append(token)
    return " ".join(words)
