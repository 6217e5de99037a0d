"""The knowledge-base schema: stories, sources, facts, questions and answers, timeline events.

Modelled on Wikidata statements (a value with qualifiers, a point in time and references;
a disputed figure is several sourced values, none preferred), schema.org ClaimReview
(claimant, claim, date, where it appeared) and TimelineJS events (a date with optional
month and day, a headline, a text, a group).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from bot.knowledge.dates import PartialDate

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=80)]
"""Entry ids: lower case, digits and hyphens ("jan1-released"), stable forever once published."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]

# "{fact-id}" or "{fact-id.date}" inside an answer.
TEMPLATE_REF = re.compile(r"\{([a-z0-9][a-z0-9-]*)(?:\.(value|date|source))?\}")
TEMPLATE_PARTS = ("value", "date", "source")
# Anything in braces, or a brace on its own: each must be a placeholder TEMPLATE_REF reads.
_BRACED = re.compile(r"\{[^{}]*\}|[{}]")
_UNCLOSED = re.compile(r"[^{}\s]*")


def template_problems(answer: str) -> list[str]:
    """What is wrong with each brace in an answer template that is not a placeholder, one message
    each, naming it: `{id.year}`, `{Jan1-Released}`, `{ id }`, `{id:value}`, `{id_x}`, an unclosed
    `{id.date`, a lone `{` or `}`. Such text would otherwise reach readers as it is."""
    problems: list[str] = []
    for m in _BRACED.finditer(answer):
        text = m.group()
        if TEMPLATE_REF.fullmatch(text):
            continue
        if text == "}":
            problems.append("a lone '}' in the answer: placeholders look like {fact-id}; remove it")
        elif text == "{":
            rest = _UNCLOSED.match(answer, m.end())
            inner = rest.group() if rest else ""
            if inner:
                hint = _did_you_mean(inner, closed=False)
                problems.append(f"the placeholder '{{{inner}' is not closed{hint}")
            else:
                problems.append("a lone '{' in the answer: placeholders look like {fact-id}; remove it")
        else:
            problems.append(f"the placeholder {text!r} is not valid{_did_you_mean(text[1:-1])}")
    return problems


def _did_you_mean(inner: str, closed: bool = True) -> str:
    """Why a placeholder's inside is wrong, with the placeholder it probably meant."""
    guess = inner.strip().replace(":", ".").replace("_", "-").lower()
    if "." in guess and guess.rsplit(".", 1)[1] not in TEMPLATE_PARTS:
        part = inner.strip().rsplit(".", 1)[1]
        return f": '.{part}' is not something a placeholder can show; {_FORMS}"
    if not guess:
        return ": write a fact id between the braces, like {jan1-released}"
    if TEMPLATE_REF.fullmatch(f"{{{guess}}}"):
        why = [] if closed else ["add the closing brace"]
        if inner != inner.strip():
            why.append("no spaces inside the braces")
        if ":" in inner:
            why.append("a part follows a dot")
        if "_" in inner:
            why.append("ids use hyphens")
        if inner.strip() != inner.strip().lower():
            why.append("lower case")
        return f" ({', '.join(why)}): did you mean '{{{guess}}}'?"
    return f": {_FORMS}"


_FORMS = "placeholders look like {fact-id}, {fact-id.value}, {fact-id.date} or {fact-id.source}"


class Entry(BaseModel):
    """Every YAML entry: unknown fields are refused so a misspelt field is caught, not ignored.

    Empty lists default through `default_factory`: pydantic deep-copies a `= []` default for
    every entry, a measurable part of loading 10,000 of them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SourceKind(StrEnum):
    """Who a source is; the answer names it so readers can weigh the claim."""

    HUMAN_RIGHTS_GROUP = "human_rights_group"
    GOVERNMENT = "government"
    OFFICIAL_DATA = "official_data"
    NEWS_AGENCY = "news_agency"
    NEWSPAPER = "newspaper"
    POLITICAL_PARTY = "political_party"
    POLITICIAN = "politician"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Words for readers: "human-rights group"."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    SourceKind.HUMAN_RIGHTS_GROUP: "human-rights group",
    SourceKind.GOVERNMENT: "government",
    SourceKind.OFFICIAL_DATA: "official data",
    SourceKind.NEWS_AGENCY: "news agency",
    SourceKind.NEWSPAPER: "newspaper",
    SourceKind.POLITICAL_PARTY: "political party",
    SourceKind.POLITICIAN: "politician",
    SourceKind.OTHER: "source",
}


LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
"""A language as ISO 639-1 gives it: "en", "es"."""


class StoryText(Entry):
    """The story's title, summary and scope in another language."""

    title: ShortText | None = None
    summary: Text | None = None
    scope: Text | None = None


