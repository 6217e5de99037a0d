"""Text normalisation shared by the loader, the engine and the reports.

Questions arrive as people type them in Discord: any case, accents or none, curly quotes,
zero-width and bidirectional marks, "2,400" or "2400". Everything is folded the same way
before two strings are compared.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

MAX_QUESTION_CHARS = 500
"""Longer input is cut: no real question needs more, and matching time stays bounded."""

# The separator first and the digit before it looked back on: the regex engine then skips quickly to
# the few separators a text holds instead of trying the look-behind at every character.
_THOUSANDS = re.compile(r"[,.\u00a0\u202f'’](?<=\d.)(?=\d{3}\b)")
_WORD = re.compile(r"\w+")
_APOSTROPHE_S = re.compile(r"(\w)['’]s\b")


_ASCII_CONTROLS = {c: " " for c in [*range(32), 127]}


def fold(text: str) -> str:
    """Lower-case, accent-free, compatibility-normalised text with control and format characters removed."""
    if text.isascii():  # the common case, and a hundred times faster than the loop below
        # printable ASCII holds no control character to blank: no need to translate (the common case)
        return text.casefold() if text.isprintable() else text.translate(_ASCII_CONTROLS).casefold()
    text = unicodedata.normalize("NFKD", text)
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Mn":  # combining accents: "Tocorón" → "Tocoron"
            continue
        if cat in {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}:  # controls, zero-width and bidi marks
            kept.append(" ")
            continue
        kept.append(ch)
    return "".join(kept).casefold()


def normalize(text: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """Fold `text` and reduce it to single-spaced words ("2,400" → "2400", "Maduro's" → "maduro")."""
    text = fold(text[: limit * 2])[:limit]
    text = _THOUSANDS.sub("", text)
    if "'" in text or "’" in text:  # the regex would try every word letter by letter for a rare "'s"
        text = _APOSTROPHE_S.sub(r"\1", text)
    text = text.replace("_", " ").replace("%", " percent ")  # "vote %" asks a share
    # the words themselves, single-spaced: what splitting on everything else gave
    return " ".join(_WORD.findall(text))


_STEMMER = snowballstemmer.stemmer("english")  # the C build (PyStemmer) when installed
_SPANISH = snowballstemmer.stemmer("spanish")
SPANISH_LEAN = 1.0
"""A word this much more common in Spanish than in English (Zipf) is stemmed as Spanish: "liberaba",
"liberados" and "liberaron" are one word, as "released" and "releasing" are."""


_PLAIN_WORD = re.compile(r"[a-z]+")
"""A word wordfreq's tokeniser keeps whole, unchanged, for English and Spanish alike."""


def word_zipf(word: str, lang: str) -> float:
    """`wordfreq.zipf_frequency(word, lang)`, exactly, without its cost for a word it has never seen.

    Most words of a base a list does not hold are names and codes, and wordfreq tokenises each of
    them (a Unicode regex, three normalisations) before it finds nothing; a word of the letters a–z
    alone is its own single token, so one lookup in wordfreq's own table (built once, kept by
    wordfreq) says it is absent, and its Zipf value is then 0.0, wordfreq's floor. A word the table
    holds is that one token too, so its Zipf value follows from its frequency in the table alone:
    wordfreq is asked once per frequency (some 550 in a table), not once per word (`_zipf_at`).
    """
    if _PLAIN_WORD.fullmatch(word):
        frequency = _frequencies(lang).get(word)
        return 0.0 if frequency is None else _zipf_at(lang, frequency, word)
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, lang))


_ZIPF_AT: dict[tuple[str, float], float] = {}
"""(language, a frequency its table gives) → wordfreq's Zipf value for a plain word of that frequency.
The same for every base: what wordfreq's data says, bounded by the table's few hundred frequencies."""


def _zipf_at(lang: str, frequency: float, word: str) -> float:
    """wordfreq's Zipf value for the plain words of `lang` with `frequency` in its table, asked of
    wordfreq for the first of them (`word`): tokenising a word costs more than stemming it."""
    key = (lang, frequency)
    zipf = _ZIPF_AT.get(key)
    if zipf is None:
        from wordfreq import zipf_frequency

        zipf = _ZIPF_AT[key] = float(zipf_frequency(word, lang))
    return zipf


@lru_cache(maxsize=8)  # one per language asked: English and Spanish
def _frequencies(lang: str) -> dict[str, float]:
    """wordfreq's table for a language: the same object wordfreq keeps (no copy), found once, not
    imported again per word."""
    from wordfreq import get_frequency_dict  # its tables load on first use only

    table: dict[str, float] = get_frequency_dict(lang)
    return table


@lru_cache(maxsize=200_000)
def is_spanish_word(word: str) -> bool:
    """Whether a word is a Spanish word rather than an English one, by how common it is in each."""
    spanish = word_zipf(word, "es")
    # Zipf values are never below 0: a word less common in Spanish than the lean cannot lean to it,
    # whatever its English frequency, so the English lookup is skipped (most words of a base)
    if spanish < SPANISH_LEAN:
        return False
    return spanish - word_zipf(word, "en") >= SPANISH_LEAN


# Words the stemmer would merge although they mean different things: a prisoner is not a prison.
STEM_EXCEPTIONS = {"prisoner": "prisoner", "prisoners": "prisoner"}


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The word's stem in its language (English or Spanish), leaving numbers and our own date tokens
    alone. The same word always gets the same stem, in a question or in the base. Cached: stemming is
    the slow part."""
    if word[0].isdigit() or word.startswith(("date", "month")):
        return word
    if word[-1].isdigit() and word.isascii():
        # an id ("f123", "jan1"): neither stemmer has a suffix to strip, so whether it is Spanish
        # is not asked (wordfreq tokenises a word with digits, the slowest lookup of all)
        return word
    if word in STEM_EXCEPTIONS:
        return STEM_EXCEPTIONS[word]
    if len(word) > 3 and is_spanish_word(word):
        return str(_SPANISH.stemWord(word))
    return str(_STEMMER.stemWord(word))
