"""How a question is matched to a Q&A entry. The one place that decides.

The score of an entry, in [0, 1], multiplies three things:

1. **Evidence** — how much of the question the entry explains, weighing each term by how
   rare it is across the base (an unknown word, like "Cuba" or "pizza", weighs the most):
   coverage of the question by the entry's phrasings (answer and fact words count for less),
   the best single phrasing's weighted overlap (Dice), and rapidfuzz's `ratio` between the
   sorted terms of the question and of that phrasing, which forgives what stemming misses.
2. **Intent** — a "when" question is not answered by a "how many" entry.
3. **Consistency** — a year, a day or a figure the question names must be one the entry
   knows: "2018", "December 31" or "150 people" never get this story's figure.

The best entry answers when its score reaches ANSWER_THRESHOLD (see `Matcher`). Scores are
not probabilities, but they were calibrated so that on the dev and held-out test questions
nothing wrong scored above the threshold; see README "How matching works".
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.engine.index import Index, IndexedEntry
from bot.engine.lexicon import Analysis, Lexicon, is_month_token, is_statement
from bot.knowledge.model import Intent

ANSWER_THRESHOLD = 0.5
"""At or above: answer. Below: decline (and suggest the closest entries)."""
SUGGEST_FLOOR = 0.30
"""Entries scoring at least this are offered as "did you mean"."""
CLOSE_CALL = 0.08
"""An answer this close to the threshold or to the runner-up is flagged low-confidence."""
SHORTLIST = 40
"""Entries scored in full, chosen by coverage first (keeps a 10,000-entry base fast)."""

ANSWER_TERM_CREDIT = 0.5
"""A question word found only in the answer or its facts, not in any phrasing, counts this much."""
COUNT_ANSWER_TERM_CREDIT = 0.0
"""The same for "how many" questions, where the word being counted must be what the entry counts."""
UNKNOWN_WEIGHT = 0.6
"""A word the base never uses weighs this times the rarest known word's weight."""
REPAIRED_TRUST = 0.85
"""A word that only matches after typo repair counts this much."""

W_COVERAGE, W_DICE, W_RATIO = 0.5, 0.3, 0.2
"""How the evidence mixes coverage of the question, the best phrasing's overlap, and rapidfuzz's ratio."""
COVERAGE_GATE = 1.0
"""Evidence is further multiplied by coverage to this power: unexplained words sink a match."""
EXACT_PHRASING = 0.85
"""A best-phrasing overlap at least this high means the question is one of the entry's phrasings."""
KEY_TERM_PENALTY = 0.7
FOCUSED_INTENTS = frozenset({Intent.COUNT, Intent.DATE, Intent.DURATION, Intent.THING, None})
"""Questions whose answer is a figure, a date or a thing named: what is counted, dated or named
must match exactly. "Who" and "why" questions are less strict (their answers name their sources)."""
"""How much an entry loses when the question lacks all of its key terms."""
MISMATCH_FACTOR = 0.3
"""Applied for each year, day, figure or name in the question that the entry does not know."""
ANY_COUNTED = frozenset({"peopl", "person"})
"""Counting "people" fits any entry that counts someone."""
CHECKED_CLAIM_FACTOR = 0.85
"""The same, when the question checks a claim the answer will confirm or correct."""
RIVAL_CREDIT = 0.85
"""In a claim, a value of a contrast kind counts this much toward an entry naming another value of
that kind: "Carabobo" is nearly as good a match as "Aragua" for the entry that corrects it."""
SOURCE_QUESTION = 0.85
"""A "who says…" question is answered by any entry on that figure: answers always name their sources."""
SOURCE_QUESTION_PINNED = 1.0

PHRASING_INTENT_FLOOR = 0.85
"""A phrasing that asks something else still shares the words: its overlap counts at least this much."""

# How well an entry's intent answers a question's intent. Missing pairs score MISMATCH.
MISMATCH = 0.45
"""Below ANSWER_THRESHOLD on purpose: a "why" question is never answered by a "where" entry."""
_COMPATIBLE: dict[tuple[Intent, Intent], float] = {
    (Intent.DATE, Intent.DURATION): 0.8,
    (Intent.DURATION, Intent.DATE): 0.8,
    (Intent.PERSON, Intent.THING): 0.85,
    (Intent.THING, Intent.PERSON): 0.9,
    (Intent.THING, Intent.PLACE): 0.9,
    (Intent.REASON, Intent.THING): 0.85,
    (Intent.THING, Intent.REASON): 0.9,
    (Intent.THING, Intent.COUNT): 0.8,
    (Intent.THING, Intent.DATE): 0.8,
    (Intent.THING, Intent.DURATION): 0.8,
}


