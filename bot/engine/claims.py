"""Finding the claims in a message: the sentences worth checking against the sources.

A message in a server mixes claims with chatter, links and reactions. Each sentence is asked on
its own; the ones the engine can settle are the message's checkable claims, those with a verdict
first. The work is bounded whatever the message: at most `MAX_SENTENCES` sentences are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.engine.answer import Answer
from bot.engine.clean import clean_discord_text

MAX_CLAIMS = 3
"""Claims checked per message: more would bury the answer."""
MAX_SENTENCES = 12
"""Sentences read per message, so a 4,000-character message costs no more than a short one."""
MIN_WORDS = 3
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+|;\s+")


def sentences(text: str) -> list[str]:
    """The message's sentences, as prose, in order (at most `MAX_SENTENCES`)."""
    plain = clean_discord_text(text)
    out = [s.strip() for s in _SENTENCE_END.split(plain) if len(s.split()) >= MIN_WORDS]
    return out[:MAX_SENTENCES]


def checkable(text: str, answer: Callable[[str], Answer]) -> list[Answer]:
    """The answers to a message's checkable claims: those with a verdict first, then other answered
    sentences, at most `MAX_CLAIMS`. Empty when nothing in it can be checked."""
    answered = [a for a in (answer(s) for s in sentences(text)) if a.answered]
    ranked = sorted(answered, key=lambda a: a.verdict is None)  # stable: message order within each
    seen: set[str | None] = set()
    out = []
    for a in ranked:
        if a.entry_id in seen:
            continue  # two sentences on the same fact: one check
        seen.add(a.entry_id)
        out.append(a)
    return out[:MAX_CLAIMS]
