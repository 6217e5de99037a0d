"""The editors' to-do list: what the bot could not answer, near-duplicates grouped, most asked first.

`python -m bot misses` reads the question log (read-only, so it is safe while the bot runs) and prints
one group per thing people keep asking: a representative wording, its variants, how often and by how
many people, when last, how it went wrong (declined / low confidence / not helpful) and the closest
existing entry, so an editor can decide between "add an entry" and "add a phrasing to that entry".

What askers typed is shown, never obeyed: terminal control characters (escape sequences, C1 codes)
and bidirectional overrides are printed as `\x1b`-style escapes in every format, and no CSV cell
starts with `=`, `+`, `-`, `@`, tab or carriage return, which spreadsheets would run as a formula.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final, TextIO

from bot.questionlog import DEFAULT_DB_PATH, Database, is_postgres, read_miss_rows, redact
from bot.questionlog.grouping import DEFAULT_THRESHOLD as DEFAULT_THRESHOLD
from bot.questionlog.grouping import KINDS as KINDS
from bot.questionlog.grouping import Closest as Closest
from bot.questionlog.grouping import MissGroup as MissGroup
from bot.questionlog.grouping import group_misses as group_misses
from bot.questionlog.grouping import normalise as normalise

_TABLE_KINDS: Final[dict[str, str]] = {
    "declined": "declined",
    "low_confidence": "low-conf",
    "not_helpful": "unhelpful",
}
"""Short labels so that all three fit the table's kind column ("declined+low-conf+unhelpful")."""
_KIND_WIDTH: Final = 27

