"""The frame around a claim: where a reader says it came from, and the words asking for a check.

"Post says 82 were killed. Right?", "Draft: 'At least 87 were freed.' OK to run?", "Seeing this on
X: …", "my cousin in Miami said that …": the frame says a claim is being checked, and its words
("post", "social media", "draft", "run") are not what the claim is about. Reading them as topic
words sinks the entry that settles the claim. A frame that names what the base knows ("Foro Penal
says 61", "Trump: …") is no frame: who said it is part of the claim, and stays.

Three shapes, each from the language data (`report_verbs`, `check_words`, `auxiliaries`):
- a label before a colon ("Tweet:", "True or false:", "Quick yes/no for the bulletin:");
- a reporter and a verb that passes the claim on ("a guy on twitter says", "mi tío dice que");
- a short closing request for a check ("Accurate?", "Is that right?", ", true?").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from bot.engine.language import merged_words
from bot.engine.lexicon import CHAT_SPEAK, is_statement
from bot.text import normalize

NamesSomething = Callable[[str], bool]
"""Whether a piece of text names something the base knows: a source, a person, a place, a figure."""

MAX_LABEL_WORDS = 6
"""A label longer than this before a colon is a sentence of its own ("the sources say this: …")."""
MAX_REPORTER_WORDS = 5
"""Words before a report verb that can be who passes a claim on ("a guy on my feed")."""
MAX_TAG_WORDS = 6
"""A closing request for a check is short; a longer last sentence is a question of its own."""
MIN_BODY_WORDS = 2
MIN_QUESTION_WORDS = 2
"""Content words a question needs before a remark after it can be set aside as talk."""

_LABEL = re.compile(r"^\s*([^:\"“”«»]{1,80}?)\s*:\s+(\S.*)$", re.DOTALL)
_LAST_SENTENCE = re.compile(r"^(.*\S[.!?…][\"'”’»)]*)\s+([^.!?…]+[.!?…]*)$", re.DOTALL)
_COMMA_TAG = re.compile(r"^(.*\S)\s*,\s*([^,]+)$", re.DOTALL)
_QUOTES = "\"'“”‘’«»"
_THAT = frozenset({"that", "que"})
_OPENERS = frozenset({"ok", "okay", "so", "but", "and", "wait", "well", "lol", "pues", "oye", "bueno", "y"})
"""Words a reply opens with before its reporter ("ok but my uncle says …")."""


@dataclass(frozen=True, slots=True)
class Framed:
    """What a message asserts or asks, with the frame around it taken off."""

    body: str
    checking: bool = False
    """The frame puts the body up for checking."""


@cache
def _words(field: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in merged_words(field))


def read_frame(text: str, names_something: NamesSomething, knows: NamesSomething | None = None) -> Framed:
    """The claim or question inside its frame.

    >>> read_frame("Post says 82 were killed. Accurate?", lambda t: False)
    Framed(body='82 were killed.', checking=True)
    """
    body = _drop_preamble(text, knows or names_something)
    body = _drop_aside(body, names_something)
    body, tagged = _drop_check_tag(body, names_something)
    body, labelled = _drop_label(body, names_something)
    body, reported = _drop_reporter(body, names_something)
    body, marked = _drop_marker(body)
    body = body.strip().strip(_QUOTES).strip()
    if len(body.split()) < MIN_BODY_WORDS:
        return Framed(text)  # the frame was the message: nothing is left to read instead
    return Framed(body, checking=tagged or reported or marked or (labelled and not _asks(body)))


_PREAMBLE = re.compile(r"^(.{1,60}?)\s*,?\s+(?:but|pero)\s+(\S.*)$", re.DOTALL | re.IGNORECASE)
MAX_PREAMBLE_WORDS = 5


def _drop_preamble(text: str, knows: NamesSomething) -> str:
    """ "ok dumb q but wht state is tocoron in", "sorry if this is obvious but…": a few words before
    "but" that say nothing the base knows, ahead of a question."""
    m = _PREAMBLE.match(text.strip())
    if m is None:
        return text
    preamble, question = m.groups()
    if len(normalize(preamble).split()) > MAX_PREAMBLE_WORDS or knows(preamble) or not _asks(question):
        return text
    return question


_AFTER_QUESTION = re.compile(r"^(.*?\?+)\s+([^?]+)$", re.DOTALL)


def _drop_aside(text: str, names_something: NamesSomething) -> str:
    """ "is aragua in the north or south? never been", "how many, 78 or 87? i always flip the
    digits ngl": a remark after the question that names nothing is talk around it."""
    m = _AFTER_QUESTION.match(text.strip())
    if m is None:
        return text
    question, aside = m.groups()
    words = normalize(aside).split()
    if not words or set(words) & _words("question_words") or any(w[0].isdigit() for w in words):
        return text
    asked = normalize(question).split()
    content = [w for w in asked if w not in _words("function_words")]
    if names_something(aside) or not (_asks(question) or set(asked[:1]) & _words("auxiliaries")):
        return text  # a remark that names something may be the question's topic
    if len(content) < MIN_QUESTION_WORDS:
        return text  # "how many died? in the protests i mean": the remark says what is asked
    return question


