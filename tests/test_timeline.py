"""The timeline: date order, filters, and summaries and pages that fit a budget."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.knowledge import KnowledgeBase, load_base
from bot.timeline import event_line, paginate, parse_bound, select_events, summarize


@pytest.fixture(scope="module")
def base() -> KnowledgeBase:
    return load_base()


def test_events_in_date_order_with_filters(base: KnowledgeBase) -> None:
    every = select_events(base)
    assert [e.date for e in every] == sorted(e.date for e in every)
    december = select_events(base, parse_bound("2025-12"), parse_bound("2025-12", end=True))
    assert {e.id for e in december} == {"tanker-blockade", "christmas-release"}
    us = select_events(base, topic="us-venezuela")
    assert us and all(e.topic == "us-venezuela" for e in us)
    assert select_events(base, dt.date(2030, 1, 1)) == []


def test_a_month_or_year_bound_covers_the_whole_period(base: KnowledgeBase) -> None:
    assert parse_bound("2024") == dt.date(2024, 1, 1)
    assert parse_bound("2024", end=True) == dt.date(2024, 12, 31)
    assert parse_bound("2024-02", end=True) == dt.date(2024, 2, 29)
    july = select_events(base, parse_bound("2024-07-28"), parse_bound("2024-07-28", end=True))
    assert any(e.id == "election-july-2024" for e in july)  # a July event overlaps 28 July


@pytest.mark.parametrize("bad", ["yesterday", "2025-13", "2025-02-30", "99"])
def test_bad_bounds_are_explained(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_bound(bad)
    assert bad in str(info.value)


def test_summary_fits_the_budget(base: KnowledgeBase) -> None:
    lines = [event_line(e) for e in select_events(base)]
    for budget in (1, 40, 200, 500, 10_000):
        kept = summarize(lines, budget)
        assert len("\n".join(kept)) <= budget
        assert kept == lines[: len(kept)] or (len(kept) == 1 and kept[0].endswith("…"))
    assert summarize(lines, 10_000) == lines


def test_pages_fit_and_keep_every_line_once(base: KnowledgeBase) -> None:
    lines = [event_line(e) for e in select_events(base)]
    pages = paginate(lines, 300, first_page_budget=150, max_lines=3)
    assert [line for page in pages for line in page] == lines
    assert all(len(page) <= 3 for page in pages)
    assert all(len("\n".join(p)) <= 300 or len(p) == 1 for p in pages)
    assert len("\n".join(pages[0])) <= 150 or len(pages[0]) == 1
    assert paginate([], 100) == [[]]