class FactText(Entry):
    """A fact's statement and value as phrased in another language: the same figure, date and sources."""

    statement: Text | None = None
    value: ShortText | None = None
    """The value as the language phrases it, qualifier kept: "al menos 87 personas"."""


class QAText(Entry):
    """An entry's question and answer in another language; the answer keeps the English placeholders."""

    question: ShortText | None = None
    answer: Text | None = None


class EventText(Entry):
    """An event's title and summary in another language."""

    title: ShortText | None = None
    summary: ShortText | None = None


class Topic(Entry):
    """A thread of the story, used to group facts and filter the timeline."""

    id: Id
    label: ShortText


class Story(Entry):
    """One news story: what it is about and how current the base is."""

    id: Id
    title: ShortText
    summary: Text
    as_of: PartialDate
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en"
    topics: list[Topic] = Field(min_length=1)
    scope: Text | None = None
    """What the bot can answer about, in one sentence, shown when it declines."""
    languages: list[LanguageCode] = Field(default_factory=list)
    """Other languages the base answers in; `check` lists every entry missing a translation."""
    translations: dict[LanguageCode, StoryText] = Field(default_factory=dict)

    def text(self, language: str) -> tuple[str, str]:
        """Title and summary in `language`, each falling back to the story's own where untranslated."""
        tr = self.translations.get(language)
        return (
            tr.title if tr and tr.title else self.title,
            tr.summary if tr and tr.summary else self.summary,
        )


class SourceText(Entry):
    """A source's name in another language ("Gobierno venezolano"); a proper name needs none."""

    name: ShortText | None = None


class Source(Entry):
    """Someone who said something (a group, a government) or a publication that carried it."""

    id: Id
    name: ShortText
    kind: SourceKind
    description: Text | None = None
    published: PartialDate | None = None
    """For a publication: when it appeared."""
    title: ShortText | None = None
    url: ShortText | None = None
    file: ShortText | None = None
    """For a publication we hold: the source text's file name."""
    language: str | None = None
    via: list[Id] = Field(default_factory=list)
    """For a publication: the agencies it cites, nearest first (TASR cites AFP)."""
    translations: dict[LanguageCode, SourceText] = Field(default_factory=dict)

    def name_in(self, language: str) -> str:
        """The name as a reader of `language` knows it: translated where the base translates it."""
        tr = self.translations.get(language)
        return tr.name if tr is not None and tr.name else self.name


class Attribution(Entry):
    """Who claims a fact, when and how, and the chain it reached us through."""

    source: Id
    said_on: PartialDate | None = None
    medium: ShortText | None = None
    """How it was said: "social-media post", "announcement", "published results"."""
    via: list[Id] = Field(default_factory=list)
    """The publications it reached us through, nearest to the claimant first: [afp, tasr]."""
    quote: Text | None = None
    """The claimant's own words, verbatim from the source text."""


class Fact(Entry):
    """One figure or claim, its value as the source phrased it, its date and who says so."""

    id: Id
    topic: Id
    statement: Text
    """The claim in one plain sentence, as the source supports it."""
    value: ShortText | None = None
    """The figure or answer exactly as phrased: "at least 87 people", "around 2,400", "Tocorón prison"."""
    amount: float | None = None
    """The bare number in `value`, for sorting and checks (87)."""
    qualifier: ShortText | None = None
    """The word the source hedges the number with: "at least", "more than", "around", "only"."""
    date: PartialDate | None = None
    """When the fact happened."""
    as_of: PartialDate | None = None
    """For a running figure: the date it was true on."""
    date_note: ShortText | None = None
    """How the source gives the date when it is relative or inferred ("this week")."""
    sources: list[Attribution] = Field(min_length=1)
    conflicts_with: list[Id] = Field(default_factory=list)
    """Facts that give a different figure for the same thing (announced 99 vs confirmed 61)."""
    alleged: bool = False
    """The sources report this as what its source says, not as what is so ("Trump says Caracas
    funds narco-terrorism"): a claim stating it is supported only when it credits that source."""
    note: Text | None = None
    """Caveats for readers and editors: discrepancies inside the source, what it does not say."""
    translations: dict[LanguageCode, FactText] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _translations_keep_the_figure(self) -> Fact:
        if self.amount is None:
            return self
        shown = f"{self.amount:g}"
        for language, text in self.translations.items():
            if text.value is not None and shown not in re.sub(r"[,.\s\u00a0]", "", text.value):
                raise ValueError(f"the {language} value {text.value!r} must show the amount {shown}")
        return self

    @model_validator(mode="after")
    def _value_keeps_its_words(self) -> Fact:
        if self.qualifier and self.value and self.qualifier.lower() not in self.value.lower():
            raise ValueError(
                f"the qualifier {self.qualifier!r} must appear in the value {self.value!r}, "
                "so the figure is never shown without it"
            )
        if self.amount is not None:
            if not self.value:
                raise ValueError("a fact with an `amount` needs a `value` that phrases it")
            digits = re.sub(r"[,\s\u00a0]", "", self.value)
            shown = f"{self.amount:g}"
            if shown not in digits:
                raise ValueError(f"the amount {shown} does not appear in the value {self.value!r}")
        return self

    def when(self) -> PartialDate | None:
        """The date that situates the fact: when it happened, else what it is 'as of'."""
        return self.date or self.as_of


