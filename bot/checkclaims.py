"""`python -m bot check-claims FILE`: a newsroom's batch of rumours, one message per line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from bot.engine import Answer, Engine
from bot.engine.claims import checkable
from bot.engine.compose import verdict_line

NO_CLAIM = "Nothing to check: no figure, date or fact of the story my sources settle."


def check_lines(engine: Engine, messages: Iterable[str], out: TextIO, *, as_json: bool) -> int:
    """Check each message's claims; print one block (or one JSON line) per message, in order."""
    for number, raw in enumerate(messages, 1):
        message = raw.rstrip("\r\n")
        if not message.strip():
            continue
        answers = checkable(message, engine.answer)
        if as_json:
            out.write(json.dumps(_as_json(number, message, answers), ensure_ascii=False) + "\n")
        else:
            out.write(_as_text(number, message, answers) + "\n\n")
        out.flush()
    return 0


def _as_json(number: int, message: str, answers: list[Answer]) -> dict[str, object]:
    return {
        "line": number,
        "message": message,
        "claims": [{"claim": a.question, **a.to_json()} for a in answers],
    }


def _as_text(number: int, message: str, answers: list[Answer]) -> str:
    lines = [f"{number}: {message[:200]}"]
    if not answers:
        lines.append(f"  {NO_CLAIM}")
    for a in answers:
        lines.append(f"  • {a.question[:200]}")
        if a.verdict is not None:
            lines.append(f"    {verdict_line(a.verdict)}")
        lines.append(f"    {a.body.splitlines()[0] if a.body else ''}")
        lines.append("    Sources: " + "; ".join(c.chain_text() for c in a.citations))
    return "\n".join(lines)