def rival_values(terms: Iterable[str], entry: IndexedEntry, lexicon: Lexicon) -> dict[str, frozenset[str]]:
    """Kind → the values a text names of a kind where the entry names only other values of it."""
    named = lexicon.values_named(terms)
    return {k: v for k, v in named.items() if entry.values.get(k) and not v & entry.values[k]}


def _upper_bound(coverage: float) -> float:
    """The best score an entry with this coverage could reach (perfect phrasing, intent and consistency)."""
    return float((W_COVERAGE * coverage + W_DICE + W_RATIO) * coverage**COVERAGE_GATE)


def intent_factor(question: Intent | None, entry: Intent) -> float:
    """1.0 when the entry answers the kind of thing asked; less when it answers something else."""
    if question is None or question == entry:
        return 1.0
    if question == Intent.YESNO or entry == Intent.YESNO:
        return 0.92
    return _COMPATIBLE.get((question, entry), MISMATCH)


@dataclass(frozen=True, slots=True)
class Scored:
    """An entry's score and why, for answers, suggestions and `misses`."""

    entry: IndexedEntry
    score: float
    coverage: float
    best_phrasing: str
    signals: dict[str, float] = field(default_factory=dict)
    """Why the score is what it is, each signal by name: the calibrated decision reads them, and
    `ask --explain` shows them."""


@dataclass(frozen=True, slots=True)
class _Asked:
    """What every entry is scored against, worked out once per question."""

    q: Analysis
    weights: dict[str, float]
    total: float
    sorted_terms: str
    """The weighed terms sorted and joined, for rapidfuzz."""
    months: frozenset[str]
    named: frozenset[str]
    """Names of people, places and groups the question mentions."""
    claim: bool
    """The question checks a claim ("28 or 38?", "was it Foro Penal…?"): its figures and actors
    may be the claim, which the answer corrects."""
    fits: dict[Intent, float]
    """How well an entry or phrasing of each intent answers the question's intent."""
    asserts: bool
    """The question checks a claim or states one ("Biden announced the blockade"): a value it names
    where the entry names another of the same kind is what the answer corrects."""


