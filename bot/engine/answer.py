"""The answer object every front end renders: text, facts, citations, confidence, suggestions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a figure comes from: the original claimant and the chain it reached us through."""

    source: str
    """Display name of who said it (e.g. "Foro Penal")."""
    kind: str
    """Human label of the source kind (e.g. "human-rights group")."""
    date: str
    """When it was said or published, as an ISO partial date ("2026-01-01", "2024-07")."""
    date_label: str
    """The same date for people ("1 January 2026")."""
    via: tuple[str, ...] = ()
    """The chain it reached us through, nearest to the claimant first (e.g. ("AFP", "TASR"))."""
    medium: str = ""
    """How the claimant said it (e.g. "social-media post"), when known."""
    url: str | None = None
    reported: bool = False
    """True when `date` is the report's date because the source gives no date for the claim itself."""

    def chain_text(self) -> str:
        """One line: 'Foro Penal (human-rights group), 25 December 2025, via AFP → TASR'."""
        head = f"{self.source} ({self.kind})"
        if self.medium:
            head += f", {self.medium}"
        if self.date_label:
            head += f", reported {self.date_label}" if self.reported else f", {self.date_label}"
        if self.via:
            head += ", via " + " → ".join(self.via)
        return head


@dataclass(frozen=True, slots=True)
class FactUse:
    """A fact an answer relies on, as the source phrased it."""

    id: str
    value: str
    """The figure or claim exactly as phrased ("at least 87 people")."""
    date: str
    date_label: str
    claimants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A 'did you mean' alternative."""

    entry_id: str
    question: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Answer:
    """What the engine says about one question. `answered` is False when it declines."""

    question: str
    answered: bool
    text: str
    confidence: float
    entry_id: str | None = None
    entry_question: str | None = None
    facts: tuple[FactUse, ...] = ()
    citations: tuple[Citation, ...] = ()
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)
    low_confidence: bool = False
    """Answered, but close to the threshold or near another entry: front ends offer the suggestions."""

    def to_json(self) -> dict[str, Any]:
        """The `ask --json` shape."""
        return {
            "answered": self.answered,
            "text": self.text,
            "citations": [
                {
                    "source": c.source,
                    "kind": c.kind,
                    "date": c.date,
                    "via": list(c.via),
                    "medium": c.medium,
                    "reported": c.reported,
                }
                for c in self.citations
            ],
            "confidence": round(self.confidence, 4),
            "entry": self.entry_id,
            "suggestions": [s.question for s in self.suggestions],
            "facts": [asdict(f) for f in self.facts],
        }
