"""Grouping near-duplicate misses: the one rule `misses` and `/stats` share.

Ten typings of one question ("how many were freed in cuba", "How many prisoners were freed in Cuba?")
are one thing the editors should add, so both list them once, with a count.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from rapidfuzz import fuzz, process

from bot.questionlog.records import MissRow

Closest = Callable[[str], tuple[str | None, str | None, float]]
"""Given a question, the closest fact-base entry: (entry id, its question, score in 0..1)."""

DEFAULT_THRESHOLD: Final = 90.0
"""Minimum `token_sort_ratio` (0-100) on normalised text for two questions to share a group.

`token_sort_ratio` ignores word order and, after normalisation, case, accents and punctuation;
the rest is edit distance. Measured on typical questions:
  100   "how many prisoners were freed in cuba?" / "How many prisoners were freed in Cuba"
  97-99 the same with one typo ("prisonres", "prisoner"); 92 for "who is madruo" / "who is maduro"
  89    "what happened to maduro" / "... machado";  89 "who is the president" / "... vice president"
  88    "how many prisoners were freed" / "... freed in cuba";  81 "... in cuba" / "... in venezuela"
90 keeps typos and re-orderings together while the 88-89 pairs, which are different questions,
stay apart. Merging two different questions would hide one from the editors, whereas splitting
one question only costs an extra line, so the threshold errs high.
"""

KINDS: Final = ("declined", "low_confidence", "not_helpful")
"""The ways a question can be missed, in the order they are listed."""

_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: 'Qué pasó?' -> 'que paso'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", _PUNCT.sub(" ", without_marks).replace("_", " ")).strip()


@dataclass(frozen=True)
class MissGroup:
    """Questions that are the same question, as far as the editors are concerned."""

    representative: str
    """The most frequent wording of the group's most frequent question."""
    variants: tuple[str, ...]
    """Every distinct wording, most frequent first (includes the representative)."""
    count: int
    """Miss events: each declined/low-confidence ask and each 👎 counts once."""
    distinct_users: int
    """Different (hashed) users; front ends without users (terminal) are not counted."""
    last_seen: datetime
    kinds: tuple[str, ...]
    """Subset of ("declined", "low_confidence", "not_helpful"), in that order."""
    closest_entry: str | None = None
    closest_question: str | None = None
    closest_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form, as printed by `misses --format json`."""
        return {
            "representative": self.representative,
            "variants": list(self.variants),
            "count": self.count,
            "distinct_users": self.distinct_users,
            "last_seen": self.last_seen.astimezone(UTC).isoformat(),
            "kinds": list(self.kinds),
            "closest_entry": self.closest_entry,
            "closest_question": self.closest_question,
            "closest_score": None if self.closest_score is None else round(self.closest_score, 4),
        }


def group_misses(
    rows: Sequence[MissRow],
    *,
    closest: Closest | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[MissGroup]:
    """Group near-duplicate questions; most frequent group first (then most recent).

    Leader clustering: distinct normalised questions are visited most frequent first, and each joins
    the best-scoring existing group leader at or above `threshold`, or leads a new group. Comparing
    with leaders only (not with every member) stops chains A~B~C from merging A with a C it does not
    resemble. `closest` (the engine's lookup) names the nearest entry for each group; without it the
    best entry the engine reported when the question was asked is used.
    """
    by_key: dict[str, list[MissRow]] = {}
    for row in rows:
        by_key.setdefault(normalise(row.question), []).append(row)

    def weight(key: str) -> tuple[int, datetime, str]:
        members = by_key[key]
        return (len(members), max(r.at for r in members), key)

    leaders: list[str] = []
    members_of: dict[str, list[str]] = {}
    for key in sorted(by_key, key=weight, reverse=True):
        match = process.extractOne(key, leaders, scorer=fuzz.token_sort_ratio, score_cutoff=threshold)
        if match is None:
            leaders.append(key)
            members_of[key] = [key]
        else:
            members_of[match[0]].append(key)

    groups = [
        _make_group(leader, [r for k in members_of[leader] for r in by_key[k]], by_key, closest)
        for leader in leaders
    ]
    groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.representative))
    return groups


def _make_group(
    leader: str, rows: list[MissRow], by_key: dict[str, list[MissRow]], closest: Closest | None
) -> MissGroup:
    wordings = Counter(r.question.strip() for r in rows)
    latest: dict[str, datetime] = {}
    for r in rows:
        text = r.question.strip()
        latest[text] = max(latest.get(text, r.at), r.at)
    # Most frequent first, then most recent, then alphabetical: stable output for the same log.
    variants = sorted(wordings, key=lambda w: (-wordings[w], -latest[w].timestamp(), w))
    leader_wordings = Counter(r.question.strip() for r in by_key[leader])
    representative = min(leader_wordings, key=lambda w: (-leader_wordings[w], -latest[w].timestamp(), w))
    kinds = tuple(k for k in KINDS if any(r.kind == k for r in rows))
    users = {r.user_hash for r in rows if r.user_hash}

    entry: str | None
    entry_question: str | None
    score: float | None
    if closest is not None:
        entry, entry_question, score = closest(representative)
    else:
        # The engine's own best guess when the question was asked, the most confident one.
        known = [r for r in rows if r.best_entry is not None]
        best = max(known, key=lambda r: (r.confidence or 0.0, r.at), default=None)
        entry = best.best_entry if best else None
        entry_question = best.best_question if best else None
        score = best.confidence if best else None

    return MissGroup(
        representative=representative,
        variants=tuple(variants),
        count=len(rows),
        distinct_users=len(users),
        last_seen=max(r.at for r in rows),
        kinds=kinds,
        closest_entry=entry,
        closest_question=entry_question,
        closest_score=score,
    )