def _drop_check_tag(text: str, names_something: NamesSomething) -> tuple[str, bool]:
    """ "… Accurate?", "… Is that right?", "…, true?": a short last sentence asking for a check."""
    for pattern in (_LAST_SENTENCE, _COMMA_TAG):
        m = pattern.match(text.strip())
        if m and _is_check_request(m.group(2), names_something):
            return m.group(1), True
    return text, False


def _is_check_request(tag: str, names_something: NamesSomething) -> bool:
    words = normalize(tag).split()
    return (
        0 < len(words) <= MAX_TAG_WORDS
        and bool(set(words) & _words("check_words"))
        and not set(words) & _words("question_words")
        and not any(w[0].isdigit() for w in words)
        and not names_something(tag)
    )


def _drop_label(text: str, names_something: NamesSomething) -> tuple[str, bool]:
    """ "Tweet: …", "Seeing this on X: …": a few words before a colon that name nothing known."""
    m = _LABEL.match(text)
    if m is None:
        return text, False
    label, body = m.groups()
    words = normalize(label).split()
    if not words or len(words) > MAX_LABEL_WORDS or any(w[0].isdigit() for w in words):
        return text, False
    if names_something(label) or len(body.split()) < MIN_BODY_WORDS:
        return text, False
    return body, True


def _drop_reporter(text: str, names_something: NamesSomething) -> tuple[str, bool]:
    """ "a post says …", "someone posted that …", "dicen que …": who passes a claim on, when the base
    does not know them."""
    raw = text.split()
    by_first = _report_verbs()
    longest = max((len(v) for verbs in by_first.values() for v in verbs), default=1)
    # only the opening words can hold a reporter and its verb: the rest is not normalised
    words = [normalize(w) for w in raw[: MAX_REPORTER_WORDS + 2 + longest]]
    for i in range(min(len(words), MAX_REPORTER_WORDS + 2)):
        for verb in by_first.get(words[i], ()):
            n = len(verb)
            if tuple(words[i : i + n]) != verb:
                continue
            reporter = [w for w in words[:i] if w]
            while reporter and reporter[0] in _OPENERS:
                reporter.pop(0)
            rest = raw[i + n :]
            that = bool(rest) and normalize(rest[0]) in _THAT
            if that:
                rest = rest[1:]
            if _is_reporter(reporter, that, names_something) and len(rest) >= MIN_BODY_WORDS:
                return " ".join(rest), True
        if words[i] in _words("question_words") or words[i] in _words("auxiliaries"):
            return text, False  # "did Foro Penal say…", "who says…": a question about a source
    return text, False


def _drop_marker(text: str) -> tuple[str, bool]:
    """ "según entiendo, …", "i was told …", "is it true that …": a claim marker opening the
    message (`claim_markers` in the language data) puts what follows up for checking."""
    raw = text.split()
    start = 0
    while start < len(raw) and normalize(raw[start]) in _OPENERS:
        start += 1
    if start >= len(raw):
        return text, False
    first = normalize(raw[start])
    candidates = _markers().get(first, ())
    longest = max((len(m) for m in candidates), default=0)
    words = [""] * start + [first] + [normalize(w) for w in raw[start + 1 : start + longest]]
    for marker in candidates:
        n = len(marker)
        if tuple(words[start : start + n]) == marker and len(raw) - start - n >= MIN_BODY_WORDS:
            return " ".join(raw[start + n :]).lstrip(",:;- "), True
    return text, False


def _markers() -> dict[str, tuple[tuple[str, ...], ...]]:
    return _by_first_word("claim_markers")


@cache
def _by_first_word(field: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Every language's phrases of `field` as normalised words, by their first word, the longest
    first ("is saying" before "is"): a message's opening word says which can follow."""
    phrases = sorted({tuple(normalize(p).split()) for p in merged_words(field)}, key=len, reverse=True)
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        if phrase:
            by_first.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(group) for first, group in by_first.items()}


def _is_reporter(reporter: list[str], that: bool, names_something: NamesSomething) -> bool:
    if not reporter:
        return that  # "dicen que …", "says that …": nobody named
    return (
        len(reporter) <= MAX_REPORTER_WORDS
        and not set(reporter) & (_words("question_words") | _words("auxiliaries"))
        and not names_something(" ".join(reporter))
    )


def _report_verbs() -> dict[str, tuple[tuple[str, ...], ...]]:
    return _by_first_word("report_verbs")


def _asks(body: str) -> bool:
    """Whether the body is a question rather than a claim ("Question: how many…", "Q: did they…?")."""
    words = [CHAT_SPEAK.get(w, w) for w in normalize(body).split()]  # "wht" is "what"
    if not is_statement(" ".join(words)) or body.lstrip().startswith("¿"):
        return True
    return body.rstrip().endswith("?") and bool(words) and words[0] in _words("auxiliaries")
