"""Per-user rate limit shared by every way of asking (/ask, mentions, DMs, "did you mean" buttons).

One bucket per user across all paths, so alternating /ask and mentions does not double the quota.
A user over the limit is told once per window (`Verdict.notify`); further messages in that window
are ignored silently, so a flood produces one polite notice instead of one per message.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Cooldown

_PRUNE_AT = 10_000
"""Forget idle users once this many are tracked, so memory stays bounded on a big server."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a question may be answered now; if not, whether to say so and when to come back."""

    allowed: bool
    notify: bool = False
    retry_after: float = 0.0


ALLOWED = Verdict(True)


class Throttle:
    """A sliding-window limit of `cooldown.rate` questions per `cooldown.per` seconds per user."""

    def __init__(self, cooldown: Cooldown, clock: Callable[[], float] | None = None) -> None:
        self.cooldown = cooldown
        # Looked up at call time (not bound now) so a test clock patched into time.monotonic applies.
        self._clock = clock or (lambda: time.monotonic())
        self._hits: dict[int, deque[float]] = {}
        self._notified_until: dict[int, float] = {}

    def hit(self, user_id: int) -> Verdict:
        """Count one question from `user_id` and say whether to answer it."""
        if not self.cooldown.enabled:
            return ALLOWED
        now = self._clock()
        window = self._hits.get(user_id)
        if window is None:
            if len(self._hits) >= _PRUNE_AT:
                self._prune(now)
            window = self._hits[user_id] = deque()
        while window and now - window[0] >= self.cooldown.per:
            window.popleft()
        if len(window) < self.cooldown.rate:
            window.append(now)
            return ALLOWED
        retry_after = max(self.cooldown.per - (now - window[0]), 0.0)
        if now >= self._notified_until.get(user_id, 0.0):
            self._notified_until[user_id] = now + retry_after
            return Verdict(False, notify=True, retry_after=retry_after)
        return Verdict(False, notify=False, retry_after=retry_after)

    def _prune(self, now: float) -> None:
        idle = [uid for uid, w in self._hits.items() if not w or now - w[-1] >= self.cooldown.per]
        for uid in idle:
            del self._hits[uid]
            self._notified_until.pop(uid, None)
