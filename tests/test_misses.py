"""The editors' to-do list: grouping of misses, rendering, and the `misses` CLI."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.misses import (
    CSV_COLUMNS,
    MissGroup,
    add_misses_parser,
    group_misses,
    normalise,
    parse_since,
    render_csv,
    render_json,
    render_table,
    run_misses,
)
from bot.questionlog import MissKind, MissRow, Origin, QuestionLog

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def row(
    question: str,
    kind: MissKind = "declined",
    *,
    minutes: int = 0,
    user: str | None = "u1",
    best_entry: str | None = None,
    confidence: float | None = None,
) -> MissRow:
    return MissRow(
        question=question,
        kind=kind,
        at=T0 + timedelta(minutes=minutes),
        user_hash=user,
        best_entry=best_entry,
        best_question=f"Q of {best_entry}" if best_entry else None,
        confidence=confidence,
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot")
    add_misses_parser(parser.add_subparsers(dest="command"))
    return parser


def run(argv: list[str], **kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_misses(make_parser().parse_args(["misses", *argv]), out=out, err=err, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A real log: three wordings of one miss, one different miss, one answered, one 👎."""
    path = tmp_path / "questions.sqlite3"
    clock = iter(T0 + timedelta(minutes=i) for i in range(100))
    qlog = QuestionLog(path, salt="s", now=lambda: next(clock), retention_days=None)
    for text, outcome, user in [
        ("how many prisoners were freed in cuba?", "declined", 1),
        ("How many prisoners were freed in Cuba", "declined", 2),
        ("how many prisoners were freed in cuba?", "low_confidence", 1),
        ("Who won the election?", "declined", 3),
        ("Who was released?", "answered", 4),
    ]:
        qlog.record_question(
            text,
            Origin("discord", user_id=user),
            outcome=outcome,
            confidence=0.3,
            best_entry="prisoners-freed",
            best_question="How many political prisoners were released?",
        )
    assert asyncio.run(
        qlog.record_feedback_async(
            message_id=1,
            question="Who was released?",
            entry_id="released",
            helpful=False,
            origin=Origin("terminal"),
        )
    )
    qlog.close()
    return path


# --- grouping ------------------------------------------------------------------------------------


def test_normalise_strips_case_accents_and_punctuation() -> None:
    assert normalise("  ¿Qué PASÓ con   los presos?! ") == "que paso con los presos"
    assert normalise("how many prisoners were freed in cuba?") == normalise(
        "How many prisoners were freed in Cuba"
    )


def test_near_identical_misses_group_and_different_ones_do_not() -> None:
    rows = [
        row("how many prisoners were freed in cuba?", user="a", minutes=1),
        row("How many prisoners were freed in Cuba", user="b", minutes=5),
        row("how many prisoners were freed in venezuela?", user="a", minutes=2),
        row("what happened to maduro", minutes=3),
        row("what happened to machado", minutes=4),
    ]
    groups = group_misses(rows)
    assert [g.count for g in groups] == [2, 1, 1, 1]
    cuba = groups[0]
    assert set(cuba.variants) == {
        "how many prisoners were freed in cuba?",
        "How many prisoners were freed in Cuba",
    }
    assert cuba.distinct_users == 2
    assert cuba.last_seen == T0 + timedelta(minutes=5)
    assert {g.representative for g in groups[1:]} == {
        "how many prisoners were freed in venezuela?",
        "what happened to maduro",
        "what happened to machado",
    }


def test_groups_are_ordered_by_count_then_recency_with_kinds() -> None:
    rows = [
        row("alpha question here", minutes=1),
        row("beta question there", "low_confidence", minutes=9),
        row("gamma", minutes=2),
        row("gamma", "not_helpful", minutes=3),
        row("gamma!", "low_confidence", minutes=4, user=None),
    ]
    groups = group_misses(rows)
    assert [g.representative for g in groups] == ["gamma", "beta question there", "alpha question here"]
    assert groups[0].kinds == ("declined", "low_confidence", "not_helpful")
    assert groups[0].variants == ("gamma", "gamma!")
    assert groups[0].distinct_users == 1  # the None user (terminal) is not counted


