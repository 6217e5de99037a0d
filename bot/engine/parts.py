"""Questions in two parts ("how many died and how many were detained in the protests?")."""

from __future__ import annotations

import re

_QUESTION_WORD = (
    r"(?:how many|how much|how long|when|where|who|why|what|which|"
    r"cu[aá]nt[oa]s|cu[aá]ndo|d[oó]nde|qui[eé]n(?:es)?)\b"
)
_TWO_PARTS = re.compile(
    rf"^\s*[¿]?(?P<first>{_QUESTION_WORD}.+?),?\s+(?:and|y)\s+(?P<second>{_QUESTION_WORD}.+)$",
    re.IGNORECASE,
)
_CONTEXT = re.compile(
    r"\b(?:during|in|on|at|after|before|since|from|of|for|durante|en|despu[eé]s|tras|desde)\b.*$",
    re.IGNORECASE,
)
MIN_WORDS = 2
"""A part shorter than this ("…and when?") is a follow-up on the first, not a question of its own."""


def split_parts(question: str) -> list[str] | None:
    """The two questions in one, each with the context the other gives it; None for one question.

    "How many died and how many were detained during the protests?" →
    ["How many died during the protests?", "how many were detained during the protests?"]
    """
    m = _TWO_PARTS.match(question)
    if m is None:
        return None
    first, second = m.group("first").strip(" ,"), m.group("second").strip().rstrip("?!. ")
    if len(first.split()) < MIN_WORDS or len(second.split()) < MIN_WORDS:
        return None
    first_context, second_context = _CONTEXT.search(first), _CONTEXT.search(second)
    if first_context is None and second_context is not None:
        first = f"{first} {second_context.group(0)}"
    elif second_context is None and first_context is not None:
        second = f"{second} {first_context.group(0)}"
    return [first, second]
