"""The search index over Q&A entries: terms per phrasing, term weights, and what each entry can vouch for."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from bot.engine.language import merged_contrasts
from bot.engine.lexicon import MONTH_TOKEN, MONTHS, YEAR, Lexicon, Reading, is_month_token
from bot.engine.places import PLACES
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.loader import gc_paused
from bot.knowledge.model import QA, Intent
from bot.text import normalize

_NUM = re.compile(r"\b\d+(?:\.\d+)?\b")
MIN_LANGUAGE_PHRASINGS = 4
"""An entry's phrasings in a language say what its key terms are in that language from this many."""
KEY_SHARE = 0.5
"""A term in at least this share of an entry's phrasings is one of its key terms."""
COMMON_TERM_SHARE = 0.75
"""A term in more than this share of all entries is never a key term."""
MIN_ENTRIES_FOR_COMMON = 8
"""Below this many entries, "most entries" says nothing: every term is in most of them."""


@dataclass(frozen=True, slots=True)
class Phrasing:
    """One way of asking an entry's question, reduced to terms."""

    text: str
    terms: frozenset[str]
    sorted_text: str
    """Terms sorted and joined, for rapidfuzz's character-level comparison."""
    intent: Intent | None = None
    """What this phrasing asks for; None when it does not say ("tell me about the dock strike")."""
    weight: float = 0.0
    """Sum of its terms' weights (set once the base's weights are known)."""


@dataclass(frozen=True, slots=True)
class IndexedEntry:
    """A Q&A entry as the matcher sees it."""

    qa: QA
    intent: Intent
    """What the canonical question asks for."""
    intents: frozenset[Intent]
    """What any of its phrasings asks for: the editors' word on which kinds of question it answers."""
    phrasings: tuple[Phrasing, ...]
    question_terms: frozenset[str]
    """Every term of every phrasing."""
    answer_terms: frozenset[str]
    """Terms of the answer and of the facts it cites: weaker evidence than the phrasings."""
    years: frozenset[str]
    days: frozenset[str]
    numbers: frozenset[str]
    full_dates: frozenset[tuple[str, str]]
    """(year, day) pairs of the day-precise facts the answer cites."""
    key_terms: dict[str, float]
    """Terms in at least half of the phrasings, with the share of phrasings that use them."""
    sorted_texts: tuple[str, ...]
    """Each phrasing's sorted terms, for rapidfuzz."""
    term_phrasings: dict[str, tuple[int, ...]]
    """Term → the phrasings (by position) that use it."""
    claimants: frozenset[str]
    """Terms of the names of those who say the cited facts."""
    counted: frozenset[str]
    """What its "how many" phrasings count ("people", "lives", "prisoners")."""
    event_years: frozenset[str]
    """Years its cited facts happened in or are as of."""
    months: frozenset[str]
    """Month tokens (`month07`) its phrasings, answer or cited facts' dates name."""
    phrasing_intents: frozenset[Intent]
    """The intents its phrasings ask, each phrasing's own."""
    gives: frozenset[str] = frozenset()
    """What its answer gives: the amounts of the facts it cites, else those facts' ids. Two entries
    that give the same are not rivals: either answer says the same."""
    answers_figure: bool = False
    """Its answer is a figure a source gave (it asks "how many" and cites an amount)."""
    answers_date: bool = False
    """Its answer is a date (it asks "when" or "since when" and cites a dated fact)."""
    figure_values: dict[str, frozenset[str]] = field(default_factory=dict)
    """Contrast kind → the values the statements of its counted facts name: what the figure is a
    total over ("the Caribbean and the Pacific")."""
    spanish_key_terms: dict[str, float] | None = None
    """The same among its Spanish phrasings, when it has enough of them to say: what a Spanish
    question must not leave out."""
    disputed_values: frozenset[str] = frozenset()
    """Contrast values of the facts its cited facts disagree with ("González" for the published
    results): values of the entry's kinds too."""
    values: dict[str, frozenset[str]] = field(default_factory=dict)
    """Contrast kind → the values of that kind its phrasings, answer and cited facts name
    ("state" → {"aragua"}): a claim naming another value of the kind is the one it corrects."""


