"""What the question log stores and hands back: origins, miss rows, counts, and stored text forms.

Shared by the writer (`bot.questionlog.writer`) and the reads (`bot.questionlog.reads`), so that both
agree on timestamps, outcomes and what a row means, whichever database holds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

DEFAULT_DB_PATH: Final = Path("data/questions.sqlite3")
"""Where the bot keeps its log unless configured otherwise (relative to the working directory)."""

Outcome = Literal["answered", "low_confidence", "declined"]
MissKind = Literal["declined", "low_confidence", "not_helpful", "unchecked_claim", "untranslated"]
MissFilter = Literal["all", "claims", "translations"]
VERDICTS: Final[tuple[str, ...]] = ("supported", "contradicted", "disputed", "unchecked")
OUTCOMES: Final[tuple[str, ...]] = ("answered", "low_confidence", "declined")

MAX_RETENTION_DAYS: Final = 36_500
"""A hundred years: far beyond any privacy policy, and well inside what dates can represent."""

TS_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"
"""Fixed-width UTC timestamps, so that comparing the stored text compares the instants (on SQLite
and PostgreSQL alike: both store them as text, so one query means the same on both)."""

_INT64: Final = range(-(2**63), 2**63)
_SURROGATES: Final = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Origin:
    """Where a question came from. `where` is the front end: "discord", "terminal", ..."""

    where: str
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    """Hashed with the log's salt before it is stored; the raw id never reaches the disk."""


@dataclass(frozen=True)
class MissRow:
    """One thing the bot did not answer well: a declined or low-confidence question, or a 👎 click."""

    question: str
    kind: MissKind
    at: datetime
    user_hash: str | None
    best_entry: str | None = None
    best_question: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class LogStats:
    """Counts over a period. `top_misses` are groups of near-duplicate misses, as `misses` groups
    them: (the group's representative wording, how many misses, how many wordings)."""

    answered: int = 0
    low_confidence: int = 0
    declined: int = 0
    helpful: int = 0
    not_helpful: int = 0
    distinct_users: int = 0
    top_misses: tuple[tuple[str, int, int], ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        """Questions asked in the period."""
        return self.answered + self.low_confidence + self.declined


@dataclass(frozen=True)
class ProcessRow:
    """A process of the cluster as it last reported itself."""

    name: str
    base_version: str
    refused: bool
    """Its knowledge files on disk do not validate: it answers from an older, working base."""
    shards: str | None
    seen_at: datetime


def utcnow() -> datetime:
    """The log's default clock."""
    return datetime.now(UTC)


def ts(moment: datetime) -> str:
    """Store as UTC text; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(TS_FORMAT)


def parse_ts(text: str) -> datetime:
    """The instant a stored timestamp names."""
    return datetime.strptime(text, TS_FORMAT).replace(tzinfo=UTC)


def storable_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD, so that it encodes as UTF-8.

    Surrogates reach Python strings from undecodable input (`\\xff` read from a terminal with the
    surrogateescape handler); neither database can store them, and one must not stop the log.
    PostgreSQL also refuses NUL in text, so it becomes U+FFFD as well.
    """
    return _SURROGATES.sub("\ufffd", text).replace("\x00", "\ufffd")


def optional_text(text: str | None) -> str | None:
    """`storable_text`, keeping None."""
    return None if text is None else storable_text(str(text))


def int64(value: int | None) -> int | None:
    """An id both databases can store (a signed 64-bit integer), else None."""
    if value is None:
        return None
    number = int(value)
    return number if number in _INT64 else None
