"""Question sets: reading them and judging an answer the way the eval format defines it.

The format (see the header of any `tests/data/*.yaml`): each item has `q`, `kind` and `expect`,
either `abstain` or groups of alternatives the answer text must contain. This module re-implements
the format's matching rules so that the project's tests and `calibrate` stand alone, with one
addition: a date or month also matches in the words of every language the bot answers in ("16 de
diciembre de 2025"), since a Spanish answer spells its dates in Spanish. (The shared scorer knows
English month names only, so it counts such an answer as a miss.)
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.engine import Engine
from bot.locale import catalogue, languages

MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def norm(text: str) -> str:
    """Text as the format compares it: folded, accent-free, one space between words, padded."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"(?<=\d)[,\u00a0\u202f](?=\d{3}\b)", "", text)
    text = re.sub(r"[^\w%.]+", " ", text)
    text = re.sub(r"\.(?!\d)", " ", text)
    return " " + " ".join(text.split()) + " "


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _month_names(month: int) -> list[str]:
    """The month's name in each language the bot answers in other than English ("diciembre")."""
    return [catalogue(code).months[month - 1].casefold() for code in languages() if code != "en"]


def date_spellings(iso: str) -> list[str]:
    """The common spellings of a day ("january 1", "1st jan", "2026-01-01", "1 de enero", …)."""
    year, month, day = (int(p) for p in iso.split("-"))
    name = MONTHS[month - 1]
    out = [iso, f"{day:02d}.{month:02d}.{year}", f"{day}.{month}.{year}"]
    out += [f"{day} de {other}" for other in _month_names(month)]
    for m in (name, name[:3]):
        for d in (str(day), _ordinal(day)):
            out += [f"{m} {d}", f"{d} {m}", f"{d} of {m}"]
    return out


def group_matches(group: list[str], answer: str) -> bool:
    """True when any alternative of the group is in the (normalised) answer text."""
    for alt in group:
        if alt.startswith("date:"):
            if any(norm(s) in answer for s in date_spellings(alt[5:])):
                return True
        elif alt.startswith("month:"):
            year, month = alt[6:].split("-")
            name = MONTHS[int(month) - 1]
            pattern = rf" (?:{name}|{name[:3]})(?: \d{{1,2}}(?:st|nd|rd|th)?)? {year} | {year} {month} "
            pattern += "".join(f"| {other} de {year} " for other in _month_names(int(month)))
            if re.search(pattern, answer):
                return True
        elif re.search(" " + re.escape(norm(alt).strip()) + "(?:s|es)? ", answer):
            return True
    return False


def load_set(path: Path) -> list[dict[str, Any]]:
    """The items of a question set file."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise ValueError(f"{path}: a question set is a YAML list of items")
    return items


def is_correct(
    item: dict[str, Any],
    answered: bool,
    text: str,
    verdict: str | None = None,
    language: str | None = None,
    *,
    strict: bool = True,
) -> bool:
    """Whether a reply is right for an item: declined when it must be, else containing every group.
    With `strict`, an item's `verdict:` and `lang:` must match too, as the published scorer checks;
    without, only the words count (for fitting whether to answer)."""
    if strict and "lang" in item and language != item["lang"]:
        return False
    if item["expect"] == "abstain":
        return not answered
    if strict and "verdict" in item and verdict != item["verdict"]:
        return False
    normalised = norm(text)
    return answered and all(group_matches(g, normalised) for g in item["expect"])


def with_slip(question: str, rng: random.Random) -> str:
    """One typing slip in one longer word: a dropped, doubled, swapped or wrong letter."""
    words = question.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long_words:
        return question
    i = rng.choice(long_words)
    letters = list(words[i])
    j = rng.randrange(1, len(letters) - 1)
    slip = rng.choice(["drop", "swap", "double", "wrong"])
    if slip == "drop":
        del letters[j]
    elif slip == "swap":
        letters[j], letters[j + 1] = letters[j + 1], letters[j]
    elif slip == "double":
        letters.insert(j, letters[j])
    else:
        letters[j] = rng.choice("abcdefghijklmnopqrstuvwxyz")
    words[i] = "".join(letters)
    return " ".join(words)


@dataclass
class Score:
    """A set's tally: right, and the questions answered wrongly or declined."""

    correct: int = 0
    total: int = 0
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of the set answered right."""
        return self.correct / max(self.total, 1)


def score(engine: Engine, path: Path) -> Score:
    """Answer every question of a set; count right, wrong (a fact where none was due) and missed."""
    result = Score()
    for item in load_set(path):
        answer = engine.answer(item["q"])
        result.total += 1
        verdict = answer.verdict.kind.value if answer.verdict else None
        if is_correct(item, answer.answered, answer.text, verdict, answer.language):
            result.correct += 1
        elif answer.answered:
            result.wrong.append(f"{item['q']!r} -> {answer.entry_id}")
        else:
            result.missed.append(item["q"])
    return result
