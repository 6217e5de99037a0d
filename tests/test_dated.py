"""Questions about a date are answered from the timeline, with the events' sources."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.engine.dated import date_query
from bot.knowledge import load_base


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_base())


@pytest.mark.parametrize(
    ("question", "events", "words"),
    [
        ("what happened on dec 16", ["tanker-blockade"], ["blockade", "16 December 2025"]),
        ("¿qué pasó el 16 de diciembre?", ["tanker-blockade"], ["bloqueo", "16 de diciembre de 2025"]),
        ("what happened on the 25th of december 2025", ["christmas-release"], ["99"]),
        ("what happened in july 2024", ["election-july-2024", "protests-2024"], ["28", "2,400"]),
        ("what went on in september 2025", ["us-ship-attacks-begin"], ["Caribbean"]),
        ("dec 16?", ["tanker-blockade"], ["blockade"]),
    ],
)
def test_what_happened_on_a_date(engine: Engine, question: str, events: list[str], words: list[str]) -> None:
    answer = engine.answer(question)
    assert answer.answered and answer.entry_id == f"event:{events[0]}", answer.text
    for event_id in events:
        event = next(e for e in engine.base.events if e.id == event_id)
        assert event.text(answer.language)[0] in answer.text
    for word in words:
        assert word in answer.text
    assert answer.citations and all(c.source for c in answer.citations)


@pytest.mark.parametrize(
    "question",
    [
        "what happened on dec 20",  # nothing dated that day
        "what happened on 16 december 2024",  # the blockade was in 2025
        "what happened on 5 september 2025",  # the attacks began "in September": no day to match
    ],
)
def test_a_date_the_timeline_lacks_is_declined(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert not answer.answered, answer.text


@pytest.mark.parametrize(
    "question",
    [
        "when was the blockade announced",  # a question about an event, not a date
        "what happened in venezuela",
        "how many were freed on january 1",
        "2024",
    ],
)
def test_only_questions_about_a_date_itself_go_to_the_timeline(engine: Engine, question: str) -> None:
    analysis = engine.index.lexicon.analyse(question, known_terms=engine.index.known_terms)
    assert date_query(analysis) is None


@pytest.mark.parametrize(
    "question",
    [
        "what happened on date1",  # typed, not made by the date reader: no crash, no date
        "date9 happened",
        "what happened after christmas?",  # another date than the one named
        "que paso despues del 16 de diciembre",
        "what happened before 16 december",
        "what will happen on 1 january?",  # a prediction
        "why did things happen on 16 december",  # not a list of events
        "what happened on 16 december and in january",  # two dates at once
    ],
)
def test_what_the_timeline_does_not_answer(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert not (answer.entry_id or "").startswith("event:"), answer.text
