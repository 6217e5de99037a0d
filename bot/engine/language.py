"""The words of each language the engine reads, as data (`bot/engine/lang/*.yaml`).

Function words, chat spellings, chatter, months, ordinals, question words and place names belong
to a language, not to a story: every knowledge base is read with the same files. Story words
(synonyms) live in the base's own `vocabulary.yaml`. How common a word is in the language at large
comes from `wordfreq`, so that "neighbour" or "lmao" in a question is read as talk around it, not
as a topic the base lacks.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.text import fold

LANG_DIR = Path(__file__).parent / "lang"
LANGUAGES = ("en", "es")
"""The languages the engine reads, each with a data file."""


ContrastValue = str | list[str]
"""One value of a kind: a word or phrase, or a list of its spellings ("northern", "norte")."""


def value_spellings(value: ContrastValue) -> list[str]:
    """A contrast value's spellings, the first the one it is shown as."""
    return [value] if isinstance(value, str) else list(value)


class LanguageData(BaseModel):
    """One language's words, as `lang/<code>.yaml` holds them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str
    function_words: list[str]
    determiners: list[str] = Field(default_factory=list)
    acronym_homographs: list[str] = Field(default_factory=list)
    chat: dict[str, str] = Field(default_factory=dict)
    chatter: list[str] = Field(default_factory=list)
    negations: list[str] = Field(default_factory=list)
    denials: list[str] = Field(default_factory=list)
    """Words that turn a claim into its opposite ("28 did not die", "nadie murió"); "only" is not one."""
    particles: list[str] = Field(default_factory=list)
    headline_tags: list[str] = Field(default_factory=list)
    """Tags that open a post ("BREAKING:", "JUST IN:"): not part of the claim. May hold spaces."""
    months: dict[str, int] = Field(default_factory=dict)
    ordinals: dict[str, int] = Field(default_factory=dict)
    cardinals: dict[str, int] = Field(default_factory=dict)
    figure_qualifiers: dict[str, Literal["exact", "below", "at_most", "above"]] = Field(default_factory=dict)
    """How a claim hedges its figure ("exactly 87", "fewer than 700"): set against the hedge the
    source gave ("at least 87", "more than 700")."""
    """Numbers in words ("two", "ochenta"): a question's figures, whether typed in digits or not.
    "one" and "uno" are not here: they are pronouns and articles more often than figures."""
    question_words: list[str] = Field(default_factory=list)
    requests: list[str] = Field(default_factory=list)
    exclusives: list[str] = Field(default_factory=list)
    """Words that narrow a claim or a question to what it names ("only", "alone", "solo"): "only in
    the Caribbean" where the sources say the Caribbean and the Pacific is contradicted."""
    claim_markers: list[str] = Field(default_factory=list)
    """Phrases that put a claim up for checking ("is it true that", "me dijeron que"): the sentence
    around them asserts something. May hold spaces."""
    report_verbs: list[str] = Field(default_factory=list)
    """Verbs that pass a claim on ("says", "posted", "dicen"): "a post says 82 died" checks that 82
    died. May hold spaces."""
    credit_verbs: list[str] = Field(default_factory=list)
    """Verbs besides `report_verbs` whose subject a claim credits with what follows ("Foro Penal
    confirmed…", "AFP counts…", "el gobierno anunció…"). May hold spaces."""
    excluding: list[str] = Field(default_factory=list)
    """Words that set aside what follows ("other than Tocorón", "además de Tocorón"): a question so
    worded asks about another value than the one it names. May hold spaces."""
    universals: list[str] = Field(default_factory=list)
    """Words claiming a whole ("all", "every", "todos"): set against a part the sources give ("many
    of them"), the claim is contradicted."""
    partials: list[str] = Field(default_factory=list)
    """Words by which the sources give a part ("many", "some", "muchos"). May hold spaces."""
    check_words: list[str] = Field(default_factory=list)
    """Words that ask for a check ("true", "accurate", "cierto"): a short closing "Accurate?" or an
    opening "True or false:" puts the sentence before or after it up for checking."""
    auxiliaries: list[str] = Field(default_factory=list)
    """Verbs that open a yes/no question ("did", "is"): "did Foro Penal say 61?" asks what a source
    said, it does not pass a claim on."""
    sound_alike: list[tuple[str, str]] = Field(default_factory=list)
    """How chat spells a sound another way, as (regular expression, replacement) folds: a word
    typed "kuantos" or "ubo" folds to the same key as "cuantos" and "hubo" (`sound_key`)."""
    """Words that open a request ("explain", "dime"): a sentence opening so asks, it claims nothing."""
    places: list[str] = Field(default_factory=list)
    contrasts: dict[str, list[ContrastValue]] = Field(default_factory=dict)
    """Kinds of thing whose values exclude each other (weekdays, compass points, ranks): a claim
    naming one value where the sources name another is contradicted. The base's `vocabulary.yaml`
    adds kinds of its own (prisons, states, people)."""

    @field_validator(
        "function_words",
        "determiners",
        "acronym_homographs",
        "chatter",
        "negations",
        "denials",
        "question_words",
        "requests",
        "exclusives",
        "places",
        "check_words",
        "auxiliaries",
        "universals",
    )
    @classmethod
    def _plain_words(cls, words: list[str]) -> list[str]:
        bad = [w for w in words if not w or w != w.strip().casefold() or " " in w]
        if bad:
            raise ValueError(f"words must be lower case, single and unaccented as typed: {bad[:5]}")
        return words

    @field_validator("contrasts")
    @classmethod
    def _contrast_values(cls, kinds: dict[str, list[ContrastValue]]) -> dict[str, list[ContrastValue]]:
        for kind, values in kinds.items():
            spellings = [s for v in values for s in value_spellings(v)]
            bad = [s for s in spellings if not s or s != s.strip().casefold()]
            if bad:
                raise ValueError(f"contrast {kind!r}: spellings must be lower case as typed: {bad[:5]}")
            if len(values) < 2:
                raise ValueError(f"contrast {kind!r} needs at least two values to contrast")
        return kinds

    @field_validator("sound_alike")
    @classmethod
    def _patterns_compile(cls, folds: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for pattern, _ in folds:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"sound_alike: {pattern!r} is not a regular expression: {exc}") from None
        return folds

    @field_validator("months")
    @classmethod
    def _month_numbers(cls, months: dict[str, int]) -> dict[str, int]:
        bad = [m for m, n in months.items() if not 1 <= n <= 12]
        if bad:
            raise ValueError(f"month numbers must be 1-12: {bad}")
        return months

    @field_validator("ordinals")
    @classmethod
    def _day_numbers(cls, ordinals: dict[str, int]) -> dict[str, int]:
        bad = [o for o, n in ordinals.items() if not 1 <= n <= 31]
        if bad:
            raise ValueError(f"ordinal days must be 1-31: {bad}")
        return ordinals


