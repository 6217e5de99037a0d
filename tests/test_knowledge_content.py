"""The real base: loads, and holds every figure and date of the source with its qualifier and a source."""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeBase, PartialDate, load_base


@pytest.fixture(scope="module")
def base() -> KnowledgeBase:
    return load_base()


# (amount, qualifier as the source phrased it or None for a bare figure)
FIGURES = [
    (87, "at least"),
    (99, None),
    (61, "only"),
    (28, None),
    (2400, "around"),
    (2000, "more than"),
    (700, "more than"),
    (100, "more than"),
]


@pytest.mark.parametrize(("amount", "qualifier"), FIGURES)
def test_every_figure_keeps_its_qualifier_and_source(
    base: KnowledgeBase, amount: int, qualifier: str | None
) -> None:
    facts = [f for f in base.facts.values() if f.amount == amount]
    assert facts, f"no fact gives {amount}"
    for fact in facts:
        assert fact.qualifier == qualifier
        assert fact.value is not None
        if qualifier:
            assert fact.value.lower().startswith(qualifier)
        assert fact.sources and all(a.source in base.sources for a in fact.sources)


@pytest.mark.parametrize("date", ["2013", "2024-07", "2025-09", "2025-12-16", "2025-12-25", "2026-01-01"])
def test_every_date_is_in_the_base(base: KnowledgeBase, date: str) -> None:
    wanted = PartialDate.parse(date)
    assert any(f.when() == wanted and f.sources for f in base.facts.values())
    assert any(e.date == wanted for e in base.events) or date == "2013" or wanted.year == 2013


def test_disputed_figures_stand_side_by_side(base: KnowledgeBase) -> None:
    announced, confirmed = base.facts["dec25-announced"], base.facts["dec25-confirmed"]
    assert "dec25-confirmed" in announced.conflicts_with and "dec25-announced" in confirmed.conflicts_with
    assert base.sources[announced.sources[0].source].kind.value == "government"
    assert base.sources[confirmed.sources[0].source].name == "Foro Penal"


def test_source_chain_is_recorded(base: KnowledgeBase) -> None:
    jan1 = base.facts["jan1-released"]
    committee = jan1.sources[0]
    assert base.sources[committee.source].name == "Committee for the Freedom of Political Prisoners"
    assert committee.medium == "social-media post"
    assert [base.sources[v].name for v in committee.via] == ["AFP", "TASR"]


def test_discrepancy_inside_the_source_is_noted(base: KnowledgeBase) -> None:
    note = base.facts["jan1-time-in-prison"].note or ""
    assert "One year" in note and "a year and a half" in note


def test_every_answer_cites_a_sourced_fact(base: KnowledgeBase) -> None:
    for qa in base.questions.values():
        cited = qa.cited_facts()
        assert cited, qa.id
        assert all(base.facts[f].sources for f in cited)


def test_events_are_in_date_order(base: KnowledgeBase) -> None:
    dates = [e.date for e in base.events]
    assert dates == sorted(dates)
