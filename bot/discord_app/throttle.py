"""Per-user rate limit shared by every way of asking (/ask, mentions, DMs, "did you mean" buttons and
the "Check with factbot" context menu).

The counting is discord.py's: one `commands.CooldownMapping` keyed by user id, as RoboDanny's
`spam_control` does, so alternating /ask and mentions does not double the quota. A window opens with
a user's first question and lasts `per` seconds; `rate` questions fit in it. What discord.py does not
do is say so politely: a user over the limit is told once per window (`Verdict.notify`), and further
messages in that window are ignored silently, so a flood produces one notice instead of one per message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from discord import abc
from discord.ext import commands

from bot.config import Cooldown

_PRUNE_AT = 10_000
"""Forget notices of windows that have ended once this many are kept, so memory stays bounded
(CooldownMapping forgets idle users' buckets by itself)."""
_CLOCK_ORIGIN = 1_000_000.0
"""Added to the clock: discord.py reads a `current` of 0.0 as "not given" and takes the wall clock
instead, and a monotonic clock may well read 0.0 (simcord's virtual one starts there)."""
_WINDOW_END = 1e-6
"""discord.py ends a window strictly after `per` seconds; factbot's has always ended at `per` (the
question asked exactly 30 s after the first of a "5/30" window opens a new one), so its buckets last
this much less: a microsecond, far below anything a person (or the notice's whole seconds) can see."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a question may be answered now; if not, whether to say so and when to come back."""

    allowed: bool
    notify: bool = False
    retry_after: float = 0.0


ALLOWED = Verdict(True)


def _user_key(user: abc.Snowflake) -> int:
    return user.id


class Throttle:
    """At most `cooldown.rate` questions per `cooldown.per` seconds per user, on a CooldownMapping."""

    def __init__(self, cooldown: Cooldown, clock: Callable[[], float] | None = None) -> None:
        self.cooldown = cooldown
        # Looked up at call time (not bound now) so a test clock patched into time.monotonic applies;
        # monotonic, not discord.py's default time.time(): a clock change must not lift or extend a limit.
        self._clock = clock or (lambda: time.monotonic())
        self._buckets: commands.CooldownMapping[abc.Snowflake] | None = (
            commands.CooldownMapping.from_cooldown(
                cooldown.rate, max(cooldown.per - _WINDOW_END, cooldown.per / 2), _user_key
            )
            if cooldown.enabled
            else None
        )
        self._notified_until: dict[int, float] = {}

    def hit(self, user: abc.Snowflake) -> Verdict:
        """Count one question from `user` (anything with an `id`: a member, a user) and say whether
        to answer it."""
        if self._buckets is None:
            return ALLOWED
        now = self._clock() + _CLOCK_ORIGIN
        retry_after = self._buckets.update_rate_limit(user, now)
        if retry_after is None:
            return ALLOWED
        retry_after = max(retry_after, 0.0)
        if now >= self._notified_until.get(user.id, 0.0):
            if len(self._notified_until) >= _PRUNE_AT:
                self._prune(now)
            self._notified_until[user.id] = now + retry_after
            return Verdict(False, notify=True, retry_after=retry_after)
        return Verdict(False, notify=False, retry_after=retry_after)

    def _prune(self, now: float) -> None:
        for uid in [uid for uid, until in self._notified_until.items() if until <= now]:
            del self._notified_until[uid]
