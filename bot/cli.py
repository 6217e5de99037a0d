"""`python -m bot` / `factbot`: every front end and editors' tool as a subcommand.

One parser; each subcommand names its handler with `set_defaults(func=...)`, and `main` calls it.
Handlers get what they need from `bot.app` (settings, question log, engine, service). Only `run` and
`sync` import discord, when they run: `ask` and the other terminal commands never pay for it.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from bot import __version__
from bot.app import EXIT_CONFIG, App, load_settings
from bot.config import ConfigError, Settings
from bot.knowledge import KnowledgeBase, KnowledgeError, load_base, warning_lines
from bot.misses import add_misses_parser, run_misses
from bot.questionlog import is_postgres

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.timeline import TimelineFilter

READING_STDIN = "Reading questions from standard input, one per line (Ctrl-D to end)."
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
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "ask",
        help="answer one question, or one per line from standard input",
        formatter_class=raw,
        description="Answer a question as the bot would. Without QUESTION, reads one question per "
        "line from standard input and prints one result per line.",
        epilog='Examples:\n  python -m bot ask "how many ppl got out on new years day"\n'
        '  python -m bot ask --json "Who won the 2024 election?"\n'
        '  python -m bot ask --lang es "How many died in the protests?"\n'
        "  printf 'q1\\nq2\\n' | python -m bot ask --json",
    )
    p.add_argument("question", nargs="*", help="the question (quote it)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    p.add_argument(
        "--explain",
        action="store_true",
        help="show the signals of the top entries and why the engine answered or declined",
    )
    p.add_argument(
        "--lang",
        choices=["en", "es"],
        default=None,
        metavar="LANG",
        help="answer in this language: en or es (default: the question's own language)",
    )
    _knowledge_arg(p)
    p.set_defaults(func=_cmd_ask)

    p = sub.add_parser(
        "check-claims",
        help="check the claims of each message in a file (one message per line)",
        formatter_class=raw,
        description="For each line of FILE (or standard input), find up to 3 claims the sources can "
        "check and print each with its verdict (supported, contradicted, disputed) and sources.",
        epilog="Examples:\n  python -m bot check-claims rumours.txt\n"
        "  python -m bot check-claims --json rumours.txt > verdicts.jsonl\n"
        "  echo 'so 90 got out on new year, yeah?' | python -m bot check-claims",
    )
    p.add_argument("file", nargs="?", type=Path, default=None, help="one message per line (default: stdin)")
    p.add_argument("--json", action="store_true", help="one JSON object per message")
    _knowledge_arg(p)
    p.set_defaults(func=_cmd_check_claims)

    p = sub.add_parser(
        "calibrate",
        help="refit the answer decision on the labelled question sets",
        formatter_class=raw,
        description="Fit the logistic model that turns the matcher's named signals into the probability "
        "of being right, and its threshold, on every question set under --sets; write it to "
        "bot/engine/calibration.json. --loso also scores each set with a model fitted on the others.",
        epilog="Examples:\n  python -m bot calibrate\n  python -m bot calibrate --loso --dry-run\n"
        "  python -m bot calibrate --sets tests/data --loso --extra ../shared/eval/dev_questions.yaml",
    )
    p.add_argument("--sets", type=Path, default=Path("tests/data"), metavar="DIR", help="labelled sets")
    p.add_argument("--loso", action="store_true", help="report leave-one-set-out scores")
    p.add_argument("--dry-run", action="store_true", help="do not write the calibration file")
    p.add_argument(
        "--extra", type=Path, nargs="*", default=[], metavar="FILE", help="sets to score, never fitted on"
    )
    _knowledge_arg(p)
    p.set_defaults(func=_cmd_calibrate)

    p = sub.add_parser(
        "chat",
        help="interactive terminal chat with the same answers as Discord",
        formatter_class=raw,
        description="Ask questions in a terminal session; /help lists commands.",
        epilog="Example:\n  python -m bot chat   (then type: /timeline 2025-12)",
    )
    _knowledge_arg(p)
    p.set_defaults(func=_cmd_chat)

    p = sub.add_parser(
        "timeline",
        help="the story's events in date order",
        formatter_class=raw,
        description="Print the timeline, optionally filtered by dates and topic; or write it as a "
        "picture to share (--png) or as TimelineJS JSON for a website (--format timelinejs).",
        epilog="Examples:\n  python -m bot timeline\n  python -m bot timeline --from 2025-12 "
        "--to 2026-01-01\n  python -m bot timeline --topic us-venezuela --json\n"
        "  python -m bot timeline --png docs/timeline.png\n"
        "  python -m bot timeline --format timelinejs > timeline.json",
    )
    p.add_argument("--from", dest="start", metavar="DATE", help="first date: 2025, 2025-12 or 2025-12-25")
    p.add_argument("--to", dest="end", metavar="DATE", help="last date, same forms")
    p.add_argument("--topic", help="only this topic (see `python -m bot timeline --topics`)")
    p.add_argument("--topics", action="store_true", help="list the topics and exit")
    p.add_argument(
        "--budget", type=int, metavar="CHARS", help="print only the events that fit in CHARS characters"
    )
    p.add_argument("--json", action="store_true", help="print the events as JSON (same as --format json)")
    p.add_argument(
        "--format",
        choices=("text", "json", "timelinejs"),
        help="text (default), json, or timelinejs: Knight Lab TimelineJS3 JSON to embed on a website",
    )
    p.add_argument(
        "--png",
        type=Path,
        metavar="FILE",
        help="write the timeline as a PNG picture to FILE (as /timeline shows)",
    )
    p.add_argument(
        "--width",
        type=int,
        default=1080,
        metavar="PX",
        help="width of the --png picture (default 1080, at least 800)",
    )
    _knowledge_arg(p)
    p.set_defaults(func=_cmd_timeline)

    add_misses_parser(sub)
    sub.choices["misses"].set_defaults(func=_cmd_misses)

    p = sub.add_parser(
        "run",
        help="start the Discord bot",
        formatter_class=raw,
        description="Start the Discord bot with the settings in the environment and .env.",
        epilog="Examples:\n  cp .env.example .env   # then set DISCORD_TOKEN\n  python -m bot run\n"
        "  FACTBOT_LOG_LEVEL=DEBUG python -m bot run --env-file prod.env\n\n"
        "Stop with Ctrl-C or SIGTERM: the question log is flushed and closed first.",
    )
    _discord_args(p)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "sync",
        help="push the slash-command definitions to Discord now",
        formatter_class=raw,
        description="Sync the slash commands even if they look unchanged. `run` already syncs when the "
        "definitions changed: to FACTBOT_DEV_GUILD_ID if set (instant), else globally.",
        epilog="Examples:\n"
        "  python -m bot sync            # dev guild if FACTBOT_DEV_GUILD_ID is set, else global\n"
        "  python -m bot sync --global   # global even with a dev guild (may take up to an hour to show)",
    )
    _discord_args(p)
    p.add_argument(
        "--global",
        dest="sync_global",
        action="store_true",
        help="sync globally even when FACTBOT_DEV_GUILD_ID is set",
    )
    p.set_defaults(func=_cmd_sync)
    return parser


def _discord_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        metavar="FILE",
        help="settings file read after the environment (default: .env; real variables win)",
    )
    _knowledge_arg(parser)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:  # a usage mistake, as argparse treats one: help, status 2
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    try:
        code: int = args.func(args)
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
    """The settings every terminal command shares (environment, then .env); None after one line on
    stderr. The token is not needed here."""
    knowledge = getattr(args, "knowledge", None) or getattr(args, "path", None)
    try:
        settings = load_settings(knowledge=knowledge)
    except ConfigError as exc:
        print(f"factbot: {exc}", file=sys.stderr)
        return None
    for notice in settings.notices:
        print(f"factbot: warning: {notice}", file=sys.stderr)
    return settings


def _engine_app(args: argparse.Namespace) -> tuple[App, Engine] | int:
    """Settings, the app (no question log yet) and its engine for a terminal command; or the exit
    code after saying what is wrong. SIGTERM then ends the command through `finally` blocks."""
    settings = _settings(args)
    if settings is None:
        return EXIT_CONFIG
    app = App.start(settings, log_questions=False)
    engine = _engine(app)
    if engine is None:
        return 1
    _exit_on_sigterm()
    return app, engine


def _cmd_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return EXIT_CONFIG if settings is None else _check(settings.knowledge_path)


def _cmd_misses(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return EXIT_CONFIG if settings is None else _misses(args, settings)


def _cmd_check_claims(args: argparse.Namespace) -> int:
    started = _engine_app(args)
    if isinstance(started, int):
        return started
    _, engine = started
    from bot.checkclaims import check_lines

    if args.file is None:
        return check_lines(engine, sys.stdin, sys.stdout, as_json=args.json)
    try:
        with args.file.open(encoding="utf-8", errors="replace") as fh:
            return check_lines(engine, fh, sys.stdout, as_json=args.json)
    except OSError as exc:
        print(f"Cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1


def _cmd_calibrate(args: argparse.Namespace) -> int:
    started = _engine_app(args)
    return started if isinstance(started, int) else _calibrate(started[1], args)


def _cmd_ask(args: argparse.Namespace) -> int:
    started = _engine_app(args)
    if isinstance(started, int):
        return started
    _, engine = started
    from bot import terminal

    if not args.question and sys.stdin is not None and sys.stdin.isatty():  # else it looks hung
        print(READING_STDIN, file=sys.stderr)
    if args.explain:
        from bot.explain import explain

        question = " ".join(args.question) if args.question else sys.stdin.readline()
        sys.stdout.write(explain(engine, question) + "\n")
        return 0
    if args.question:
        return terminal.ask_lines(
            engine, [" ".join(args.question)], sys.stdout, as_json=args.json, language=args.lang
        )
    return terminal.ask_lines(engine, sys.stdin, sys.stdout, as_json=args.json, language=args.lang)


def _cmd_chat(args: argparse.Namespace) -> int:
    started = _engine_app(args)
    return started if isinstance(started, int) else _chat(*started)


def _cmd_timeline(args: argparse.Namespace) -> int:
    started = _engine_app(args)
    return started if isinstance(started, int) else _timeline(started[1].base, args)


def _discord_settings(args: argparse.Namespace) -> Settings | None:
    """Settings for `run` and `sync` (the token required, --env-file and --knowledge applied), with
    discord.py's logging set up; None after one line on stderr."""
    try:
        settings = load_settings(env_file=args.env_file, knowledge=args.knowledge, require_token=True)
    except ConfigError as exc:
        print(f"factbot: {exc}", file=sys.stderr)
        return None
    from bot.discord_app.client import setup_logging

    setup_logging(settings)
    return settings