class Intent(StrEnum):
    """What kind of thing a question asks for."""

    COUNT = "count"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    REASON = "reason"
    YESNO = "yesno"
    DURATION = "duration"
    THING = "thing"


class QA(Entry):
    """A question people ask, other ways they ask it, and an answer built from facts."""

    id: Id
    topic: Id | None = None
    question: ShortText
    alternates: list[ShortText] = Field(default_factory=list)
    answer: Text
    """The answer; `{fact-id}` inserts that fact's value as phrased, `{fact-id.date}` its date."""
    facts: list[Id] = Field(default_factory=list)
    """Facts the answer relies on (those in the template are added automatically)."""
    intent: Intent | None = None
    """Set only when the question word misleads (inferred from the question otherwise)."""
    translations: dict[LanguageCode, QAText] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _translations_keep_the_placeholders(self) -> QA:
        english = sorted(TEMPLATE_REF.findall(self.answer))
        for language, text in self.translations.items():
            if text.answer is not None and sorted(TEMPLATE_REF.findall(text.answer)) != english:
                raise ValueError(
                    f"the {language} answer must use the same placeholders as the English one "
                    f"({', '.join('{' + '.'.join(p for p in ref if p) + '}' for ref in english) or 'none'})"
                )
        return self

    @field_validator("alternates")
    @classmethod
    def _no_blank_alternates(cls, value: list[str]) -> list[str]:
        return [v for v in value if v.strip()]

    def template_refs(self) -> list[str]:
        """Fact ids named in the answer template, in order."""
        return [m.group(1) for m in TEMPLATE_REF.finditer(self.answer)]

    def cited_facts(self) -> list[str]:
        """All facts this answer relies on: those in the template, then the listed ones."""
        seen: dict[str, None] = {}
        for fid in [*self.template_refs(), *self.facts]:
            seen.setdefault(fid, None)
        return list(seen)

    def phrasings(self) -> list[str]:
        """The canonical question, its alternates, then its question in each other language."""
        translated = [t.question for t in self.translations.values() if t.question]
        return [self.question, *self.alternates, *translated]


class Event(Entry):
    """A dated moment of the story for the timeline."""

    id: Id
    date: PartialDate
    date_note: ShortText | None = None
    title: ShortText
    summary: ShortText
    topic: Id
    facts: list[Id] = Field(default_factory=list)
    sources: list[Id] = Field(default_factory=list)
    translations: dict[LanguageCode, EventText] = Field(default_factory=dict)

    def text(self, language: str) -> tuple[str, str]:
        """Title and summary in `language`, each falling back to English where untranslated."""
        tr = self.translations.get(language)
        return (
            tr.title if tr and tr.title else self.title,
            tr.summary if tr and tr.summary else self.summary,
        )

    @model_validator(mode="after")
    def _cites_something(self) -> Event:
        if not self.facts and not self.sources:
            raise ValueError("an event needs `facts` or `sources`, so readers can check it")
        return self


ContrastValue = (
    Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    | list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]]
)
"""One value of a contrast kind: a word or phrase, or a list of its spellings."""

SynonymGroup = Annotated[
    list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]], Field(min_length=2)
]


class Vocabulary(Entry):
    """Words people use for the same thing; the first of each group is the one the base uses."""

    synonyms: list[SynonymGroup] = Field(default_factory=list)
    contrasts: dict[ShortText, Annotated[list[ContrastValue], Field(min_length=2)]] = Field(
        default_factory=dict
    )
    """Kinds of thing whose values exclude each other (prisons, states, people): a claim naming one
    value where the sources name another of the same kind is contradicted. A value is a word or a
    list of its spellings; those the base's own texts never use are the ones readers might get wrong."""