@cache
def language(code: str) -> LanguageData:
    """The data of one language (raises ValueError for an unknown code or a broken file)."""
    if code not in LANGUAGES:
        raise ValueError(f"no language data for {code!r}; known: {', '.join(LANGUAGES)}")
    path = LANG_DIR / f"{code}.yaml"
    with path.open(encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return LanguageData.model_validate(raw)


def all_languages() -> list[LanguageData]:
    """Every language's data, in `LANGUAGES` order."""
    return [language(code) for code in LANGUAGES]


def merged_words(field: str) -> frozenset[str]:
    """One word list of every language (`function_words`, `chatter`, `places`, …)."""
    return frozenset(w for data in all_languages() for w in getattr(data, field))


def phrase_alternation(*fields: str) -> str:
    """A regular-expression alternation of every language's phrases in `fields` (`claim_markers`,
    `report_verbs`, …), as normalised text reads them, the longest first so that "is saying" is
    tried before "is"."""
    from bot.text import normalize

    phrases = {re.escape(normalize(p)) for field in fields for p in merged_words(field)}
    return "|".join(sorted(phrases, key=len, reverse=True))


def merged_contrasts(extra: dict[str, list[list[str]]] | None = None) -> dict[str, list[list[str]]]:
    """Every language's contrast kinds, each value as its spellings, with a base's own kinds
    (`extra`) added. A value's first spelling names it across languages and files: values of the
    same name are one value ("thursday" in en.yaml, [thursday, jueves] in es.yaml)."""
    merged: dict[str, dict[str, list[str]]] = {}
    sources = [data.contrasts for data in all_languages()] + [dict(extra or {})]
    for contrasts in sources:
        for kind, values in contrasts.items():
            named = merged.setdefault(kind, {})
            for value in values:
                first, *rest = value_spellings(value)
                spellings = named.setdefault(first, [first])
                spellings.extend(s for s in rest if s not in spellings)
    return {kind: list(values.values()) for kind, values in merged.items()}


def merged_map(field: str) -> dict[str, object]:
    """One mapping of every language (`chat`, `months`, `ordinals`); the first language wins a clash."""
    out: dict[str, object] = {}
    for data in all_languages():
        for key, value in getattr(data, field).items():
            out.setdefault(key, value)
    return out


COMMON_ZIPF = 3.0
"""A word at least this frequent (Zipf scale: 3 = once per million words) is an ordinary word of
the language: unknown to a base, it is talk around the question more often than its topic."""


@lru_cache(maxsize=100_000)
def zipf(word: str) -> float:
    """How common a word is in English or Spanish, whichever is higher (Zipf scale, 0 = unseen)."""
    from bot.text import word_zipf  # wordfreq's own figure, without tokenising a word it lacks

    return max(word_zipf(word, code) for code in LANGUAGES)


@cache
def _folds() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), r) for data in all_languages() for p, r in data.sound_alike)


def sound_key(word: str) -> str:
    """The word with every language's sound-alike folds applied: "kedan" and "quedan" share one."""
    for pattern, replacement in _folds():
        word = pattern.sub(replacement, word)
    return word


