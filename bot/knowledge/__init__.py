"""The knowledge model and loader: no Discord here, every front end reads the same base."""

from bot.knowledge.base import KnowledgeBase, Location
from bot.knowledge.dates import PartialDate, Precision
from bot.knowledge.files import fingerprint
from bot.knowledge.loader import DEFAULT_PATH, display_path, find_files, load_base
from bot.knowledge.problems import KnowledgeError, Problem, warning_lines

__all__ = [
    "DEFAULT_PATH",
    "KnowledgeBase",
    "KnowledgeError",
    "Location",
    "PartialDate",
    "Precision",
    "Problem",
    "display_path",
    "find_files",
    "fingerprint",
    "load_base",
    "warning_lines",
]
