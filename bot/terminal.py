"""The terminal front end: `ask` and `chat` print what the engine says, in the Discord replies' words."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from bot.engine import Answer, Engine
from bot.knowledge.base import KnowledgeBase
from bot.timeline import event_line, parse_bound, select_events

HELP = """Ask a question about the story, or type a command:
  /timeline [FROM] [TO] [TOPIC]   the story in date order (dates like 2025, 2025-12, 2025-12-25)
  /topics                         the topics /timeline can filter on
  /sources                        who the facts come from
  /about                          what this bot knows
  /help                           this text
  /quit                           leave (Ctrl-D works too)"""


def wrap(text: str, width: int | None) -> str:
    """`text` with every line longer than `width` broken between words, its indent kept on the lines
    it becomes; a word longer than the line stays whole. None: the text as it is."""
    if width is None:
        return text
    lines = []
    for line in text.split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        lines.append(
            textwrap.fill(
                line, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
            )
        )
    return "\n".join(lines)


def terminal_width(out: TextIO) -> int | None:
    """The width to wrap `out` at: its terminal's, less one column; None when it is not a terminal
    (a file or a pipe gets whole lines, for whatever reads it to wrap)."""
    try:
        if not out.isatty():
            return None
    except (AttributeError, ValueError):  # a closed or bare stream
        return None
    return max(shutil.get_terminal_size().columns - 1, 20)


def format_answer(answer: Answer) -> str:
    """An answer as a person reads it in a terminal."""
    lines = [answer.text]
    if answer.answered and answer.suggestions and answer.low_confidence:
        lines.append("Did you mean: " + " · ".join(s.question for s in answer.suggestions))
    return "\n".join(lines)


def ask_lines(
    engine: Engine, questions: Iterable[str], out: TextIO, *, as_json: bool, language: str | None = None
) -> int:
    """Answer one question per line, printing each result as soon as it is ready. `language` forces
    the answer's language; by default each question's own language decides."""
    for raw in questions:
        answer = engine.answer(raw.rstrip("\r\n"), language=language)
        if as_json:
            out.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
        else:
            out.write(format_answer(answer) + "\n\n")
        out.flush()
    return 0


def timeline_text(base: KnowledgeBase, start: str | None, end: str | None, topic: str | None) -> str:
    """The timeline as lines of text, or a message saying what was wrong with the filters."""
    try:
        lo, hi = parse_bound(start), parse_bound(end, end=True)
    except ValueError as exc:
        return f"Bad date: {exc}"
    if lo is not None and hi is not None and lo > hi:
        return after_message(start, end)
    topics = base.topics()
    if topic is not None and topic not in topics:
        return f"Unknown topic {topic!r}. Topics: {', '.join(topics)}"
    events = select_events(base, lo, hi, topic)
    if not events:
        return "No events in that range."
    return "\n".join(event_line(e) for e in events)


def after_message(start: str | None, end: str | None) -> str:
    """What is wrong with a --from later than its --to, as /timeline says it."""
    return f"Bad dates: from ({(start or '').strip()}) is after to ({(end or '').strip()})."


def about_text(base: KnowledgeBase) -> str:
    """The story, its as-of date and what the bot holds."""
    parts = []
    for story in base.stories:
        parts.append(f"{story.title}\n{story.summary}\nAs of {story.as_of.label()}.")
    parts.append(f"Knowledge base: {base.summary_line()}.")
    return "\n\n".join(parts)


def sources_text(base: KnowledgeBase) -> str:
    """Every source, its kind and, for publications, its date and the agencies it cites."""
    lines = []
    for s in base.sources.values():
        line = f"- {s.name} ({s.kind.label})"
        if s.published:
            line += f", {s.published.label()}"
        if s.via:
            line += ", citing " + ", ".join(base.sources[v].name for v in s.via)
        if s.description:
            line += f": {s.description}"
        lines.append(line)
    return "\n".join(lines)


def chat(
    engine: Engine,
    inp: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    ask: Callable[[str], Answer] | None = None,
    width: int | None = None,
) -> int:
    """An interactive session with line editing and history where the terminal allows it.

    `ask` answers a question (default: the engine's own); the CLI passes one that also logs it.
    What it prints is wrapped between words at `width` (default: the terminal's width, read again
    for each reply so a resized window is followed; no wrapping when `out` is not a terminal).
    """
    ask = ask or engine.answer

    def write(text: str) -> None:
        out.write(wrap(text, width if width is not None else terminal_width(out)))

    interactive = inp is sys.stdin and sys.stdin.isatty()
    history = Path.home() / ".factbot_history"
    if interactive:
        try:
            import readline

            readline.set_history_length(1000)
            if history.exists():
                readline.read_history_file(history)
        except (ImportError, OSError):
            pass  # no line editing on this platform: plain input still works
    base = engine.base
    title = base.stories[0].title if base.stories else "factbot"
    write(f"factbot — {title}\n{base.summary_line()}\nType a question, or /help. Ctrl-D to quit.\n\n")
    try:
        while True:
            try:
                line = input("you> ") if interactive else inp.readline()
            except EOFError:
                break
            except KeyboardInterrupt:
                out.write("\n")
                continue
            if not interactive and line == "":
                break
            line = line.strip()
            if not line:
                continue
            if line in {"/quit", "/exit", "quit", "exit"}:
                break
            write(_respond(engine, line, ask) + "\n\n")
            out.flush()
    finally:
        if interactive:
            try:
                import readline

                readline.write_history_file(history)
            except (ImportError, OSError):
                pass
    return 0


def _respond(engine: Engine, line: str, ask: Callable[[str], Answer]) -> str:
    base = engine.base
    if not line.startswith("/"):
        return "bot> " + format_answer(ask(line))
    command, *args = line.split()
    if command == "/help":
        return HELP
    if command == "/about":
        return about_text(base)
    if command == "/sources":
        return sources_text(base)
    if command == "/topics":
        return "\n".join(f"{tid}: {label}" for tid, label in base.topics().items())
    if command == "/timeline":
        topics = base.topics()
        topic = next((a for a in args if a in topics), None)
        dates = [a for a in args if a != topic]
        start = dates[0] if dates else None
        end = dates[1] if len(dates) > 1 else None
        return timeline_text(base, start, end, topic)
    return f"Unknown command {command}. " + HELP