def is_common(word: str) -> bool:
    """An everyday word of English or Spanish (not a name, not a misspelling)."""
    return len(word) > 1 and not word[0].isdigit() and zipf(word) >= COMMON_ZIPF


def vocabulary_conflicts(
    synonym_groups: list[list[str]], contrasts: dict[str, list[list[str]]] | None = None
) -> list[str]:
    """Warnings for editors: a synonym that is also a function word or chatter of a language, and a
    synonym group that makes two values of one contrast kind one word.

    "us" (→ United States) is also the pronoun in "tell us": the engine reads it as the synonym only
    when typed in capitals or after a determiner (see `acronym_homographs`); any other such word is
    read as the synonym everywhere, which the editor should know. "guardia nacional" in the group of
    "police" would make a claim about the national guard read as one about the police.
    """
    function_words = merged_words("function_words")
    chatter = merged_words("chatter")
    homographs = merged_words("acronym_homographs")
    out = []
    for group in synonym_groups:
        for term in group:
            word = term.casefold()
            if word in homographs:
                out.append(
                    f'"{term}" (synonym of "{group[0]}") is also a function word: read as the synonym only '
                    f'in capitals or after "the" ("the {word}", "{word.upper()}")'
                )
            elif word in function_words and word != group[0].casefold():
                out.append(f'"{term}" (synonym of "{group[0]}") is also a function word: it always counts')
            elif word in chatter:
                out.append(f'"{term}" (synonym of "{group[0]}") is also chatter in the language data')
    return out + _merged_values(synonym_groups, merged_contrasts(contrasts))


def _spelling(text: str) -> str:
    return " ".join(fold(text).split())


def _merged_values(synonym_groups: list[list[str]], contrasts: dict[str, list[list[str]]]) -> list[str]:
    value_of = {
        _spelling(spelling): (kind, spellings[0])
        for kind, values in contrasts.items()
        for spellings in values
        for spelling in spellings
    }
    out = []
    for group in synonym_groups:
        found: dict[str, dict[str, str]] = {}
        for term in group:
            if (hit := value_of.get(_spelling(term))) is not None:
                found.setdefault(hit[0], {}).setdefault(hit[1], term)
        for kind, values in found.items():
            if len(values) > 1:
                named = ", ".join(f'"{t}" ({v})' for v, t in values.items())
                out.append(
                    f'the synonym group of "{group[0]}" holds two values of the contrast kind "{kind}": '
                    f"{named}; a claim naming one would be read as the other"
                )
    return out


SPANISH_MARKS = frozenset("¿¡ñ")
LANGUAGE_MARGIN = 1.5
"""How much more one language must explain a question's words before it is taken as that language."""
CODE_SWITCH_WORDS = 2
"""A question with this many Spanish function words that English lacks ("el", "los", "que") is
Spanish with English words borrowed, however many English words it has."""


@cache
def _spanish_only_function_words() -> frozenset[str]:
    return frozenset(language("es").function_words) - frozenset(language("en").function_words)


WORD_LEAN_CAP = 1.5
"""No one word leans a text further than this either way: a single loan word does not decide."""


@lru_cache(maxsize=100_000)
def _lean(word: str) -> float:
    """How much more Spanish than English a word is (Zipf difference; 0 for a word of neither), capped
    at `WORD_LEAN_CAP`. Cached: the same words recur in text after text."""
    from bot.text import word_zipf  # wordfreq's own figure, without tokenising a word it lacks

    return max(-WORD_LEAN_CAP, min(WORD_LEAN_CAP, word_zipf(word, "es") - word_zipf(word, "en")))


def detect_language(text: str, normalized: str | None = None) -> str | None:
    """ "es" or "en" when a question's own words say which; None when it is too short to tell.

    Each word leans towards the language it is more common in ("cuántos" Spanish, "how" English);
    names and figures lean nowhere. Inverted marks and ñ are Spanish. `normalized` is
    `normalize(text)`, when the caller has it already.
    """
    from bot.text import normalize  # folding is shared with matching

    if text.isascii():  # most texts: no mark, no accent to count character by character
        marks = 0.0
    else:
        marks = 2.0 * sum(ch in SPANISH_MARKS for ch in text.casefold())
        # an accent on a word in lower case: a name ("Tocorón", "González") says nothing of the asker
        marks += 1.0 * sum(ch in "áéíóú" for w in text.split() if w[:1].islower() for ch in w.casefold())
    lean = marks
    grammar = 0  # Spanish function words English lacks, counted in the same pass
    spanish_only = _spanish_only_function_words()
    for word in (normalize(text) if normalized is None else normalized).split()[:60]:
        if len(word) > 1 and not word[0].isdigit():
            lean += _lean(word)
        if word in spanish_only:
            grammar += 1
    if lean >= LANGUAGE_MARGIN:
        return "es"
    # "What date el gobierno announced los 99 releases?": a Spanish speaker borrowing English words
    # (code-switching rarely goes the other way) reads the answer best in Spanish
    if grammar >= CODE_SWITCH_WORDS or (grammar and marks):
        return "es"
    if lean <= -LANGUAGE_MARGIN:
        return "en"
    return None