class Index:
    """Entries with an inverted index from term to entry, and inverse-document-frequency weights."""

    def __init__(self, base: KnowledgeBase) -> None:
        # like the load: hundreds of thousands of objects (terms, sets, analyses) and no cycles to free
        with gc_paused():
            self._build(base)

    def _build(self, base: KnowledgeBase) -> None:
        self.lexicon = Lexicon.build(base.synonyms, merged_contrasts(base.contrasts))
        self._text_cache: dict[str, Reading] = {}
        # analysing the base's texts also teaches the lexicon their words, for typo repair
        self.entries: list[IndexedEntry] = [self._index_entry(base, qa) for qa in base.questions.values()]
        self._text_cache.clear()
        self.lexicon.freeze()
        self.by_id = {e.qa.id: i for i, e in enumerate(self.entries)}
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.entries):
            for term in entry.question_terms | entry.answer_terms:
                self.postings[term].append(i)
        n = max(len(self.entries), 1)
        self.weights = {t: math.log(1 + n / len(ids)) for t, ids in self.postings.items()}
        self.unknown_weight = math.log(1 + n)
        """The rarest known word's weight; an unseen word weighs a share of it (matcher.UNKNOWN_WEIGHT)."""
        # a word in most entries ("venezuela") says nothing about what any one of them is about
        common = (
            {t for t, ids in self.postings.items() if len(ids) > COMMON_TERM_SHARE * n}
            if n >= MIN_ENTRIES_FOR_COMMON
            else set()
        )
        weights = self.weights  # every phrasing's term has a posting, so a weight
        for entry in self.entries:
            if common & entry.key_terms.keys():
                object.__setattr__(
                    entry, "key_terms", {t: f for t, f in entry.key_terms.items() if t not in common}
                )
            if entry.spanish_key_terms and common & entry.spanish_key_terms.keys():
                kept = {t: f for t, f in entry.spanish_key_terms.items() if t not in common}
                object.__setattr__(entry, "spanish_key_terms", kept)
            for phrasing in entry.phrasings:
                # fsum: exact, so the same whatever order the set yields its terms in
                object.__setattr__(phrasing, "weight", math.fsum([weights[t] for t in phrasing.terms]))
        kinds = self.lexicon.kinds
        for entry in self.entries:
            named = self.lexicon.values_named(
                entry.question_terms | entry.answer_terms | entry.disputed_values
            )
            object.__setattr__(entry, "values", dict(sorted(named.items())))
        self.kind_postings: dict[str, list[int]] = {
            kind: [i for i, e in enumerate(self.entries) if kind in e.values]
            for kind in sorted(set(kinds.values()))
        }
        """Contrast kind → the entries naming a value of it."""
        self._kind_weights: dict[str, float] = {}
        for term, kind in kinds.items():
            if term in weights:
                self._kind_weights[kind] = max(self._kind_weights.get(kind, 0.0), weights[term])
        self.name_values = frozenset(t for t, k in kinds.items() if k in base.contrasts)
        """Values of the base's own kinds (prisons, states, people): names, which an entry that
        names no value of their kind cannot answer about ("how many are held in Carabobo?")."""
        # a value of a known kind is an understood word even where the base never uses it
        # ("Carabobo" is a state: another state than the base's, not an unknown topic)
        self.known_terms = frozenset(self.postings) | frozenset(kinds)
        self.place_terms = frozenset(self.lexicon.term(name) for name in PLACES)
        self.entity_terms = self._entities(base) | self.place_terms
        self.source_names = {
            sid: frozenset(self.lexicon.base_terms(source.name)) for sid, source in base.sources.items()
        }
        """Each source's id → the terms of its name."""
        self.source_terms = frozenset(t for e in self.entries for t in e.claimants)
        """Terms of the names of the base's sources ("official", "data", "foro_penal"): a question
        that says whose word it asks for ("según datos oficiales") names one of them."""
        """Names of people, places and organisations: a question naming one the entry lacks is not for it."""

    def _entities(self, base: KnowledgeBase) -> frozenset[str]:
        """Proper names in the base: words that are capitalised wherever they appear mid-sentence."""
        texts = [f.statement for f in base.facts.values()] + [f.value or "" for f in base.facts.values()]
        texts += [qa.answer for qa in base.questions.values()]
        # canonical questions, not alternates: alternates imitate casual typing ("when did maduro…")
        texts += [qa.question for qa in base.questions.values()]
        capitalised: set[str] = set()
        runs: set[str] = set()
        lower: set[str] = set()
        word_form = lru_cache(maxsize=None)(normalize)  # the same few words recur thousands of times

        for text in texts:
            for sentence in re.split(r"[.;:!?¿¡]\s+", text):
                run: list[str] = []
                for i, raw in enumerate([*sentence.split(), ""]):
                    word = raw.strip("\"'“”‘’()[],")
                    if word[:1].isupper():
                        run.append(word)
                        if i:
                            capitalised.add(word_form(word))
                        continue
                    if word[:1].islower():
                        lower.add(word_form(word))
                    if len(run) >= 2:  # "Foro Penal", "Edmundo González Urrutia"
                        runs.add(" ".join(run))
                    run = []
        lower_terms = {self.lexicon.term(word) for word in lower if word}
        terms = {self.lexicon.term(word) for word in capitalised - lower if word and word not in MONTHS}
        for name in runs:
            terms.update(self.lexicon.read(name, intent=False).terms)
        terms -= lower_terms
        # years, days and months have their own consistency check
        return frozenset(t for t in terms if not YEAR.match(t) and not t.startswith(("date", "month")))

    def _index_entry(self, base: KnowledgeBase, qa: QA) -> IndexedEntry:
        phrasings = []
        qterms: set[str] = set()
        years: set[str] = set()
        days: set[str] = set()
        numbers: set[str] = set()
        counted: set[str] = set()
        asked: list[Intent | None] = []
        languages: list[str | None] = []
        for text in qa.phrasings():
            a = self.lexicon.read(text, language=True)
            asked.append(a.intent)
            languages.append(a.language)
            counted |= a.counted
            phrasings.append(Phrasing(text, frozenset(a.terms), " ".join(sorted(a.terms)), a.intent))
            qterms.update(a.terms)
            years |= a.years
            days |= a.days
            numbers |= a.numbers
        # the answer in every language it is written in: its words are the entry's too
        answer_texts = [qa.answer, *(t.answer for t in qa.translations.values() if t.answer)]
        claimants: set[str] = set()
        event_years: set[str] = set()
        months: set[str] = set()
        full_dates: set[tuple[str, str]] = set()
        cited = qa.cited_facts()  # read from the answer's template on every call: once here
        for fid in cited:
            fact = base.facts[fid]
            answer_texts += [fact.statement, fact.value or ""]
            answer_texts += [w for t in fact.translations.values() for w in (t.statement, t.value) if w]
            names = [base.sources[a.source].name for a in fact.sources]
            answer_texts += names
            for name in names:
                claimants.update(self._read_cached(name).terms)
            if fact.date is not None and fact.date.month and (qa.topic is None or fact.topic == qa.topic):
                months.add(MONTH_TOKEN[fact.date.month])  # when it happened, not what it is as of
            for d in (fact.date, fact.as_of):
                if d is not None:
                    years.add(str(d.year))
                    if qa.topic is None or fact.topic == qa.topic:  # its own events, not the background
                        event_years.add(str(d.year))
                    if d.day:
                        days.add(f"date{d.month:02d}{d.day:02d}")
                        full_dates.add((str(d.year), f"date{d.month:02d}{d.day:02d}"))
            if fact.amount is not None:
                numbers.add(f"{fact.amount:g}")
        # the other side of a disagreement its facts are in: "González" is as much the election's
        # value as "Maduro", though the answer names only one
        disputed: set[str] = set()
        for fid in cited:
            for other in base.facts[fid].conflicts_with:
                for text in (base.facts[other].statement, base.facts[other].value or ""):
                    disputed.update(t for t in self._read_cached(text).terms if self.lexicon.kind_of(t))
        figure_values: dict[str, set[str]] = defaultdict(set)
        for fid in cited:
            fact = base.facts[fid]
            if fact.amount is not None:
                for term in self._read_cached(fact.statement).terms:
                    if (kind := self.lexicon.kind_of(term)) is not None:
                        figure_values[kind].add(term)
        aterms: set[str] = set()
        for text in answer_texts:
            a = self._read_cached(text)
            aterms.update(a.terms)
            years |= a.years
            days |= a.days
            numbers |= {n for n in _NUM.findall(a.normalized) if not YEAR.match(n)}
        intent = qa.intent or asked[0] or Intent.THING
        intents = {intent}
        if qa.intent is None:  # an alternate that asks "why" says the entry answers "why" questions too
            intents |= {i for i in asked[1:] if i not in (None, Intent.YESNO, Intent.THING)}
        # what nearly every phrasing says, among those in the entry's own language: a Spanish
        # phrasing's words ("cuántos") are not what an English one leaves out
        spanish = [p for p, language in zip(phrasings, languages, strict=True) if language == "es"]
        own = [p for p in phrasings if p not in spanish] or phrasings
        # one pass over the phrasings, not one per term: an entry has 5 phrasings and 20 terms or more
        term_phrasings: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(phrasings):
            for t in p.terms:
                term_phrasings[t].append(i)
        if len(own) == len(phrasings):  # all in one language (nearly every entry): the uses are counted
            share = {t: len(term_phrasings[t]) / len(own) for t in sorted(qterms)}
        else:
            own_uses = Counter(t for p in own for t in p.terms)
            share = {t: own_uses[t] / len(own) for t in sorted(qterms)}
        spanish_share: dict[str, float] | None = None
        if len(spanish) >= MIN_LANGUAGE_PHRASINGS:
            spanish_uses = Counter(t for p in spanish for t in p.terms)
            spanish_share = {t: spanish_uses[t] / len(spanish) for t in sorted(qterms)}
        # the month its own facts happened in is as much the entry's as its words: "freed in January"
        qterms |= months
        key_terms = {t: f for t, f in share.items() if f >= KEY_SHARE}
        spanish_key_terms = (
            {t: f for t, f in spanish_share.items() if f >= KEY_SHARE} if spanish_share is not None else None
        )
        return IndexedEntry(
            qa,
            intent,
            frozenset(intents),
            tuple(phrasings),
            frozenset(qterms),
            frozenset(aterms - qterms),
            frozenset(years),
            frozenset(days),
            frozenset(numbers),
            frozenset(full_dates),
            key_terms,
            tuple(p.sorted_text for p in phrasings),
            {t: tuple(term_phrasings.get(t, ())) for t in qterms},
            frozenset(claimants),
            frozenset(counted),
            frozenset(event_years),
            frozenset(months | {t for t in qterms | aterms if is_month_token(t)}),
            frozenset(p.intent for p in phrasings if p.intent is not None),
            gives=frozenset(
                {f"{base.facts[f].amount:g}" for f in cited if base.facts[f].amount is not None} or cited
            ),
            answers_figure=intent == Intent.COUNT and bool(numbers),
            answers_date=intent in (Intent.DATE, Intent.DURATION) and bool(years),
            figure_values={k: frozenset(v) for k, v in sorted(figure_values.items())},
            disputed_values=frozenset(disputed),
            spanish_key_terms=spanish_key_terms,
        )

    def _read_cached(self, text: str) -> Reading:
        """Facts and source names are cited by many entries: read each text once."""
        hit = self._text_cache.get(text)
        if hit is None:
            hit = self._text_cache[text] = self.lexicon.read(text, intent=False)
        return hit

    def weight(self, term: str) -> float:
        """How much a term tells entries apart; unknown terms weigh the most."""
        return self.weights.get(term, self.unknown_weight)

    def names_something(self, text: str) -> bool:
        """Whether a short text names what the base knows by name (a source, a person, a place, a
        contrast value) or a figure or date: "Foro Penal says" is a source, "a post says" is not."""
        a = self.lexicon.analyse(text, known_terms=self.known_terms, intent=False)
        named = self.entity_terms | self.name_values
        return bool(
            a.numbers
            or a.years
            or a.days
            or a.proper
            or any(t in named or t in self.lexicon.kinds for t in a.terms)
            or self.sources_named(a.terms)
        )

    def knows_any(self, text: str) -> bool:
        """Whether a short text says anything the base knows: a word of it, a figure or a date."""
        a = self.lexicon.analyse(text, known_terms=self.known_terms, intent=False)
        return bool(a.numbers or a.years or a.days or set(a.terms) - a.unknown)

    def sources_named(self, terms: Iterable[str]) -> frozenset[str]:
        """The base's sources that `terms` name: a proper name of theirs ("AFP", "Foro Penal") or at
        least half the words of their name ("the government" for "Venezuelan government"). "The
        report" is not "Published election results", nor "my mom" the Mothers' Committee."""
        given = set(terms)
        return frozenset(
            sid
            for sid, name in self.source_names.items()
            if given & name & self.entity_terms or len(given & name) * 2 >= len(name) > 0
        )

    def rival_weight(self, term: str) -> float | None:
        """The weight of a contrast value the base never uses: that of its kind's values the base
        does use ("Carabobo" weighs what "Aragua" weighs). None for any other term."""
        kind = self.lexicon.kind_of(term)
        return None if kind is None else self._kind_weights.get(kind)
