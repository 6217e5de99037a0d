"""Problems found in the knowledge base, located for editors: file, line, entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing an editor must fix, with where to find it."""

    file: str
    line: int | None
    entry: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        entry = f" [{self.entry}]" if self.entry else ""
        return f"{where}:{entry} {self.message}"


def _order(p: Problem) -> tuple[str, int, str]:
    """Report order: by file, then line."""
    return (p.file, p.line or 0, p.message)


class KnowledgeError(Exception):
    """The base could not be loaded; `problems` lists every reason at once, `warnings` what an
    editor should know but did not stop the load (an editor's lock file)."""

    def __init__(self, problems: list[Problem], warnings: Sequence[Problem] = ()) -> None:
        self.problems = sorted(problems, key=_order)
        self.warnings = sorted(warnings, key=_order)
        super().__init__(self.report())

    def report(self) -> str:
        """All problems, one per line, for an editor; then the warnings."""
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the knowledge base:"
        return "\n".join([head, *(f"  {p}" for p in self.problems), *warning_lines(self.warnings)])


def warning_lines(warnings: Sequence[Problem]) -> list[str]:
    """Warnings, one per line after a heading; nothing when there are none."""
    if not warnings:
        return []
    n = len(warnings)
    return [f"{n} warning{'s' if n != 1 else ''}:", *(f"  {w}" for w in sorted(warnings, key=_order))]
