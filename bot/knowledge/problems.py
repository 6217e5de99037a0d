"""Problems found in the knowledge base, located for editors: file, line, entry."""

from __future__ import annotations

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


class KnowledgeError(Exception):
    """The base could not be loaded; `problems` lists every reason at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.message))
        super().__init__(self.report())

    def report(self) -> str:
        """All problems, one per line, for an editor."""
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the knowledge base:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])
