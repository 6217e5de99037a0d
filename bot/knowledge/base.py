"""The loaded knowledge base: validated entries, indexed by id, with where each came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.knowledge.model import QA, Event, Fact, Source, Story
from bot.knowledge.problems import Problem


@dataclass(frozen=True, slots=True)
class Location:
    """Where an entry is written: for error messages and the `misses` report."""

    file: str
    line: int | None


@dataclass(slots=True)
class KnowledgeBase:
    """Everything the engine and the front ends read. Built only by the loader, then never changed."""

    stories: list[Story] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    facts: dict[str, Fact] = field(default_factory=dict)
    questions: dict[str, QA] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    synonyms: list[list[str]] = field(default_factory=list)
    contrasts: dict[str, list[list[str]]] = field(default_factory=dict)
    """Contrast kinds of the base's vocabulary, each value as its spellings (see `Vocabulary`)."""
    locations: dict[str, Location] = field(default_factory=dict)
    """Keyed "kind:id", e.g. "fact:jan1-released"."""
    files: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    """File (as in `files`) → SHA-256 of the bytes it was loaded from."""
    warnings: list[Problem] = field(default_factory=list)
    """What an editor should know but did not stop the load (an editor's lock file, skipped)."""

    def counts(self) -> dict[str, int]:
        """How many of each kind of entry; shown by `check` and `/about`."""
        return {
            "stories": len(self.stories),
            "sources": len(self.sources),
            "facts": len(self.facts),
            "questions": len(self.questions),
            "alternates": sum(len(q.alternates) for q in self.questions.values()),
            "events": len(self.events),
            "synonym groups": len(self.synonyms),
        }

    def topics(self) -> dict[str, str]:
        """Topic id → label, across stories, in the order the stories list them."""
        return {t.id: t.label for s in self.stories for t in s.topics}

    def summary_line(self) -> str:
        """One line of counts for people."""
        c = self.counts()
        stories = "1 story" if c["stories"] == 1 else f"{c['stories']} stories"
        return (
            f"{stories}, {c['sources']} sources, {c['facts']} facts, "
            f"{c['questions']} Q&A entries ({c['alternates']} alternate phrasings), {c['events']} events"
        )
