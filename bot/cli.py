"""`python -m bot` / `factbot`: every front end and editors' tool as a subcommand."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.knowledge import KnowledgeBase, KnowledgeError, load_base, warning_lines
from bot.misses import add_misses_parser, run_misses

if TYPE_CHECKING:
    from bot.engine import Engine


def _knowledge_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--knowledge",
        type=Path,
        default=None,
        metavar="PATH",
        help="knowledge directory or file (default: knowledge/ or $FACTBOT_KNOWLEDGE_PATH)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="factbot: answers questions about a news story from a curated, sourced YAML fact base.",
        epilog='Example: python -m bot ask "How many prisoners were released on 1 January?"',
    )
    parser.add_argument("--version", action="version", version=f"factbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    raw = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "check",
        help="validate the knowledge base and print its counts",
        formatter_class=raw,
        description="Validate every *.yaml file; list every problem with file, line and entry.",
        epilog="Example:\n  python -m bot check\n  python -m bot check knowledge/venezuela-2026",
    )
    p.add_argument("path", nargs="?", type=Path, default=None, help="directory or file (default: knowledge/)")

    p = sub.add_parser(
        "ask",
        help="answer one question, or one per line from standard input",
        formatter_class=raw,
        description="Answer a question as the bot would. Without QUESTION, reads one question per "
        "line from standard input and prints one result per line.",
        epilog='Examples:\n  python -m bot ask "how many ppl got out on new years day"\n'
        '  python -m bot ask --json "Who won the 2024 election?"\n'
        "  printf 'q1\\nq2\\n' | python -m bot ask --json",
    )
    p.add_argument("question", nargs="*", help="the question (quote it)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    _knowledge_arg(p)

    p = sub.add_parser(
        "chat",
        help="interactive terminal chat with the same answers as Discord",
        formatter_class=raw,
        description="Ask questions in a terminal session; /help lists commands.",
        epilog="Example:\n  python -m bot chat   (then type: /timeline 2025-12)",
    )
    _knowledge_arg(p)

    p = sub.add_parser(
        "timeline",
        help="the story's events in date order",
        formatter_class=raw,
        description="Print the timeline, optionally filtered by dates and topic.",
        epilog="Examples:\n  python -m bot timeline\n  python -m bot timeline --from 2025-12 "
        "--to 2026-01-01\n  python -m bot timeline --topic us-venezuela --json",
    )
    p.add_argument("--from", dest="start", metavar="DATE", help="first date: 2025, 2025-12 or 2025-12-25")
    p.add_argument("--to", dest="end", metavar="DATE", help="last date, same forms")
    p.add_argument("--topic", help="only this topic (see `python -m bot timeline --topics`)")
    p.add_argument("--topics", action="store_true", help="list the topics and exit")
    p.add_argument(
        "--budget", type=int, metavar="CHARS", help="print only the events that fit in CHARS characters"
    )
    p.add_argument("--json", action="store_true", help="print the events as JSON")
    _knowledge_arg(p)

    add_misses_parser(sub)
    _add_discord_parsers(sub)
    return parser


def _add_discord_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.discord_app.cli import add_run_parser, add_sync_parser

    add_run_parser(sub)
    add_sync_parser(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `| head` closed the pipe: not an error worth a traceback
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check":
        return _check(args.path)
    if args.command == "misses":
        return run_misses(args, closest=_closest_or_none(getattr(args, "knowledge", None)))
    if args.command in {"run", "sync"}:
        from bot.discord_app import cli as discord_cli

        return discord_cli.run(args) if args.command == "run" else discord_cli.sync(args)
    engine = _engine(args.knowledge)
    if engine is None:
        return 1
    from bot import terminal

    if args.command == "ask":
        if args.question:
            return terminal.ask_lines(engine, [" ".join(args.question)], sys.stdout, as_json=args.json)
        return terminal.ask_lines(engine, sys.stdin, sys.stdout, as_json=args.json)
    if args.command == "chat":
        return _chat(engine, args.knowledge)
    if args.command == "timeline":
        return _timeline(engine.base, args)
    raise AssertionError(args.command)


def _load(path: Path | None) -> KnowledgeBase:
    return load_base(_knowledge_path(path))


def _knowledge_path(path: Path | None) -> Path | None:
    env = os.environ.get("FACTBOT_KNOWLEDGE_PATH")
    return path or (Path(env) if env else None)


def _engine(path: Path | None) -> Engine | None:
    from bot.snapshot import cache_dir_from_env, load_engine

    try:
        return load_engine(_knowledge_path(path), cache_dir=cache_dir_from_env())
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return None


def _closest_or_none(path: Path | None) -> Callable[[str], tuple[str | None, str | None, float]] | None:
    engine = _engine(path)
    return engine.closest if engine is not None else None


def _chat(engine: Engine, knowledge: Path | None) -> int:
    """The terminal chat, logging what it could not answer like the Discord bot does."""
    from bot.config import ConfigError, Settings, open_question_log
    from bot.questionlog import Origin
    from bot.service import FactService
    from bot.snapshot import cache_dir_from_env
    from bot.terminal import chat

    questions = None
    try:
        questions = open_question_log(Settings.from_env(require_token=False))
    except (ConfigError, OSError) as exc:  # logging is optional: the chat still answers
        print(f"(question log off: {exc})", file=sys.stderr)
    service = FactService(engine, _knowledge_path(knowledge), questions, cache_dir_from_env())
    origin = Origin("terminal")
    try:
        return chat(engine, ask=lambda q: service.ask(q, origin))
    finally:
        if questions is not None:
            questions.close()


def _check(path: Path | None) -> int:
    try:
        base = _load(path)
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    print(f"OK: {base.summary_line()}, {len(base.synonyms)} synonym groups, in {len(base.files)} files.")
    for line in warning_lines(base.warnings):  # e.g. an editor's lock file, not loaded
        print(line, file=sys.stderr)
    return 0


def _timeline(base: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.terminal import timeline_text
    from bot.timeline import parse_bound, select_events, summarize

    if args.topics:
        for tid, label in base.topics().items():
            print(f"{tid}: {label}")
        return 0
    if not args.json:
        text = timeline_text(base, args.start, args.end, args.topic)
        failed = text.startswith(("Bad date", "Unknown topic"))
        if args.budget is not None and not failed:
            text = "\n".join(summarize(text.splitlines(), max(args.budget, 1)))
        print(text)
        return 1 if failed else 0
    try:
        events = select_events(base, parse_bound(args.start), parse_bound(args.end, end=True), args.topic)
    except ValueError as exc:
        print(f"Bad date: {exc}", file=sys.stderr)
        return 1
    print(
        json.dumps(
            [
                {
                    "date": e.date.iso(),
                    "date_label": e.date.label(),
                    "title": e.title,
                    "summary": e.summary,
                    "topic": e.topic,
                    "facts": e.facts,
                }
                for e in events
            ],
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0