def test_closest_comes_from_callback_else_from_the_log() -> None:
    rows = [
        row("who freed them", best_entry="weak", confidence=0.2),
        row("who freed them?", best_entry="strong", confidence=0.6),
    ]
    (fallback,) = group_misses(rows)
    assert (fallback.closest_entry, fallback.closest_question, fallback.closest_score) == (
        "strong",
        "Q of strong",
        0.6,
    )

    asked: list[str] = []

    def closest(question: str) -> tuple[str | None, str | None, float]:
        asked.append(question)
        return ("released", "Who was released?", 0.71)

    (group,) = group_misses(rows, closest=closest)
    assert asked == [group.representative]
    assert (group.closest_entry, group.closest_question, group.closest_score) == (
        "released",
        "Who was released?",
        0.71,
    )


def test_empty_input() -> None:
    assert group_misses([]) == []
    assert "No misses" in render_table([])
    assert json.loads(render_json([])) == []
    assert list(csv.reader(io.StringIO(render_csv([])))) == [list(CSV_COLUMNS)]


# --- rendering -----------------------------------------------------------------------------------


def sample_groups() -> list[MissGroup]:
    rows = [
        row('Cuba, "prisoners"; how many?', user="a", best_entry="prisoners-freed", confidence=0.4),
        row('cuba "prisoners" how many', "not_helpful", user="b", minutes=3),
        row("Qué pasó en Caracas?", "low_confidence", minutes=1),
    ]
    return group_misses(rows)


def test_json_parses_back() -> None:
    groups = sample_groups()
    data = json.loads(render_json(groups))
    assert [d["representative"] for d in data] == [g.representative for g in groups]
    first = data[0]
    assert first["count"] == 2
    assert first["kinds"] == ["declined", "not_helpful"]
    assert len(first["variants"]) == 2
    assert datetime.fromisoformat(first["last_seen"]) == T0 + timedelta(minutes=3)
    assert first["closest_entry"] == "prisoners-freed"
    assert data[1]["representative"] == "Qué pasó en Caracas?"


def test_csv_parses_back() -> None:
    groups = sample_groups()
    records = list(csv.DictReader(io.StringIO(render_csv(groups))))
    assert len(records) == 2
    first = records[0]
    assert first["representative"] == groups[0].representative  # commas and quotes survive
    assert int(first["count"]) == 2
    assert first["kinds"].split(" | ") == ["declined", "not_helpful"]
    assert set(first["variants"].split(" | ")) == set(groups[0].variants)
    assert float(first["closest_score"]) == pytest.approx(0.4)
    assert records[1]["closest_entry"] == ""


def test_table_is_fixed_width() -> None:
    long = "why " * 40 + "?"
    rows = [
        row(long),
        row("short one", minutes=1, best_entry="e", confidence=0.5),
        row("all kinds", minutes=2),
        row("all kinds", "low_confidence", minutes=2),
        row("all kinds", "not_helpful", minutes=2),
    ]
    text = render_table(group_misses(rows), width=40)
    lines = text.splitlines()
    assert lines[0].startswith("  #  Count  Users  Last seen (UTC)")
    start = lines[0].index("Question")
    assert all(len(line) <= start + 40 for line in lines[2:])
    # Every row's question starts in the Question column, whatever the kinds.
    for line in lines[2:]:
        assert line[start - 2 : start] == "  " and line[start] != " ", line
    assert "declined+low-conf+unhelpful" in text
    assert "…" in text
    assert "closest: e 0.50" in text


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        make_parser().parse_args(["misses", "--help"])
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    assert "python -m bot misses --since" in help_text
    assert "--format {csv,json,table}" in help_text


def test_cli_declined_question_appears_in_misses(db: Path) -> None:
    code, out, _ = run(["--db", str(db), "--format", "json"])
    assert code == 0
    data = json.loads(out)
    by_rep = {d["representative"].lower(): d for d in data}
    cuba = by_rep["how many prisoners were freed in cuba?"]
    assert cuba["count"] == 3
    assert cuba["distinct_users"] == 2
    assert cuba["kinds"] == ["declined", "low_confidence"]
    assert "who won the election?" in by_rep
    assert by_rep["who was released?"]["kinds"] == ["not_helpful"]  # answered, but 👎
    assert data[0] is cuba


