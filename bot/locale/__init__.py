"""The words the bot writes around the base's own text, per language (`bot/locale/<code>.yaml`).

Front ends and the engine ask `text(language, key, **values)`; a language without a key falls back
to English, so a half-translated interface still works. `problems()` lists what a language file
lacks or gets wrong, for `python -m bot check`.
"""

from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

DIR = Path(__file__).parent
DEFAULT = "en"
SPANISH_LOCALES = ("es-ES", "es-419")
"""Discord's Spanish locales; both read Spanish here."""


class Catalogue(BaseModel):
    """One language's interface text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str
    name: str
    months: list[str] = Field(min_length=12, max_length=12)
    date_day: str
    date_month: str
    messages: dict[str, str]
    kinds: dict[str, str]
    commands: dict[str, str] = Field(default_factory=dict)
    answer_openers: list[str] = Field(default_factory=list)
    """Words an answer to a yes/no question opens with ("Yes:", "No."): a verdict replaces them."""
    """Slash command names, descriptions and option texts: the English text → this language's."""


def languages() -> list[str]:
    """Every language with a catalogue, English first."""
    codes = sorted(p.stem for p in DIR.glob("*.yaml"))
    return [DEFAULT, *(c for c in codes if c != DEFAULT)]


@cache
def catalogue(language: str) -> Catalogue:
    """The catalogue of a language; English for one without a file."""
    path = DIR / f"{language}.yaml"
    if not re.fullmatch(r"[a-z]{2}", language) or not path.is_file():
        path = DIR / f"{DEFAULT}.yaml"
    with path.open(encoding="utf-8") as fh:
        return Catalogue.model_validate(yaml.safe_load(fh))


def text(language: str, key: str, **values: object) -> str:
    """A message in `language` (English if that language lacks it), with its {placeholders} filled."""
    template = catalogue(language).messages.get(key) or catalogue(DEFAULT).messages[key]
    return template.format(**values)


def kind_label(language: str, kind: str) -> str:
    """A source kind in words ("human-rights group", "organización de derechos humanos")."""
    return catalogue(language).kinds.get(kind) or catalogue(DEFAULT).kinds.get(kind, kind)


def command_text(language: str, english: str) -> str | None:
    """A slash command's name or description in `language`, or None when it has none."""
    return catalogue(language).commands.get(english)


def from_discord_locale(locale: str | None) -> str | None:
    """The language of a Discord locale ("es-419" → "es"), when there is a catalogue for it."""
    if not locale:
        return None
    code = str(locale).split("-")[0].lower()
    return code if code in languages() else None


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def problems() -> list[str]:
    """What each language file lacks against English: missing keys, other placeholders."""
    english = catalogue(DEFAULT)
    out = []
    for language in languages()[1:]:
        other = catalogue(language)
        for key, template in english.messages.items():
            if key not in other.messages:
                out.append(f"bot/locale/{language}.yaml: messages.{key} is missing")
            elif _fields(other.messages[key]) != _fields(template):
                out.append(f"bot/locale/{language}.yaml: messages.{key} must use {sorted(_fields(template))}")
        out += [
            f"bot/locale/{language}.yaml: kinds.{k} is missing" for k in english.kinds if k not in other.kinds
        ]
    return out
