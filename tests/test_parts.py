"""A question in two parts is answered in two parts, or not at all."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.engine.parts import split_parts
from bot.knowledge import load_base


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "How many died and how many were detained during the post-election protests?",
            [
                "How many died during the post-election protests",
                "how many were detained during the post-election protests",
            ],
        ),
        (
            "how many died in the protests and how many were arrested?",
            ["how many died in the protests", "how many were arrested in the protests"],
        ),
        ("who confirmed the 87 and when", None),  # "and when" follows the first question up
        ("what happened in venezuela", None),
        ("how many were freed and released", None),  # one question with two verbs
    ],
)
def test_split_parts(question: str, parts: list[str] | None) -> None:
    assert split_parts(question) == parts


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_base())


def test_both_parts_are_answered_with_both_figures_and_their_sources(engine: Engine) -> None:
    answer = engine.answer("How many died and how many were detained during the post-election protests?")
    assert answer.answered
    assert "28 people" in answer.text and "2,400" in answer.text
    assert answer.text.count("Source") == 1  # one source line for the whole answer
    assert {f.id for f in answer.facts} >= {"protest-deaths", "protest-detentions"}


def test_half_an_answer_is_no_answer(engine: Engine) -> None:
    """If one part cannot be answered the whole is declined: a partial answer reads like a full one."""
    answer = engine.answer("How many died in the protests and how many were born in 2013?")
    assert not answer.answered
