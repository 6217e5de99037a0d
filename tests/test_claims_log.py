"""Claims and translation gaps in the question log, and `misses --only` listing them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine import Engine
from bot.knowledge import load_base
from bot.questionlog import Origin, QuestionLog
from bot.service import FactService

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_base())


def test_claims_are_logged_with_their_verdict(engine: Engine, tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite3"
    log = QuestionLog(db, salt="s")
    log.open()
    service = FactService(engine, None, log)
    here = Origin("terminal")
    service.ask("so 90 got out on new year's day, yeah?", here)
    service.ask("Half of the people released on 1 January were women.", here)
    service.ask("How many people died in the protests?", here)
    log.close()
    rows = (
        sqlite3.connect(db)
        .execute("SELECT question, verdict, language FROM questions ORDER BY id")
        .fetchall()
    )
    assert [r[1] for r in rows] == ["contradicted", "unchecked", None]
    assert {r[2] for r in rows} == {"en"}


def test_misses_lists_unchecked_claims_and_translation_gaps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "q.sqlite3"
    log = QuestionLog(db, salt="s")
    log.open()
    for q in ("Half of the people released were women.", "half of those released were women"):
        log.record_question(
            q,
            Origin("terminal"),
            outcome="declined",
            confidence=0.1,
            best_entry=None,
            best_question=None,
            verdict="unchecked",
        )
    log.record_question(
        "¿cuántos murieron?",
        Origin("terminal"),
        outcome="answered",
        confidence=0.9,
        best_entry="protest-deaths",
        best_question="How many died?",
        language="en",
        untranslated=True,
    )
    log.close()
    monkeypatch.chdir(REPO)
    assert main(["misses", "--db", str(db), "--only", "claims", "--format", "json"]) == 0
    claims = capsys.readouterr().out
    assert "women" in claims and "cuántos" not in claims
    assert main(["misses", "--db", str(db), "--only", "translations", "--format", "json"]) == 0
    gaps = capsys.readouterr().out
    assert "cuántos" in gaps and "women" not in gaps
