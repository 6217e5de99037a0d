"""The answer object every front end renders: text, facts, citations, confidence, suggestions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
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
    language: str = "en"
    """The language of `kind` and `date_label`."""

    def chain_text(self) -> str:
        """One line: 'Foro Penal (human-rights group), 25 December 2025, via AFP → TASR'."""
        from bot.locale import text  # words around the names, in the citation's language

        head = f"{self.source} ({self.kind})"
        if self.medium:
            head += f", {self.medium}"
        if self.date_label:
            head += ", " + (
                text(self.language, "reported", date=self.date_label) if self.reported else self.date_label
            )
        if self.via:
            head += ", " + text(self.language, "via", chain=" → ".join(self.via))
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


class VerdictKind(StrEnum):
    """What the sources say of a claim."""

    SUPPORTED = "supported"
    CONTRADICTED = "contradicted"
    DISPUTED = "disputed"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A claim set against the sources: what was asserted and what the sources say."""

    kind: VerdictKind
    asserted: str
    """The figure or date the claim asserts, as read ("80", "24 December"); empty when it asserts none."""
    sourced: str
    """What the sources say of the same thing, as phrased ("at least 87 people")."""
    fact_id: str
    """The fact that settles it."""
    sides: tuple[FactUse, ...] = ()
    """For a disputed claim: every side, each with who says it."""


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
    body: str = ""
    """The answer itself, without the verdict line, the sources line or "did you mean": what a front
    end that shows those apart displays."""
    verdict: Verdict | None = None
    """Set when the question checks a claim the sources settle (fact-check mode)."""
    language: str = "en"
    """The language of `text`."""
    untranslated: bool = False
    """Asked in another language, answered in English: the entry has no translation yet."""
    claim: bool = False
    """The question asserts something (fact-check mode), whether or not the sources settle it."""

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
            "verdict": self.verdict.kind.value if self.verdict else None,
            "asserted": self.verdict.asserted if self.verdict else None,
            "sourced": self.verdict.sourced if self.verdict else None,
            "language": self.language,
        }
