"""Parsing the cluster settings (issue 15): FACTBOT_SHARD_IDS and FACTBOT_DATABASE_URL.

Plain functions that raise ValueError with what was expected, so that the pydantic-settings
validators of `bot.config` can name the variable. A URL is never repeated in a message: it may hold
a password.

This module imports no other part of factbot, so `bot.config` can use it without importing the
question log; `bot.questionlog` takes `is_postgres` from here, so both read a URL alike.
"""

from __future__ import annotations

import re
from typing import Final

MAX_SHARD_ID: Final = 999
"""Shard ids run below FACTBOT_SHARD_COUNT, which is at most 1,000 (`bot.config.MAX_SHARDS`)."""

_PG_PREFIXES: Final = ("postgresql://", "postgres://")


def is_postgres(database: object) -> bool:
    """True for a `postgresql://` (or `postgres://`) URL."""
    return isinstance(database, str) and database.strip().lower().startswith(_PG_PREFIXES)


def parse_shard_ids(raw: str) -> tuple[int, ...]:
    """'0-3' or '0,2' or '0-1,4': the shard ids, sorted, each once."""
    expected = f"expected shard ids such as 0-3 or 0,2 (each from 0 to {MAX_SHARD_ID}), not {raw[:40]!r}"
    ids: set[int] = set()
    for part in raw.split(","):
        match = re.fullmatch(r"\s*([0-9]{1,4})\s*(?:-\s*([0-9]{1,4})\s*)?", part)
        if not match:
            raise ValueError(expected)
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if low > high or high > MAX_SHARD_ID:
            raise ValueError(expected)
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def parse_database_url(raw: str) -> str:
    """A postgresql:// URL, or a SQLite path; another scheme is a mistake worth naming."""
    if is_postgres(raw):
        return raw
    scheme = re.match(r"^([a-z][a-z0-9+.-]*)://", raw, flags=re.IGNORECASE)
    if scheme:
        # The scheme alone is safe to repeat; what follows it may hold a password.
        raise ValueError(
            "expected postgresql://user:password@host:port/database or a SQLite file path, "
            f"not a {scheme.group(1)[:20]}:// URL"
        )
    return raw