def test_cli_closest_seam_limit_since_and_table(db: Path) -> None:
    def closest(question: str) -> tuple[str | None, str | None, float]:
        return ("entry-x", "An existing question?", 0.5)

    code, out, _ = run(["--db", str(db), "--limit", "1"], closest=closest)
    assert code == 0
    assert "how many prisoners were freed in cuba?" in out
    assert "Who won the election?" not in out
    assert "closest: entry-x 0.50" in out

    code, out, _ = run(["--db", str(db), "--format", "csv", "--since", "2026-01-10T12:03"])
    assert code == 0
    reps = [r["representative"] for r in csv.DictReader(io.StringIO(out))]
    assert reps == ["Who was released?", "Who won the election?"]


def test_cli_without_a_database_is_friendly(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "questions.sqlite3"
    code, out, _ = run(["--db", str(missing)])
    assert code == 0
    assert "No questions logged yet" in out
    code, out, err = run(["--db", str(missing), "--format", "json"])
    assert (code, json.loads(out)) == (0, [])
    assert "No questions logged yet" in err
    assert not missing.exists()


def test_cli_unreadable_database_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "questions.sqlite3"
    bad.write_bytes(b"garbage" * 500)
    code, _, err = run(["--db", str(bad)])
    assert code == 1
    assert "Cannot read the question log" in err


def test_parse_since() -> None:
    assert parse_since("2026-01-05") == datetime(2026, 1, 5, tzinfo=UTC)
    assert parse_since("2026-01-05T14:00+01:00") == datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
    assert parse_since("7d", now=T0) == T0 - timedelta(days=7)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_since("last tuesday")


# --- what askers typed is shown, never obeyed ----------------------------------------------------

HOSTILE = [
    "\x1b]0;owned\x07\x1b[2J\x1b[31mred question",  # set the title, clear the screen, colour
    "how many \x9b31m prisoners",  # a C1 control sequence introducer
    "it was \u202e78\u202c right?",  # shows as 87 in a bidi-aware terminal
    "line one\u2028line two\x7f",
]
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def hostile_groups() -> list[MissGroup]:
    rows = [row(q, minutes=i, best_entry="e\x1b[0m", confidence=0.3) for i, q in enumerate(HOSTILE)]
    return group_misses(rows, threshold=100)


@pytest.mark.parametrize("render", [render_table, render_json, render_csv], ids=["table", "json", "csv"])
def test_control_and_bidi_characters_are_escaped_in_every_format(render: object) -> None:
    text = render(hostile_groups())  # type: ignore[operator]
    assert not RAW_CONTROLS.search(text), repr(text)


def test_the_table_shows_what_was_typed_as_escapes() -> None:
    text = render_table(hostile_groups(), width=200)
    assert "\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred question" in text
    assert "it was \\u202e78\\u202c right?" in text
    assert "closest: e\\x1b[0m" in text


def test_json_still_reads_back_exactly() -> None:
    data = json.loads(render_json(hostile_groups()))
    assert sorted(d["representative"] for d in data) == sorted(q.strip() for q in HOSTILE)


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_no_csv_cell_starts_a_formula(lead: str) -> None:
    question = f'{lead}HYPERLINK("http://evil.example","click")'
    rows = [row(question, best_entry=f"{lead}entry", confidence=0.2)]
    records = list(csv.reader(io.StringIO(render_csv(group_misses(rows)))))
    for cell in records[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    if lead.strip():  # a leading tab or CR is stripped with the rest of the whitespace
        assert records[1][0] == "'" + question  # quoted, not changed


def test_an_ordinary_csv_cell_is_unchanged() -> None:
    records = list(csv.DictReader(io.StringIO(render_csv(group_misses([row("Who won in 2024?")])))))
    assert records[0]["representative"] == "Who won in 2024?"


def test_parse_since_refuses_a_date_before_the_year_one() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="before the year 1"):
        parse_since("9999999999999d", now=T0)