class Matcher:
    """Scores every plausible entry for an analysed question."""

    def __init__(self, index: Index) -> None:
        self.index = index

    def rank(self, q: Analysis, limit: int = 4) -> list[Scored]:
        """The best entries for the question, best first (scores may be below the threshold)."""
        if not q.terms:
            return []
        idx = self.index
        # A figure or date the base never mentions is judged by `_consistency`, not counted as a topic word.
        months = frozenset(t for t in q.terms if is_month_token(t))
        figures = q.numbers | q.years | q.days | months
        # in the question's order, not a set's: the same question scores the same in every process.
        terms = [t for t in dict.fromkeys(q.terms) if t in idx.weights or t not in figures]
        weights = {
            t: idx.weights.get(t) or idx.rival_weight(t) or idx.unknown_weight * UNKNOWN_WEIGHT for t in terms
        }
        credit = COUNT_ANSWER_TERM_CREDIT if q.intent == Intent.COUNT else ANSWER_TERM_CREDIT
        for t in q.proper:
            weights[t] *= 1.5  # a name the base does not know is probably what the question is about
        total = sum(weights.values())
        if not total:
            return []

        coverage: dict[int, float] = defaultdict(float)
        for term, w in weights.items():
            # a repaired typo is weaker evidence: "arepas" is not really "areas"
            trust = REPAIRED_TRUST if term in q.corrected else 1.0
            for i in idx.postings.get(term, ()):
                entry = idx.entries[i]
                coverage[i] += trust * w * (1.0 if term in entry.question_terms else credit)
        claim = q.checking or q.intent == Intent.YESNO
        asserts = claim or is_statement(q.normalized)
        if asserts:
            self._credit_rivals(q, weights, coverage)
        if not coverage:
            return []
        # Branch and bound: score entries by falling coverage and stop once even a perfect
        # phrasing match could not beat the `limit`-th best score found so far.
        ranked = heapq.nlargest(SHORTLIST, coverage, key=coverage.__getitem__)
        asked = _Asked(
            q,
            weights,
            total,
            " ".join(sorted(weights)),
            months,
            frozenset(t for t in q.terms if t in idx.entity_terms or t in q.proper or t in idx.name_values),
            claim,
            {i: intent_factor(q.intent, i) for i in Intent},
            asserts,
        )
        best: list[Scored] = []
        for i in ranked:
            cov = coverage[i] / total
            bound = _upper_bound(cov)
            if best and (bound < SUGGEST_FLOOR or (len(best) >= limit and bound <= best[-1].score)):
                break  # nothing further could be answered or even suggested
            floor = best[-1].score if len(best) >= limit else -1.0
            scored = self._score(asked, idx.entries[i], cov, floor)
            if scored is None:
                continue
            best.append(scored)
            # at equal scores, the entry that answers what the question asserts or asks for first:
            # "3000 got detained" is about the figure, not the date of the detentions
            best.sort(key=lambda s: (s.score, self._answers_what_is_asserted(q, s.entry)), reverse=True)
            del best[limit:]
        return self._with_question_signals(asked, best)

    def _credit_rivals(self, q: Analysis, weights: dict[str, float], coverage: dict[int, float]) -> None:
        """In a claim, a value of a kind stands where the entry's own value of that kind stands:
        "Tocorón is in Carabobo" is about the entry that says Aragua, which corrects it."""
        idx = self.index
        for term, w in weights.items():
            kind = idx.lexicon.kind_of(term)
            if kind is None:
                continue
            for i in idx.kind_postings.get(kind, ()):
                entry = idx.entries[i]
                if term not in entry.values[kind]:
                    coverage[i] += RIVAL_CREDIT * w

    def _rival_phrasings(self, entry: IndexedEntry, term: str) -> tuple[int, ...]:
        """The phrasings naming the entry's own value of `term`'s kind, which a claim's rival value
        stands for (none outside a claim, or when the entry names `term` itself)."""
        kind = self.index.lexicon.kind_of(term)
        own = entry.values.get(kind, frozenset()) if kind is not None else frozenset()
        if not own or term in own:
            return ()
        return tuple(sorted({i for t in own for i in entry.term_phrasings.get(t, ())}))

    @staticmethod
    def _answers_what_is_asserted(q: Analysis, entry: IndexedEntry) -> bool:
        if q.numbers:
            return entry.answers_figure
        if q.days or q.years:
            return entry.answers_date
        return False

    def _with_question_signals(self, asked: _Asked, ranked: list[Scored]) -> list[Scored]:
        """Add what belongs to the question as a whole, and each entry's lead over the others."""
        q, weights, total = asked.q, asked.weights, asked.total
        unknown = sum(w for t, w in weights.items() if t in q.unknown)
        common = sum(w for t, w in weights.items() if t in q.common)
        shares = {
            # "neighbour", "honestly": everyday words the base does not use (weak evidence against)
            "common_unknown_share": common / total,
            # "Cuba", "pizza", "sdfgh": words neither the base nor the language explains (they decide)
            "unknown_share": (unknown - common) / total,
            "chatter_share": len(q.chatter) / (len(q.chatter) + len(weights)),
            "repaired_share": sum(w for t, w in weights.items() if t in q.corrected) / total,
            "claim": float(asked.claim),
            "terms": float(len(weights)),
        }
        out = []
        for i, s in enumerate(ranked):
            # a close rival matters only when its answer would say something else
            rival = max(
                (r.score for j, r in enumerate(ranked) if j != i and r.entry.gives != s.entry.gives),
                default=0.0,
            )
            signals = {**s.signals, **shares, "score": s.score, "lead": s.score - rival}
            out.append(Scored(s.entry, s.score, s.coverage, s.best_phrasing, signals))
        return out

    def _score(self, asked: _Asked, entry: IndexedEntry, coverage: float, floor: float) -> Scored | None:
        """The entry's score; None as soon as it cannot beat `floor` (the worst of those kept)."""
        q, total = asked.q, asked.total
        # weight each phrasing shares with the question, through the entry's term → phrasings map
        shared: dict[int, float] = {}
        for term, w in asked.weights.items():
            phrasings = entry.term_phrasings.get(term, ())
            credit = 1.0
            if not phrasings and asked.asserts:
                phrasings, credit = self._rival_phrasings(entry, term), RIVAL_CREDIT
            for i in phrasings:
                shared[i] = shared.get(i, 0.0) + credit * w
        intent = max(asked.fits[i] for i in entry.intents)
        # the words of "why is the US striking…" match "what did the US strike" less well than the
        # words of a phrasing that asks what the question asks
        scale = (
            {i: max(PHRASING_INTENT_FLOOR, min(1.0, asked.fits[i] / intent)) for i in entry.phrasing_intents}
            if q.intent is not None
            else {}
        )
        best_dice, best_text = 0.0, entry.qa.question
        for i in sorted(shared):  # only the phrasings that share a word, in order (ties: the first)
            p = entry.phrasings[i]
            dice = min(1.0, 2 * shared[i] / (total + p.weight))  # a rival value may outweigh the entry's
            if p.intent is not None and scale:
                dice *= scale[p.intent]
            if dice > best_dice:
                best_dice, best_text = dice, p.text
        # the rest can only lower the score: with a perfect ratio, consistency and focus, could it
        # still make the list? (a "who says" question may raise the intent to 1.0 below)
        reach = 1.0 if q.intent == Intent.PERSON else intent
        if (W_COVERAGE * coverage + W_DICE * best_dice + W_RATIO) * coverage**COVERAGE_GATE * reach <= floor:
            return None
        closest = process.extractOne(asked.sorted_terms, entry.sorted_texts, scorer=fuzz.ratio)
        best_ratio = closest[1] / 100 if closest else 0.0
        if q.intent == Intent.PERSON:
            # every answer names its sources, so "who says…" is answered by the entry on that figure;
            # when the question quotes the entry's own figure ("who says only 61?"), all the more
            pinned = bool(q.numbers) and q.numbers <= entry.numbers
            intent = max(intent, SOURCE_QUESTION_PINNED if pinned else SOURCE_QUESTION)
        evidence = (
            W_COVERAGE * coverage + W_DICE * best_dice + W_RATIO * best_ratio
        ) * coverage**COVERAGE_GATE
        checks = self._consistency(asked, entry)
        consistency = math.prod(checks.values())
        # a question that is nearly one of the entry's own phrasings needs no focus check
        key_terms = (
            entry.spanish_key_terms if q.language == "es" and entry.spanish_key_terms else entry.key_terms
        )
        focus = 1.0 if best_dice >= EXACT_PHRASING else self._focus(key_terms, asked.weights, q.intent)
        score = evidence * intent * consistency * focus
        # "la mañana del 1 de enero": an everyday word the entry does not use weighs less than a name
        everyday = sum(
            w
            for t, w in asked.weights.items()
            if t in q.everyday and t not in entry.question_terms and t not in entry.answer_terms
        )
        return Scored(
            entry,
            min(score, 1.0),
            coverage,
            best_text,
            {
                "coverage": coverage,
                "phrasing_overlap": best_dice,
                "fuzzy_ratio": best_ratio,
                "intent_fit": intent,
                "focus": focus,
                "everyday_uncovered_share": everyday / total,
                **{f"check_{k}": v for k, v in checks.items()},
            },
        )

    def _focus(self, key_terms: dict[str, float], weights: dict[str, float], intent: Intent | None) -> float:
        """Less when the question leaves out what nearly every phrasing of the entry says.

        "How many boats did the US strike?" shares "US", "strike" and "boat" with "How many
        people died in the US strikes on boats?", but not "died", which is what that entry counts.
        """
        if not key_terms:
            return 1.0
        # the thing counted, dated or named must be the entry's; for "who"/"why" questions it matters less
        penalty = KEY_TERM_PENALTY if intent in FOCUSED_INTENTS else KEY_TERM_PENALTY / 2
        total = missing = 0.0
        for term, share in key_terms.items():
            w = share * self.index.weight(term)
            total += w
            if term not in weights:
                missing += w
        return 1.0 - penalty * (missing / total)

    def _consistency(self, asked: _Asked, entry: IndexedEntry) -> dict[str, float]:
        """Each named check of the question against the entry: 1.0 when it holds, less when the question
        names a year, day, figure, place or name the entry does not know. The product is the consistency."""
        q = asked.q
        checks: dict[str, float] = {}
        # When the question checks a claim ("78 freed, right?"), the unknown figure is the claim:
        # the entry's own figure is the answer, so it only counts a little against it.
        mismatch = CHECKED_CLAIM_FACTOR if q.checking else MISMATCH_FACTOR

        def check(name: str, failed: bool, factor: float = mismatch) -> None:
            checks[name] = factor if failed else 1.0

        # A date in a question about a date, or a figure in a question about a figure, is what the
        # question asserts: "the protests were in June, weren't they?", "why did they free 80?". The
        # entry's own date or figure corrects it. Elsewhere a date sets the scope: "who won the 2018
        # election" is another story.
        # a statement asserts its date ("the US has been hitting boats since June"); a yes/no question
        # about one ("did they free anyone on 31 December?") asks whether anything happened then
        states = asked.asserts and q.intent != Intent.YESNO
        asks_date = q.intent in (Intent.DATE, Intent.DURATION) or q.checking or states
        dated = CHECKED_CLAIM_FACTOR if entry.answers_date and asks_date else mismatch
        check("year", bool(q.years - entry.years), dated)
        check("day", bool(q.days - entry.days), dated)
        check("month", bool(asked.months - entry.months), dated)  # "freed in March": another month
        full_date_wrong = False
        if len(q.years) == 1 and len(q.days) == 1 and entry.full_dates:
            (year,), (day,) = q.years, q.days
            full_date_wrong = (year, day) not in entry.full_dates  # New Year's Day 2025 is not 2026
        check("full_date", full_date_wrong, dated)
        figure = 1.0
        if q.numbers - entry.numbers:
            # "why did they free 80?": the figure asserted is the one the entry corrects; in "how
            # many of the 87…" or "across the 2 releases" a figure sets the scope, the count is asked
            asks_count = q.intent == Intent.COUNT and not asked.claim
            if entry.answers_figure and not q.numbers & entry.numbers and not asks_count:
                figure = CHECKED_CLAIM_FACTOR
            elif not asked.claim and not states:
                figure = MISMATCH_FACTOR
            elif not q.numbers & entry.numbers:
                # "78 or 87?": the entry that knows one of the figures is the one being checked
                figure = CHECKED_CLAIM_FACTOR
        checks["figure"] = figure
        kinds = self.index.lexicon.kinds
        # a value of a kind the entry names another value of is judged by the contrast check below
        missing = [
            t
            for t in asked.named
            if t not in entry.question_terms
            and t not in entry.answer_terms
            and kinds.get(t) not in entry.values
        ]
        name = 1.0
        if missing:
            # "Was it Foro Penal that confirmed the 87?": in a claim, a known actor of the story in the
            # wrong role is the claim, which the answer corrects. A place (Cuba) or a name the story
            # never mentions (the UN) still means another story.
            actors = all(t in self.index.entity_terms and t not in self.index.place_terms for t in missing)
            name = CHECKED_CLAIM_FACTOR if asked.claim and actors else MISMATCH_FACTOR
        checks["name"] = name
        # "freed from El Helicoide" where the entry says Tocorón: in a claim, the value the answer
        # corrects; in a question, another prison's story
        rival = bool(rival_values(q.terms, entry, self.index.lexicon))
        check("contrast", rival, CHECKED_CLAIM_FACTOR if asked.asserts else MISMATCH_FACTOR)
        # "how many died in the Pacific alone?": the figure is a total over the Caribbean and the
        # Pacific, and says nothing of one of them
        narrower = q.intent == Intent.COUNT and any(
            v < entry.figure_values.get(kind, frozenset())
            for kind, v in self.index.lexicon.values_named(q.terms).items()
        )
        check("narrower", narrower, MISMATCH_FACTOR)
        check("event_year", bool(q.when_years - entry.event_years))  # "released in 2024"
        # "how many fishermen…" is not "how many people died…"
        counted_wrong = bool(q.counted and entry.counted and not q.counted & (entry.counted | ANY_COUNTED))
        check("counted", counted_wrong, MISMATCH_FACTOR)
        speakers = q.speakers & (self.index.entity_terms | self.index.source_terms)
        # "what did Maduro say…": only an entry Maduro is a source of
        check("speaker", bool(speakers and not speakers & entry.claimants), MISMATCH_FACTOR)
        # "how many of the 28 were killed by police": only the 28 known
        whole_only = q.whole is not None and q.whole in entry.numbers and not entry.numbers - {q.whole}
        check("part_of_whole", whole_only, MISMATCH_FACTOR)
        # reported facts say what happened, never what will or should
        check("prediction_or_opinion", q.future or q.opinion, MISMATCH_FACTOR)
        # "who was president before Maduro" asks for someone else
        relative = q.intent == Intent.PERSON and bool(q.relative_to & self.index.entity_terms)
        check("someone_else", relative, MISMATCH_FACTOR)
        # "were prisons other than Tocorón releasing people?": the entry's Tocorón is what is set aside
        kinds = self.index.lexicon.kinds
        set_aside = any(
            t in kinds and (t in entry.question_terms or t in entry.answer_terms) for t in q.excluded
        ) or any(values and values <= q.excluded for values in entry.values.values())
        check("other_value", set_aside, MISMATCH_FACTOR)
        return checks
