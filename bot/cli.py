"""`python -m bot` / `factbot`: every front end and editors' tool as a subcommand."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from bot import __version__
from bot.config import ConfigError, Settings
from bot.knowledge import KnowledgeBase, KnowledgeError, load_base
from bot.misses import add_misses_parser, run_misses

if TYPE_CHECKING:
    from bot.engine import Engine

EXIT_CONFIG = 2
_OUTPUT_ERRORS = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EPIPE})


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake told in one line (the usage itself is one --help away)."""

    def error(self, message: str) -> NoReturn:
        """Print `prog: message` and exit 2, as argparse does, without the multi-line usage."""
        self.exit(EXIT_CONFIG, f"{self.prog}: {message} (see {self.prog} --help)\n")


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
    parser: argparse.ArgumentParser = _Parser(
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
        code = _dispatch(args)
        sys.stdout.flush()  # a full disk is reported here, in one line, not at interpreter exit
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `| head` closed the pipe: not an error worth a traceback
        _discard_stdout()
        return 0
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRORS:
            raise
        _discard_stdout()
        print(f"factbot: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real stdout (embedded, tests): nothing will flush it
        pass


def _exit_on_sigterm() -> None:
    """SIGTERM (`kill`, `docker stop`, systemd) ends a terminal command like Ctrl-C would: through
    SystemExit, so `finally` blocks run (the question log is closed, answers already printed are
    flushed), instead of the process vanishing mid-write."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    with contextlib.suppress(ValueError):  # not the main thread: the embedding program's handlers decide
        signal.signal(signal.SIGTERM, stop)


def _settings(args: argparse.Namespace) -> Settings | None:
    """The settings every command shares (environment, then .env); None after one line on stderr."""
    try:
        settings = Settings.from_env(require_token=False)
    except ConfigError as exc:
        print(f"factbot: {exc}", file=sys.stderr)
        return None
    for notice in settings.notices:
        print(f"factbot: warning: {notice}", file=sys.stderr)
    knowledge = getattr(args, "knowledge", None) or getattr(args, "path", None)
    if knowledge is not None:
        settings = replace(settings, knowledge_path=knowledge)
    return settings


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in {"run", "sync"}:
        from bot.discord_app import cli as discord_cli

        return discord_cli.run(args) if args.command == "run" else discord_cli.sync(args)
    settings = _settings(args)
    if settings is None:
        return EXIT_CONFIG
    if args.command == "check":
        return _check(settings.knowledge_path)
    if args.command == "misses":
        return _misses(args, settings)
    engine = _engine(settings)
    if engine is None:
        return 1
    from bot import terminal

    _exit_on_sigterm()
    if args.command == "ask":
        if args.question:
            return terminal.ask_lines(engine, [" ".join(args.question)], sys.stdout, as_json=args.json)
        return terminal.ask_lines(engine, sys.stdin, sys.stdout, as_json=args.json)
    if args.command == "chat":
        return _chat(engine, settings)
    if args.command == "timeline":
        return _timeline(engine.base, args)
    raise AssertionError(args.command)


def _misses(args: argparse.Namespace, settings: Settings) -> int:
    """`misses` reads the log every other command writes: --db, else FACTBOT_DB_PATH (and .env)."""
    if args.db is None:
        if settings.db_path is None:
            print("The question log is off (FACTBOT_DB_PATH=off): there is nothing to read.", file=sys.stderr)
            return 1
        args.db = settings.db_path
    if not Path(args.db).is_file():  # nothing to group: say so without loading the engine
        return run_misses(args)
    engine = _engine(settings)
    return run_misses(args, closest=engine.closest if engine is not None else None)


def _engine(settings: Settings) -> Engine | None:
    from bot.snapshot import load_engine

    try:
        return load_engine(settings.knowledge_path, cache=settings.snapshot_cache)
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return None


def _chat(engine: Engine, settings: Settings) -> int:
    """The terminal chat, logging what it could not answer like the Discord bot does."""
    from bot.config import open_question_log
    from bot.questionlog import Origin
    from bot.service import FactService
    from bot.terminal import chat

    questions = None
    try:
        questions = open_question_log(settings)
    except OSError as exc:  # logging is optional: the chat still answers
        print(f"(question log off: {exc})", file=sys.stderr)
    service = FactService(engine, settings.knowledge_path, questions, settings.snapshot_cache)
    origin = Origin("terminal")
    try:
        return chat(engine, ask=lambda q: service.ask(q, origin))
    finally:
        if questions is not None:
            questions.close()


def _check(path: Path | None) -> int:
    try:
        base = load_base(path)
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    print(f"OK: {base.summary_line()}, {len(base.synonyms)} synonym groups, in {len(base.files)} files.")
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