_UNSAFE = re.compile(
    # C0 and C1 controls and DEL (terminal escape sequences), bidirectional embeddings, overrides,
    # isolates and marks (which reorder what is shown: "78" displayed as "87"), line/paragraph separators
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
# json.dumps already escapes C0 controls inside strings; outside strings it writes only "\n" and spaces
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every terminal control and bidi character shown as an escape: what was typed,
    made visible, never acted on by the terminal that prints it."""
    return _UNSAFE.sub(_escape_char, text)


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: `printable`, and a leading formula character quoted with
    an apostrophe (OWASP's advice against CSV injection)."""
    text = printable(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


# --- rendering -----------------------------------------------------------------------------------


def _clip(text: str, width: int) -> str:
    text = printable(" ".join(text.split()))  # a multi-line question must not break the table
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(groups: Sequence[MissGroup], *, width: int = 60) -> str:
    """Fixed-width text for a terminal: one line per group, a second line for variants and entry."""
    if not groups:
        return "No misses: every logged question was answered.\n"
    header = (
        f"{'#':>3}  {'Count':>5}  {'Users':>5}  {'Last seen (UTC)':<16}  {'Kind':<{_KIND_WIDTH}}  Question"
    )
    lines = [header, "-" * (len(header) + width - len("Question"))]
    indent = " " * (3 + 2 + 5 + 2 + 5 + 2 + 16 + 2 + _KIND_WIDTH + 2)
    for n, group in enumerate(groups, 1):
        kinds = "+".join(_TABLE_KINDS[k] for k in group.kinds)
        seen = group.last_seen.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        lines.append(
            f"{n:>3}  {group.count:>5}  {group.distinct_users:>5}  {seen:<16}  {kinds:<{_KIND_WIDTH}}  "
            f"{_clip(group.representative, width)}"
        )
        details: list[str] = []
        if len(group.variants) > 1:
            details.append(f"{len(group.variants)} wordings")
        if group.closest_entry:
            score = f" {group.closest_score:.2f}" if group.closest_score is not None else ""
            details.append(f"closest: {group.closest_entry}{score}")
        if details:
            lines.append(indent + _clip(" · ".join(details), width))
        if group.closest_question:
            lines.append(indent + _clip(f'"{group.closest_question}"', width))
    return "\n".join(lines) + "\n"


def render_json(groups: Sequence[MissGroup]) -> str:
    """A JSON array of groups (see `MissGroup.to_json`); control and bidi characters as \\u escapes,
    so the text reads back exactly but cannot act on the terminal that shows it."""
    text = json.dumps([g.to_json() for g in groups], indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


CSV_COLUMNS: Final = (
    "representative",
    "count",
    "distinct_users",
    "last_seen",
    "kinds",
    "variants",
    "closest_entry",
    "closest_question",
    "closest_score",
)


def render_csv(groups: Sequence[MissGroup]) -> str:
    """CSV with a header row; list cells are joined with ' | ' (kinds, variants) for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in groups:
        writer.writerow(
            [
                csv_cell(g.representative),
                g.count,
                g.distinct_users,
                g.last_seen.astimezone(UTC).isoformat(),
                " | ".join(g.kinds),
                csv_cell(" | ".join(g.variants)),
                csv_cell(g.closest_entry or ""),
                csv_cell(g.closest_question or ""),
                "" if g.closest_score is None else f"{g.closest_score:.4f}",
            ]
        )
    return out.getvalue()


RENDERERS: Final[dict[str, Callable[[Sequence[MissGroup]], str]]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
}

# --- CLI -----------------------------------------------------------------------------------------

_EPILOG = """\
Examples:
  python -m bot misses                          the 20 most frequent misses, all time
  python -m bot misses --since 7d --limit 50    the last week
  python -m bot misses --since 2026-01-01 --format csv > misses.csv

--since takes a date or date-time (UTC unless it has an offset) or N days ago as "Nd".
"""


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """'2026-01-05', '2026-01-05T14:00', '2026-01-05T14:00+01:00' or '7d' (7 days ago), as UTC."""
    value = text.strip()
    days = re.fullmatch(r"(\d+)\s*d", value, flags=re.IGNORECASE)
    if days:
        try:
            return (now or datetime.now(UTC)) - timedelta(days=int(days.group(1)))
        except OverflowError:  # before the year 1: a typo, not a wish for everything
            raise argparse.ArgumentTypeError(f"{text!r} reaches back before the year 1") from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date, date-time or 'Nd': {text!r}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 0 <= value <= 100:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be from 0 to 100, not {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (no limit) or more")
    return value


def _database(text: str) -> Path | str:
    """--db: a SQLite file, or a postgresql:// URL (kept as typed: a Path would fold its '//')."""
    return text if is_postgres(text) else Path(text)


def add_misses_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `misses` sub-command; the caller dispatches to `run_misses(args, closest=...)`."""
    parser = subparsers.add_parser(
        "misses",
        help="list what the bot could not answer, grouped, most asked first",
        # Pre-wrapped: RawDescriptionHelpFormatter keeps the epilog's layout, and this text with it.
        description=(
            "List declined, low-confidence and 'not helpful' questions from the question log,\n"
            "near-duplicates grouped, with the closest existing entry: the editors' to-do list."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--since", type=parse_since, metavar="DATE", help="only misses since DATE")
    parser.add_argument(
        "--limit", type=_positive_int, default=20, metavar="N", help="show the N biggest groups (0: all)"
    )
    parser.add_argument("--format", choices=sorted(RENDERERS), default="table", help="output format")
    parser.add_argument(
        "--db",
        type=_database,
        default=None,
        metavar="PATH",
        help="question log: a SQLite file or a postgresql:// URL (default: FACTBOT_DATABASE_URL, else "
        f"FACTBOT_DB_PATH, from the environment or .env, else {DEFAULT_DB_PATH})",
    )
    parser.add_argument(
        "--only",
        choices=["all", "claims", "translations"],
        default="all",
        help="claims: claims the sources could not settle; translations: answers given in English "
        "to someone asking in another language",
    )
    parser.add_argument(
        "--threshold",
        type=_threshold,
        default=DEFAULT_THRESHOLD,
        metavar="0-100",
        help=f"similarity needed to group two questions (default {DEFAULT_THRESHOLD:g})",
    )


def run_misses(
    args: argparse.Namespace,
    closest: Closest | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run `misses`; returns the exit code. `closest` is the engine's nearest-entry lookup, if loaded."""
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    fmt: str = getattr(args, "format", "table")
    raw_db = getattr(args, "db", None) or DEFAULT_DB_PATH
    if is_postgres(raw_db):
        return _print_groups(str(raw_db), args, closest, stdout, stderr)
    db = Path(raw_db)

    if db.exists() and not db.is_file():
        kind = "a directory" if db.is_dir() else "not a regular file"
        print(f"Cannot read the question log {db}: it is {kind}, not a database file.", file=stderr)
        return 1
    if not db.exists():
        message = f"No questions logged yet ({db} does not exist)."
        if fmt == "table":
            print(message, file=stdout)
        else:
            # Machine formats still get a valid, empty document on stdout.
            print(message, file=stderr)
            stdout.write(RENDERERS[fmt]([]))
        return 0
    return _print_groups(db, args, closest, stdout, stderr)


def _print_groups(
    db: Database,
    args: argparse.Namespace,
    closest: Closest | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    fmt: str = getattr(args, "format", "table")
    since: datetime | None = getattr(args, "since", None)
    limit: int = getattr(args, "limit", 20)
    threshold: float = getattr(args, "threshold", DEFAULT_THRESHOLD)
    try:
        rows = read_miss_rows(db, since, only=getattr(args, "only", "all"))
    except Exception as exc:  # sqlite3.Error or psycopg.Error: the reader says why, in one line
        if not _is_database_error(exc):
            raise
        print(f"Cannot read the question log {redact(db)}: {exc}", file=stderr)
        return 1

    groups = group_misses(rows, closest=closest, threshold=threshold)
    if limit:
        groups = groups[:limit]
    stdout.write(RENDERERS[fmt](groups))
    return 0


def _is_database_error(exc: Exception) -> bool:
    if isinstance(exc, sqlite3.Error):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency
        return False
    return isinstance(exc, psycopg.Error)
