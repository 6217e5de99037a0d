"""Scoring a question set the way the published eval format defines it (see tests/data/*.yaml headers).

A re-implementation of the format's matching rules, so the project's tests stand alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.engine import Engine

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
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"(?<=\d)[,\u00a0\u202f](?=\d{3}\b)", "", text)
    text = re.sub(r"[^\w%.]+", " ", text)
    text = re.sub(r"\.(?!\d)", " ", text)
    return " " + " ".join(text.split()) + " "


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def date_spellings(iso: str) -> list[str]:
    year, month, day = (int(p) for p in iso.split("-"))
    name = MONTHS[month - 1]
    out = [iso, f"{day:02d}.{month:02d}.{year}", f"{day}.{month}.{year}"]
    for m in (name, name[:3]):
        for d in (str(day), _ordinal(day)):
            out += [f"{m} {d}", f"{d} {m}", f"{d} of {m}"]
    return out


def group_matches(group: list[str], answer: str) -> bool:
    for alt in group:
        if alt.startswith("date:"):
            if any(norm(s) in answer for s in date_spellings(alt[5:])):
                return True
        elif alt.startswith("month:"):
            year, month = alt[6:].split("-")
            name = MONTHS[int(month) - 1]
            pattern = rf" (?:{name}|{name[:3]})(?: \d{{1,2}}(?:st|nd|rd|th)?)? {year} | {year} {month} "
            if re.search(pattern, answer):
                return True
        elif re.search(" " + re.escape(norm(alt).strip()) + "(?:s|es)? ", answer):
            return True
    return False


@dataclass
class Score:
    correct: int = 0
    total: int = 0
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.total, 1)


def score(engine: Engine, path: Path) -> Score:
    """Answer every question of a set; count right, wrong (a fact where none was due) and missed."""
    result = Score()
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        answer = engine.answer(item["q"])
        text = norm(answer.text)
        result.total += 1
        if item["expect"] == "abstain":
            ok = not answer.answered
        else:
            ok = answer.answered and all(group_matches(g, text) for g in item["expect"])
        if ok:
            result.correct += 1
        elif answer.answered:
            result.wrong.append(f"{item['q']!r} -> {answer.entry_id}")
        else:
            result.missed.append(item["q"])
    return result
