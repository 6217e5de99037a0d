"""Small shared builders for tests: a minimal valid knowledge base written to a directory."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KNOWLEDGE = REPO / "knowledge"

MINIMAL = {
    "story.yaml": """\
story:
  id: test-story
  title: A test story
  summary: Something happened.
  as_of: 2026-01-01
  topics:
    - id: main
      label: Main
""",
    "sources.yaml": """\
sources:
  - id: agency
    name: Agency
    kind: news_agency
    published: 2026-01-01
""",
    "facts.yaml": """\
facts:
  - id: count
    topic: main
    statement: At least 5 things happened.
    value: at least 5 things
    amount: 5
    qualifier: at least
    date: 2025-12-31
    sources:
      - source: agency
""",
    "questions.yaml": """\
questions:
  - id: how-many
    question: How many things happened?
    alternates: [What was the number of things?]
    answer: "{count} happened on {count.date}."
""",
}


def write_base(root: Path, **overrides: str | None) -> Path:
    """Write the minimal base under `root`; a keyword (file name with _ for .) replaces or removes a file."""
    files = dict(MINIMAL)
    for key, text in overrides.items():
        name = key.replace("_yaml", ".yaml")
        if text is None:
            files.pop(name, None)
        else:
            files[name] = text
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def copy_real_base(dest: Path) -> Path:
    """A private copy of the project's knowledge base, to edit in a test."""
    shutil.copytree(KNOWLEDGE, dest)
    return dest
