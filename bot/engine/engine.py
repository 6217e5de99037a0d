"""The answer engine: one object every front end asks."""

from __future__ import annotations

import copy
import re
from dataclasses import replace

from rapidfuzz import fuzz, process

from bot.engine.answer import Answer, Suggestion
from bot.engine.clean import clean_discord_text
from bot.engine.compose import combine, decline, entry_answer, with_verdict
from bot.engine.dated import date_query, events_answer
from bot.engine.decision import Calibration, default_calibration
from bot.engine.frames import read_frame
from bot.engine.index import Index
from bot.engine.language import detect_language
from bot.engine.lexicon import Analysis, is_request, is_statement
from bot.engine.matcher import CLOSE_CALL, SUGGEST_FLOOR, Matcher, Scored
from bot.engine.parts import split_parts
from bot.engine.verdict import credits_another, judge, only_said_by
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.model import Intent
from bot.knowledge.translations import declared_languages
from bot.text import MAX_QUESTION_CHARS, fold

MAX_SUGGESTIONS = 3


class Engine:
    """Answers questions from one loaded knowledge base. Immutable once built; safe to share."""

    def __init__(self, base: KnowledgeBase, calibration: Calibration | None = None) -> None:
        self.base = base
        self.calibration = calibration or default_calibration()
        """How the matcher's signals become the probability of being right (`decision.py`)."""
        self.index = Index(base)
        self.matcher = Matcher(self.index)
        self._questions = [qa.question for qa in base.questions.values()]
        self._question_ids = list(base.questions)
        self._folded_questions = [fold(q) for q in self._questions]
        stories = base.stories
        self.default_language = stories[0].language if stories else "en"
        self.languages = tuple(dict.fromkeys([self.default_language, "en", *declared_languages(base)]))
        """The languages answers can be given in: the story's own and those it declares."""
        # every entry's answer in every language, built once: answering is then a lookup
        self._answers = {
            (qa.id, lang): entry_answer(qa, base, lang)
            for qa in base.questions.values()
            for lang in self.languages
        }
        self.scope = stories[0].scope or stories[0].title if stories else "this story"
        self._scopes = {lang: self._scope_in(lang) for lang in self.languages}

    def language_for(self, question: str, language: str | None = None, fallback: str | None = None) -> str:
        """The language to answer in: the one asked for, else the question's own, else `fallback` (the
        asker's client), else the story's. Always one the base can answer in."""
        for choice in (language, detect_language(question), fallback):
            if choice in self.languages:
                return choice
        return self.default_language

    def answer(self, question: str, language: str | None = None, fallback: str | None = None) -> Answer:
        """Answer a question as typed, or decline honestly, in the asker's language (`language_for`).
        Never raises on any input.

        "How many died and how many were detained?" is two questions: both are answered, or, if
        either cannot be, the whole is declined (half an answer reads like a whole one).
        """
        asked = question[: MAX_QUESTION_CHARS * 4]
        question = clean_discord_text(asked)
        lang = self.language_for(question, language, fallback)
        parts = split_parts(question)
        if parts is None:
            return replace(self._answer_one(question, lang), question=asked)
        answers = [self._answer_one(part, lang) for part in parts]
        question = asked
        if all(a.answered for a in answers):
            return combine(question, answers)
        suggestions = tuple(s for a in answers for s in (a.suggestions if not a.answered else ()))
        return decline(
            question,
            self._scopes[lang],
            min(a.confidence for a in answers),
            suggestions[:MAX_SUGGESTIONS],
            lang,
        )

    def scope_in(self, language: str) -> str:
        """What the base can answer about, in `language` (its own where untranslated)."""
        return self._scopes.get(language, self.scope)

    def _scope_in(self, language: str) -> str:
        stories = self.base.stories
        tr = stories[0].translations.get(language) if stories else None
        return (tr.scope or tr.title or self.scope) if tr else self.scope

    def _answer_one(self, question: str, language: str = "en") -> Answer:
        analysis = self._analyse(question)
        query = date_query(analysis)
        if query is not None and (dated := events_answer(question, query, self.base, language)) is not None:
            return dated  # "what happened on 16 December?": the timeline knows
        claim = analysis.checking or is_statement(analysis.normalized)
        ranked = self.matcher.rank(analysis, limit=MAX_SUGGESTIONS + 1)
        best = ranked[0] if ranked else None
        p = self.calibration.probability(best.signals) if best else 0.0
        if best is None or p < self.calibration.threshold or self._refers_back(analysis):
            suggestions = self._suggestions(ranked, skip=None, language=language)
            return replace(decline(question, self._scopes[language], p, suggestions, language), claim=claim)
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        low = (
            p < self.calibration.threshold + CLOSE_CALL
            or best.score - runner_up < CLOSE_CALL
            or len(set(analysis.terms)) <= 1  # "prisoners?": an answer, and what else it could mean
        )
        suggestions = self._suggestions(ranked, skip=best.entry.qa.id, language=language)
        answer = replace(
            self._answers[(best.entry.qa.id, language)],
            question=question,
            confidence=p,
            suggestions=suggestions,
            low_confidence=low,
            claim=claim,
        )
        verdict = judge(analysis, best.entry, self.base, self.index, answer.language)
        said_by = (
            only_said_by(analysis, best.entry, self.base, self.index)
            or credits_another(analysis, best.entry, self.base, self.index)
            if verdict is None
            else None
        )
        checked = claim or analysis.intent == Intent.YESNO  # "did the US navy seize a tanker?" too
        if verdict is None and checked and (said_by or self._asserts_more(analysis, best)):
            # "Congress authorized the strikes": the sources say nothing of what the claim asserts, and
            # the strikes' figures next to it would read like a confirmation
            suggestions = self._suggestions(ranked, skip=None, language=language)
            unsettled = decline(
                question, self._scopes[language], p, suggestions, language, unsettled=True, said_by=said_by
            )
            return replace(unsettled, claim=claim)
        return with_verdict(answer, verdict)

    def _asserts_more(self, analysis: Analysis, best: Scored) -> bool:
        """A claim (not a request: "explain the dock strike") with words neither the entry nor the
        base explains ("seized", "authorized"): what it asserts is more than the sources say."""
        if is_request(analysis.normalized):
            return False
        entry = best.entry
        unexplained = (analysis.unknown | analysis.common) - entry.question_terms - entry.answer_terms
        # figures and dates are what the verdict judges, not words the sources lack
        figures = analysis.numbers | analysis.years | analysis.days
        return bool(unexplained - analysis.chatter - figures)

    def candidates(self, question: str, limit: int = MAX_SUGGESTIONS + 1) -> list[Scored]:
        """The matcher's best entries for a question the matcher decides, with their signals; empty for
        questions in two parts or about a date, which are answered another way (for calibration)."""
        question = clean_discord_text(question[: MAX_QUESTION_CHARS * 4])
        if split_parts(question) is not None:
            return []
        analysis = self._analyse(question)
        query = date_query(analysis)
        if query is not None and events_answer(question, query, self.base) is not None:
            return []
        return self.matcher.rank(analysis, limit=limit)

    def entry_text(self, entry_id: str, language: str | None = None) -> str:
        """The text an entry answers with, in `language` when the base has it (else its default)."""
        lang = language if language in self.languages else self.default_language
        return self._answers[(entry_id, lang)].text

    def with_calibration(self, calibration: Calibration) -> Engine:
        """The same engine (same index, shared) deciding with another calibration."""
        other = copy.copy(self)
        other.calibration = calibration
        return other

    def answer_entry(
        self, entry_id: str, question: str | None = None, language: str | None = None
    ) -> Answer | None:
        """The answer of a known entry (a "did you mean" click); None if the entry is gone."""
        lang = language if language in self.languages else self.default_language
        answer = self._answers.get((entry_id, lang))
        if answer is None:
            return None
        return replace(answer, question=question or answer.question)

    def closest(self, question: str) -> tuple[str | None, str | None, float]:
        """The nearest entry (id, canonical question, score), answered or not: for editors' reports."""
        ranked = self._rank(question)
        if not ranked:
            return None, None, 0.0
        best = ranked[0]
        return best.entry.qa.id, best.entry.qa.question, round(best.score, 3)

    def complete(self, typed: str, limit: int = 25) -> list[tuple[str, str]]:
        """Known questions (entry id, question) closest to what has been typed so far, for autocomplete."""
        typed = fold(typed[:200]).strip()
        if not typed:
            return list(zip(self._question_ids, self._questions, strict=True))[:limit]
        hits = process.extract(
            typed, self._folded_questions, scorer=fuzz.partial_token_set_ratio, limit=limit, score_cutoff=40
        )
        return [(self._question_ids[i], self._questions[i]) for _, _, i in hits]

    def _rank(self, question: str) -> list[Scored]:
        analysis = self._analyse(question)
        return self.matcher.rank(analysis, limit=MAX_SUGGESTIONS + 1)

    def _analyse(self, question: str) -> Analysis:
        """The question read for matching, with the frame around a claim taken off ("a post says…",
        "Tweet: …", "… Accurate?"): its words are not what the claim is about."""
        framed = read_frame(question, self.index.names_something, self.index.knows_any)
        analysis = self.index.lexicon.analyse(framed.body, known_terms=self.index.known_terms)
        return replace(analysis, checking=True) if framed.checking else analysis

    def _refers_back(self, analysis: Analysis) -> bool:
        """ "Who confirmed that?": one topic word and a pronoun for the rest. Each question is read on
        its own, with no earlier message to say what "that" is, so any answer would be a guess.
        ("Edmundo González, who is he?" names whom "he" is.)"""
        terms = set(analysis.terms)
        return (
            len(terms) <= 1
            and not terms & self.index.entity_terms
            and bool(_REFERS_BACK.search(analysis.normalized))
        )

    def _suggestions(
        self, ranked: list[Scored], skip: str | None, language: str = "en"
    ) -> tuple[Suggestion, ...]:
        return tuple(
            Suggestion(
                s.entry.qa.id,
                self._answers[(s.entry.qa.id, language)].entry_question or "",
                round(s.score, 3),
            )
            for s in ranked
            if s.entry.qa.id != skip and s.score >= SUGGEST_FLOOR
        )[:MAX_SUGGESTIONS]


_REFERS_BACK = re.compile(r"\b(that|this|it|they|them|those|these|he|she|eso|esto)\b")