def _cmd_run(args: argparse.Namespace) -> int:
    """`run`: settings, question log, knowledge, then the bot until SIGTERM/SIGINT."""
    settings = _discord_settings(args)
    if settings is None:
        return EXIT_CONFIG
    from bot.discord_app import runner

    try:
        app = App.start(settings)
    except OSError as exc:  # e.g. the salt file cannot be written
        print(f"factbot: cannot prepare {settings.state_dir}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    with app:  # closed after the bot stops, so everything answered is on disk
        return runner.run_bot(app)


def _cmd_sync(args: argparse.Namespace) -> int:
    """`sync`: log in, sync the command tree whether or not it changed, log out."""
    settings = _discord_settings(args)
    if settings is None:
        return EXIT_CONFIG
    from bot.discord_app import runner

    with App.start(settings, log_questions=False) as app:
        return runner.sync_bot(app, "global" if args.sync_global else "auto")


def _calibrate(engine: Engine, args: argparse.Namespace) -> int:
    from bot import calibrate
    from bot.engine.decision import CALIBRATION_PATH
    from bot.evalsets import score

    paths = calibrate.question_sets(args.sets)
    if not paths:
        print(f"No question sets under {args.sets}.", file=sys.stderr)
        return 1
    fitted = calibrate.fit_sets(engine, paths)
    print(f"Fitted on {len(paths)} sets; threshold {fitted.threshold:.3f} ({fitted.target}).")
    if args.loso:
        for name, result in calibrate.leave_one_set_out(engine, paths).items():
            print(f"  left out {name:<34} {result.accuracy:.3f} of {result.total}, {len(result.wrong)} wrong")
    for extra in args.extra:
        result = score(engine.with_calibration(fitted), extra)
        print(
            f"  not fitted {extra.name:<31} {result.accuracy:.3f} of {result.total},"
            f" {len(result.wrong)} wrong"
        )
    if not args.dry_run:
        CALIBRATION_PATH.write_text(json.dumps(fitted.to_json(), indent=2) + "\n", encoding="utf-8")
        print(f"Wrote {CALIBRATION_PATH}.")
    return 0


def _misses(args: argparse.Namespace, settings: Settings) -> int:
    """`misses` reads the log every other command writes: --db, else FACTBOT_DATABASE_URL or
    FACTBOT_DB_PATH (and .env)."""
    if args.db is None:
        if settings.database is None:
            print("The question log is off (FACTBOT_DB_PATH=off): there is nothing to read.", file=sys.stderr)
            return 1
        args.db = settings.database
    if not is_postgres(args.db) and not Path(args.db).is_file():  # nothing to group: say so, no engine
        return run_misses(args)
    engine = _engine(App.start(settings, log_questions=False))
    return run_misses(args, closest=engine.closest if engine is not None else None)


def _engine(app: App) -> Engine | None:
    try:
        return app.engine()
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return None


def _chat(app: App, engine: Engine) -> int:
    """The terminal chat, logging what it could not answer like the Discord bot does."""
    from bot.questionlog import Origin
    from bot.terminal import chat

    try:
        app.open_log()
    except OSError as exc:  # logging is optional: the chat still answers
        print(f"(question log off: {exc})", file=sys.stderr)
    service = app.service(engine)
    origin = Origin("terminal")
    with app:
        return chat(engine, ask=lambda q: service.ask(q, origin))


def _check(path: Path | None) -> int:
    try:
        base = load_base(path)
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    from bot.engine.language import vocabulary_conflicts
    from bot.knowledge.translations import gap_warnings

    for warning in vocabulary_conflicts(base.synonyms, base.contrasts):
        print(f"warning: vocabulary: {warning}", file=sys.stderr)
    print(f"OK: {base.summary_line()}, {len(base.synonyms)} synonym groups, in {len(base.files)} files.")
    # an editor's lock file, not loaded; entries missing a translation in a declared language
    for line in warning_lines([*base.warnings, *gap_warnings(base)]):
        print(line, file=sys.stderr)
    return 0


def _timeline(base: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.terminal import timeline_text
    from bot.timeline import summarize

    if args.topics:
        for tid, label in base.topics().items():
            print(f"{tid}: {label}")
        return 0
    fmt = args.format or ("json" if args.json else "text")
    if args.png is not None:
        # The picture alone, unless a format for standard output is asked for as well.
        status = _timeline_png(base, args)
        if status or (args.format is None and not args.json):
            return status
    if fmt == "text":
        text = timeline_text(base, args.start, args.end, args.topic)
        failed = text.startswith(("Bad date", "Unknown topic"))
        if args.budget is not None and not failed:
            text = "\n".join(summarize(text.splitlines(), max(args.budget, 1)))
        print(text)
        return 1 if failed else 0
    filters = _timeline_filter(base, args)
    if filters is None:
        return 1
    if fmt == "timelinejs":
        from bot.timelinejs import timelinejs

        print(json.dumps(timelinejs(base, filters), ensure_ascii=False, indent=2))
        return 0
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
                for e in filters.events(base)
            ],
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0


def _timeline_filter(base: KnowledgeBase, args: argparse.Namespace) -> TimelineFilter | None:
    """--from, --to and --topic checked; None (with the reason on stderr) when one is wrong."""
    from bot.terminal import after_message
    from bot.timeline import TimelineFilter

    try:
        filters = TimelineFilter.parse(args.start, args.end, args.topic)
    except ValueError as exc:
        print(f"Bad date: {exc}", file=sys.stderr)
        return None
    low, high = filters.bounds()
    if low is not None and high is not None and low > high:
        print(after_message(args.start, args.end), file=sys.stderr)
        return None
    if filters.topic is not None and filters.topic not in base.topics():
        print(f"Unknown topic {filters.topic!r}. Topics: {', '.join(base.topics())}", file=sys.stderr)
        return None
    return filters


def _timeline_png(base: KnowledgeBase, args: argparse.Namespace) -> int:
    """Write the picture; say where, how big, and what it shows (on stderr, so stdout stays data)."""
    from bot.timeline_image import FontMissingError, render_timeline

    path, width = args.png, args.width
    filters = _timeline_filter(base, args)
    if filters is None:
        return 1
    if width < 800:
        print(f"--width {width}: the picture must be at least 800 px wide", file=sys.stderr)
        return 2
    try:
        picture = render_timeline(base, filters, width=width)
    except FontMissingError as exc:
        print(f"Cannot draw the picture: {exc}", file=sys.stderr)
        return 1
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(picture.png)
    except OSError as exc:
        print(f"Cannot write {path}: {exc}", file=sys.stderr)
        return 1
    shown = f"{picture.events} events" + (
        f" (the latest of {picture.total_events})" if picture.total_events > picture.events else ""
    )
    print(
        f"Wrote {path}: {picture.width}×{picture.height} px, {len(picture.png) / 1024:.0f} KiB, {shown}.",
        file=sys.stderr,
    )
    return 0
