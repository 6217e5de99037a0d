"""Reading a question: dates, months and what a question counts."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.engine.lexicon import canonical_dates, either_or_figures, question_word_for
from bot.text import word_zipf


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on the 1st of january", "on the date0101"),
        ("on the first of january", "on the date0101"),
        ("january the first", "date0101"),
        ("december twenty fifth", "date1225"),
        ("primero de enero", "date0101"),
        ("25 de diciembre", "date1225"),
        ("2025 12 16", "2025 date1216"),
        ("in july 2024", "in month07 2024"),
        ("in march 2024", "in month03 2024"),
        ("march 5", "date0305"),
        # "march" is also a protest and "may" a verb: months only beside a day or a year
        ("the march against maduro", "the march against maduro"),
        ("it may happen", "it may happen"),
        ("the second release", "the second release"),
        ("may first", "may first"),  # "may" is a verb first
        ("who won the first july election", "who won the first month07 election"),  # not 1 July
    ],
)
def test_dates_become_one_token(text: str, expected: str) -> None:
    assert canonical_dates(text) == expected


@pytest.fixture(scope="module")
def engine() -> Engine:
    from bot.knowledge import load_base

    return Engine(load_base())


def test_a_month_is_never_read_as_a_typo_for_another(engine: Engine) -> None:
    """The base names July but not January as a month: "january" must stay January."""
    analysis = engine.index.lexicon.analyse("released in january", known_terms=engine.index.known_terms)
    assert "month01" in analysis.terms and "month07" not in analysis.terms
    assert not analysis.corrected


@pytest.mark.parametrize(
    "question",
    [
        "how many protesters died in august",  # the protests were in July
        "how many prisoners were released in march",
        "how many were released on new years eve",  # 31 December, not New Year's Day
        "what happened on new year's eve",
    ],
)
def test_a_month_or_day_the_facts_are_not_of_is_declined(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert not answer.answered, (answer.entry_id, answer.text)


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("how many were released on the first of january", "at least 87"),
        ("how many were freed on december twenty fifth", "99"),
        ("how many protesters died in july 2024", "28"),
    ],
)
def test_dates_in_words_are_understood(engine: Engine, question: str, figure: str) -> None:
    answer = engine.answer(question)
    assert answer.answered and figure in answer.text.lower(), (answer.entry_id, answer.text)


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("wheqe was the dock", "place"),  # a slip in the first word: a question word
        ("whwn did the blockade start", "date"),
        ("whwn did it start", "date"),
    ],
)
def test_a_slip_in_the_question_word_keeps_the_question(engine: Engine, question: str, intent: str) -> None:
    analysis = engine.index.lexicon.analyse(question, known_terms=engine.index.known_terms)
    assert analysis.intent is not None and analysis.intent.value == intent


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        ("what is the name of the prison they were freed from", True),  # which prison
        ("name the prison where the new year's day releases took place", True),
        ("what are the names of the prisoners freed on new year's day", False),  # names: not held
        ("como se llaman los presos liberados", False),
    ],
)
def test_the_name_of_one_thing_is_a_which_question(engine: Engine, question: str, answered: bool) -> None:
    answer = engine.answer(question)
    assert answer.answered is answered, (answer.entry_id, answer.text)
    if answered:
        assert "Tocorón" in answer.text


def test_a_phrasing_of_the_base_is_read_like_a_question(engine: Engine) -> None:
    """An editor's "Can you confirm how many were freed?" teaches "how many were freed", not "confirm"."""
    analysis = engine.index.lexicon.analyse("Can you confirm how many were freed on 1 January?")
    assert analysis.intent is not None and analysis.intent.value == "count"
    assert "confirm" not in analysis.terms


@pytest.mark.parametrize("word", ["row", "hot", "now", "whole", "quiet", "hiw"])
def test_real_words_are_not_read_as_question_words(word: str) -> None:
    """Only a slip that keeps the first letter, in a word of four letters or more, is one."""
    assert question_word_for(word) is None


@pytest.mark.parametrize(
    ("text", "either_or"),
    [
        ("2013 or 2012", True),
        ("61 right or was it 16", True),
        ("or 5", False),
        ("5 or", False),
        ("5 or more", False),
    ],
)
def test_either_or_figures(text: str, either_or: bool) -> None:
    assert either_or_figures(text) is either_or


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        ("who confirmed the 1 january releases after venezuela announced them?", True),  # a time clause
        ("who was venezuela's president before maduro", False),  # someone else held the role
        ("Trump was right to blockade the tankers?", False),  # a judgement
        ("can you confirm that 88 were released on 1 january?", True),  # a claim: corrected, not dropped
    ],
)
def test_relative_clauses_judgements_and_claims(engine: Engine, question: str, answered: bool) -> None:
    answer = engine.answer(question)
    assert answer.answered is answered, (answer.entry_id, answer.text)
    if "88" in question:
        assert "87" in answer.text


def test_a_words_frequency_is_wordfreqs_own() -> None:
    """`word_zipf` gives wordfreq's figure for a word its table lacks, for one it holds (wordfreq is
    asked once per frequency: the other words of that frequency get the same) and for any other."""
    from wordfreq import get_frequency_dict, zipf_frequency

    table = get_frequency_dict("es")
    same = [w for w, f in table.items() if f == table["liberados"] and w.isascii() and w.isalpha()][:40]
    words = ["released", "liberados", "zqxvb", "f123", "jan1", "tocorón", "covid19", *same]
    for lang in ("en", "es"):
        for word in words:
            assert word_zipf(word, lang) == zipf_frequency(word, lang), (word, lang)


@pytest.mark.parametrize("word", ["f1", "f123", "jan1", "covid19", "g20", "mp3", "freed2024", "prisoners1"])
def test_an_id_is_its_own_stem_in_either_language(word: str) -> None:
    """A word that ends in a digit is stemmed as itself, as either stemmer leaves it."""
    from bot.text import _SPANISH, _STEMMER, stem

    assert stem(word) == word == _STEMMER.stemWord(word) == _SPANISH.stemWord(word)
