"""The answer engine: matching, answers with citations. No Discord here."""

from bot.engine.answer import Answer, Citation, FactUse, Suggestion, Verdict, VerdictKind
from bot.engine.engine import Engine
from bot.engine.matcher import ANSWER_THRESHOLD

__all__ = [
    "ANSWER_THRESHOLD",
    "Answer",
    "Citation",
    "Engine",
    "FactUse",
    "Suggestion",
    "Verdict",
    "VerdictKind",
]
