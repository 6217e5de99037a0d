"""The terminal front end as a person sees it: chat lines wrapped between words at the terminal's width."""

from __future__ import annotations

import io
import os

import pytest

from bot import terminal
from bot.engine import Engine

QUESTION = "How many political prisoners were released on 1 January?"


def test_chat_wraps_its_replies_at_the_width_without_splitting_words(shared_engine: Engine) -> None:
    out = io.StringIO()
    terminal.chat(shared_engine, inp=io.StringIO(QUESTION + "\n/help\n"), out=out, width=40)
    text = out.getvalue()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 40, text
    answer = shared_engine.answer(QUESTION)
    # every word of the answer is printed whole, in order: only the line breaks moved
    assert "bot> " + " ".join(answer.text.split()) in " ".join(text.split())
    assert "/timeline [FROM] [TO] [TOPIC]" in text  # /help's lines too


def test_wrap_keeps_a_line_that_fits_and_a_word_longer_than_the_line() -> None:
    assert terminal.wrap("short line\n  indented and long enough to wrap", 20) == (
        "short line\n  indented and long\n  enough to wrap"
    )
    url = "https://example.org/" + "x" * 40
    assert terminal.wrap(f"see {url} now", 20) == f"see\n{url}\nnow"
    assert terminal.wrap("a b c " * 30, None) == "a b c " * 30


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_chat_on_a_terminal_wraps_at_its_width(
    shared_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.terminal.shutil.get_terminal_size", lambda *a: os.terminal_size((50, 24)))
    out = _Tty()
    terminal.chat(shared_engine, inp=io.StringIO(QUESTION + "\n"), out=out)
    assert max(len(line) for line in out.getvalue().splitlines()) <= 49
    piped = io.StringIO()  # a file or a pipe: whole lines, for whatever reads them to wrap
    terminal.chat(shared_engine, inp=io.StringIO(QUESTION + "\n"), out=piped)
    assert max(len(line) for line in piped.getvalue().splitlines()) > 50


def test_the_terminal_timeline_says_when_from_is_after_to(shared_engine: Engine) -> None:
    text = terminal.timeline_text(shared_engine.base, "2026", "2025", None)
    assert text == "Bad dates: from (2026) is after to (2025)."
