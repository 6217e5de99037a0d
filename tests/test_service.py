"""The running service: reloads that only swap in a valid base, and reloads on a saved file."""

from __future__ import annotations

from pathlib import Path

from bot.questionlog import Origin
from bot.service import FactService
from tests.helpers import copy_real_base, write_base

NEW = """
  - id: test-gizmo
    topic: jan-1-release
    question: How many gizmos were handed out at Tocoron?
    answer: "{jan1-released} were released; the sources say nothing of gizmos."
"""


def test_reload_if_changed(tmp_path: Path) -> None:
    kb = copy_real_base(tmp_path / "knowledge")
    service = FactService.load(kb)
    origin = Origin("terminal")
    assert service.reload_if_changed() is None  # nothing saved yet
    assert not service.ask("How many gizmos were handed out at Tocoron?", origin).answered

    questions = kb / "venezuela-2026" / "questions.yaml"
    questions.write_text(questions.read_text(encoding="utf-8") + NEW, encoding="utf-8")
    result = service.reload_if_changed()
    assert result is not None and result.ok
    assert service.ask("How many gizmos were handed out at Tocoron?", origin).entry_id == "test-gizmo"

    engine_before = service.engine
    questions.write_text(questions.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
    result = service.reload_if_changed()
    assert result is not None and not result.ok
    assert any("questions.yaml" in p.file for p in result.problems)
    assert service.engine is engine_before  # the working base keeps answering
    assert service.reload_if_changed() is None  # a broken save is tried once, not on every tick


def test_a_refused_reload_counts_its_problems_in_words(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    service = FactService.load(kb)
    (kb / "extra.yaml").write_text("facts: [oops\n", encoding="utf-8")  # one problem
    result = service.reload()
    assert not result.ok and len(result.problems) == 1
    assert result.summary == "Reload refused: 1 problem; nothing changed."
    (kb / "more.yaml").write_text("facts: [oops\n", encoding="utf-8")
    assert service.reload().summary == "Reload refused: 2 problems; nothing changed."
