"""Each guard against a wrong figure, named for the class of question it protects, over several wordings."""

from __future__ import annotations

import pytest

from bot.engine import Engine, VerdictKind
from bot.engine.language import all_languages, is_common
from bot.knowledge import load_base


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_base())


@pytest.mark.parametrize(
    "question",
    [
        "how many protesters died in may?",
        "how many people were killed in the protests in may",
        "how many died during march?",
        "how many prisoners were released in march",
        "did people die in the protests since may?",
    ],
)
def test_may_and_march_after_a_preposition_are_months(engine: Engine, question: str) -> None:
    """The protests were in July: a question about another month gets no July figure."""
    assert not engine.answer(question).answered


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("tell us how many died in the protests", "28"),
        ("can you tell us how many people died in the protests", "28"),
        ("let us know how many were detained in the protests", "2,400"),
        ("give us the number of deaths in the protests", "28"),
    ],
)
def test_the_pronoun_us_is_not_the_united_states(engine: Engine, question: str, figure: str) -> None:
    answer = engine.answer(question)
    assert answer.answered and figure in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "what did the US strike in Venezuela?",
        "what did the us strike in venezuela",
        "what did the U.S. destroy in Venezuela",
    ],
)
def test_the_us_in_capitals_or_after_the_is_the_united_states(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.answered and "dock" in answer.text.lower()


@pytest.mark.parametrize(
    "question",
    [
        "how many political prisoners were released in total?",
        "how many people have been freed overall?",
        "how many detainees have been released altogether",
        "cuántos han sido liberados en total",
    ],
)
def test_a_running_total_is_not_one_release(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    text = answer.text.lower()
    assert "at least 87" not in text and "al menos 87" not in text and "99" not in text.split("\n")[0]
    if answer.answered:
        assert "more than 2,000" in text or "más de 2000" in text


@pytest.mark.parametrize(
    "question",
    [
        "is it true 66 were released on jan 1?",
        "so 66 got out on new year's day, yeah?",
        "i heard 66 people were freed from tocoron on january 1",
        "why did they free 80 people from Tocorón?",
    ],
)
def test_a_wrong_figure_in_a_claim_is_never_confirmed(engine: Engine, question: str) -> None:
    """The wrong figure is either corrected with the sourced one, or the question is declined."""
    answer = engine.answer(question)
    if answer.answered:
        assert "at least 87" in answer.text.lower()
        assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED
        assert answer.text.startswith("Contradicted:")


@pytest.mark.parametrize(
    "question",
    [
        "my neighbour told me lmao how many ppl got out on new years day",
        "asking for a friend: how many people got out on new years day",
        "ngl idk how many people got out on new years day",
        "honestly, for real, how many people got out on new years day?",
    ],
)
def test_chatter_around_a_question_does_not_sink_it(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.answered and "at least 87" in answer.text.lower()


@pytest.mark.parametrize(
    "question",
    [
        "what percentage of the detainees have been released so far?",
        "what percent of the 2,400 detained were freed",
        "what share of the 99 did Foro Penal confirm?",
        "Is Trump right that Maduro's government funds narco-terrorism?",
    ],
)
def test_shares_worked_out_and_judgements_are_declined(engine: Engine, question: str) -> None:
    assert not engine.answer(question).answered


def test_everyday_words_are_common_and_names_are_not() -> None:
    assert is_common("neighbour") and is_common("honestly") and is_common("vecino")
    assert not is_common("tocoron") and not is_common("detaned") and not is_common("1874839201")


def test_language_data_loads_for_every_language() -> None:
    for data in all_languages():
        assert data.function_words and data.months and data.places
        assert set(data.acronym_homographs) <= set(data.function_words)


def test_check_warns_of_synonyms_that_are_function_words() -> None:
    from bot.engine.language import vocabulary_conflicts

    warnings = vocabulary_conflicts([["us", "united states", "usa"], ["people", "lmao"], ["prison", "jail"]])
    assert any('"us"' in w and "capitals" in w for w in warnings)
    assert any('"lmao"' in w and "chatter" in w for w in warnings)
    assert not any("jail" in w for w in warnings)


def test_check_warns_of_a_synonym_group_holding_two_values_of_a_kind() -> None:
    """ "guardia nacional" in the group of "police" would read a claim about the national guard as
    one about the police: the editor is told which values, of which kind."""
    from bot.engine.language import vocabulary_conflicts

    contrasts = {"venue": [["harbour"], ["airport", "aeropuerto"]]}
    warnings = vocabulary_conflicts([["police", "Guardia Nacional"], ["harbour", "Aeropuerto"]], contrasts)
    assert any('"force"' in w and "guardia nacional" in w.casefold() for w in warnings), warnings
    assert any('"venue"' in w and "Aeropuerto" in w for w in warnings), warnings
    assert not vocabulary_conflicts([["police", "cops"], ["harbour", "port"]], contrasts)
