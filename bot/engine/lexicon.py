"""Turning a question into comparable terms: dates, synonyms, typo repair, stems, intent.

Everything that makes "how mnay ppl got out on new years day" look like
"How many political prisoners were released on 1 January?" lives here, so that the
question side and the knowledge-base side go through exactly the same steps.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict, cast

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.engine.language import (
    detect_language,
    is_common,
    merged_map,
    merged_words,
    phrase_alternation,
    sound_key,
)
from bot.engine.places import PLACES
from bot.knowledge.model import Intent
from bot.text import normalize, stem

# The language's own words come from data (`bot/engine/lang/*.yaml`), the same for every base.
STOPWORDS = merged_words("function_words")
"""Function words: they carry no topic. Intent words are read before these are dropped."""
CHATTER = merged_words("chatter")
REQUESTS = merged_words("requests")
"""Words that open a request ("explain", "dime"): neutral like chatter, and never a claim."""
"""Talk around a question ("lmao", "ngl", "asking for a friend"): neutral, never a topic."""
CHAT_SPEAK = cast(dict[str, str], merged_map("chat"))
"""How people spell things in chat. Applied before anything else, so "wat" asks "what"."""
MONTHS = cast(dict[str, int], merged_map("months"))
MONTH_TOKEN = {n: f"month{n:02d}" for n in range(1, 13)}

_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th|o|ro)?"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}){_ORD}(?: of| de)? ({_MONTH_ALT})\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH_ALT}) (\d{{1,2}}){_ORD}\b")
_ISO_DAY = re.compile(r"\b(\d{4}) (\d{1,2}) (\d{1,2})\b")
_MONTH_WORD = re.compile(rf"\b({_MONTH_ALT})\b")
_ANY_DATE = re.compile(rf"\b({_MONTH_ALT})\b|\b\d{{4}} \d{{1,2}} \d{{1,2}}\b")
_YEAR_AHEAD = re.compile(r" (?:19|20)\d\d\b")
_TIME_PREPOSITION = re.compile(r"\b(?:in|during|since|until|till|by|from|early|late|mid|of|en|desde|hasta) $")
"""Before "may" or "march", a preposition of time makes it the month: "died in may"."""
_DOTTED_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,4}")
_LITERAL = "\x00"
"""Marks a function word kept as itself, never read as the synonym it spells."""
ORDINALS = cast(dict[str, int], merged_map("ordinals"))
"""Day ordinals in words, read as numbers next to a month ("the first of january" → 1 january)."""
_ORDINAL_ALT = "|".join(sorted(ORDINALS, key=len, reverse=True))
_ORDINAL_WORD = re.compile(rf"\b(?:{_ORDINAL_ALT})\b")
# "the first of july" is a day; "the first july election" is not, and "may first" may be a verb
_ORDINAL_MONTH = re.compile(rf"\b({_ORDINAL_ALT}) (?:of|de) ({_MONTH_ALT})\b")
_MONTH_ORDINAL = re.compile(rf"\b((?!may\b|march\b)(?:{_MONTH_ALT})) (?:the )?({_ORDINAL_ALT})\b")
YEAR = re.compile(r"^(19|20)\d\d$")
NUMBER = re.compile(r"^\d+(?:\.\d+)?$")

# Question words → what the question asks for. First match wins, so the longer phrase comes first.
_INTENT_PATTERNS: Sequence[tuple[str, Intent]] = [
    (
        r"\bhow long\b|\bcuanto tiempo\b|\bhow many (years|months|days)\b|\bfor how long\b",
        Intent.DURATION,
    ),
    (
        r"\bhow many\b|\bhow much\b|\bnumbers?\b|\bfigures?\b|\bcuant[oa]s?\b|\bhow (big|large)\b"
        r"|\btotal\b|\btoll\b|\bcount\b",
        Intent.COUNT,
    ),
    (
        r"\bsince when\b|\bwhen\b|\bwhat (date|day|year|month|time)\b|\bwhich (date|day|year|month)\b"
        r"|\bcuando\b|\bque (dia|fecha|ano|mes)\b|\bdate\b",
        Intent.DATE,
    ),
    (
        r"\bwho\b|\bwhom\b|\bwhose\b|\bquien(es)?\b|\baccording to\b"
        r"|\b(which|what)( (?!is\b|are\b|was\b|were\b)\w+){0,2} "
        r"(group|organi[sz]ation|ngo|body|candidate|person|people|party|agency"
        r"|outlet)s?\b",
        Intent.PERSON,
    ),
    (
        r"\bwhere\b|\bdonde\b|\b(en|de) que (carcel|prision|estado|lugar|mar|mares)\b"
        r"|\b(which|what)( (?!is\b|are\b|was\b|were\b)\w+){0,2} "
        r"(prison|jail|state|city|place|region|country|sea|ocean"
        r"|facility|prision|carcel|penitentiary|lockup)s?\b",
        Intent.PLACE,
    ),
    (r"\bwhy\b|\bpor que\b|\breason\b|\bwhat for\b|\bhow come\b|^what\b.*\b(for|over)$", Intent.REASON),
    (r"^(is|was|were|are|did|does|do|has|have|had|can|could|will|would|es|fue)\b", Intent.YESNO),
]
# One pattern for all: the leftmost cue wins, and at the same place the one listed first, because
# a regex tries its alternatives in order at each position. One search instead of seven.
_INTENT_RE = re.compile("|".join(f"(?P<i{k}>{p})" for k, (p, _) in enumerate(_INTENT_PATTERNS)))
_INTENT_OF_GROUP = {f"i{k}": intent for k, (_, intent) in enumerate(_INTENT_PATTERNS)}


_WHAT = re.compile(r"(what|whats|which|que|cual|tell me)\b")
"""A question word with no more specific cue: it asks for a thing."""

# A judgement asked for: the base reports who said what, it does not judge.
_OPINION = re.compile(
    r"\b(?:was|is|were|are)\b(?: \w+){0,3} (?:right|wrong|justified) to\b|\bshould (?:he|she|they|we|the)\b"
    r"|\b(?:good|bad) (?:or|and) (?:bad|good)\b|\bdo you (?:think|agree|support)\b|\byour (?:opinion|view)\b"
    # "is Trump right that…" judges a claimant; "is it right that…" only checks a fact
    r"|\b(?:is|was|are|were) (?!it\b|that\b|this\b)\w+(?: \w+){0,2} (?:right|wrong) (?:that|about)\b"
)
# Arithmetic on the figures: the base holds only figures a source gave, never one worked out from them.
_ARITHMETIC = re.compile(
    r"\bhow (?:many|much) (?:more|fewer|less)\b.*\bthan\b|\b(?:difference|gap) between\b|\bminus\b"
    r"|\bplus\b|\badd(?:ing|ed)? (?:\w+ ){0,4}up\b|\bsubtract|\bsum of\b"
    # a share worked out from two figures: "what percent of the detainees were released"
    r"|\b(?:what|which) (?:percent|percentage|proportion|fraction|share)\b|\bpercent(?:age)? of\b"
    r"|\bque (?:porcentaje|proporcion)\b"
    # "how many could Foro Penal NOT confirm": the rest of a figure is a subtraction too
    r"|\b(?:how many|cuant[oa]s)\b.*\b(?:not|never|t|no)(?: \w+){0,2} (?:confirm|verif|account)"
)


_FUTURE = re.compile(
    r"\b(will|gonna|going to|next|future|predict|prediction|expected to|forecast"
    r"|va a|van a|proxim[oa]s?|sera|habra)\b"
)


_CHECKING = re.compile(
    r"\b(right|correct|true|yeah|yes|no|isnt it|wasnt it|is that (so|it)|am i (wrong|misremembering)|"
    r"i (heard|read|thought|think)|or was it|wasnt it|werent there|verdad|cierto|no es asi)\s*$|"
    r"^(wasnt|werent|isnt|didnt|i heard|i read|i thought)\b|\bor am i\b|\bis that (right|true|correct)\b"
    # "so 2,400 people died in the protests?": a statement put as a question
    r"|^so\b(?!.*\b(how|what|whats|when|where|who|whom|whose|why|which)\b)"
)


# "…, hasn't he?", "…, didn't it?": a statement put up for confirmation
_CLAIM_MARKER = re.compile(rf"\b(?:{phrase_alternation('claim_markers')})\b")
"""A phrase that puts a claim up for checking ("is it true that", "me dijeron"), from the language data."""
TAG_QUESTION = re.compile(
    r"\b(?:is|was|were|are|did|does|do|has|have|had|can|will|would)n?t? "
    r"(?:he|she|it|they|we|you|there|that|i)\s*$|\b(?:ya|yeah|yea|yep|iirc|no cap|eh|innit|ok)\s*$"
)
"""A tag that puts a statement up for confirmation ("…, didn't they?", "…, yeah")."""
_ANY_QUESTION_WORD = re.compile(
    r"\b(?:how|what|whats|when|where|who|whom|whose|why|which|cuanto|cuantos|cuantas|cuando|donde|quien"
    r"|quienes|cual|que|por que)\b"
)


def is_statement(norm: str) -> bool:
    """A sentence with no question word asserts something ("tocoron is in aragua state").

    Spanish "que" past a sentence's opening words is the relative "that" ("confirmó las 99 que
    anunció el gobierno"), not "qué": written accents are gone once the text is normalised."""
    words = norm.split()
    relative = " ".join(w if i < RELATIVE_QUE_FROM or w != "que" else "_" for i, w in enumerate(words))
    return not _ANY_QUESTION_WORD.search(relative) and not _INTENT_RE.match(norm)


RELATIVE_QUE_FROM = 3
"""From this word on, "que" is read as the relative pronoun ("de que protestas" opens a question)."""


_REQUEST = re.compile(rf"^(?:\w+ ){{0,2}}?(?:{'|'.join(sorted(REQUESTS))})\b")


def is_request(norm: str) -> bool:
    """A sentence that asks for something without a question word ("explain the dock strike",
    "dime lo del muelle"): not a claim, whatever words it uses."""
    return bool(_REQUEST.match(norm))


def _asserts_a_figure(norm: str) -> bool:
    """ "800 still locked up", "the govt freed 100 people at christmas?": a figure or a date in a
    statement is a claim, whatever its punctuation."""
    return any(w[0].isdigit() or _is_date_token(w) for w in norm.split()) and is_statement(norm)


# What a "how many" question counts: the words after it, up to the verb.
_COUNTED = re.compile(r"\b(?:how many|number of|cuant[oa]s)\s+((?:\w+\s*){1,3})")
_COUNT_VERBS = frozenset(
    "died die killed released freed arrested detained held remain remained got get were are was is have has "
    "had did do does still fueron son murieron siguen quedan han hay".split()
)
_SUBSET = re.compile(
    r"\b(?:how many|cuant[oa]s)\s+(?:of|de)\s+(?:\w+\s+){1,8}?(?:were|was|are|is|eran|son|fueron)\s+(\w+)"
)
# irregular ones; "-ed" is caught by its ending ("-en" is not: "fishermen", "women", "children")
# "how many of the 28 who died…": the figure the question quotes is the whole it asks a part of
_WHOLE = re.compile(
    r"\b(?:how many|cuant[oa]s)\s+(?:of|de)\s+(?:the |those |these |los |las |esos |esas )?"
    # "how many of the more than 100 deaths…": the qualifier of the whole is part of the whole
    r"(?:(?:more than|at least|around|about|over|nearly|almost|only|mas de|al menos|unos|unas) )?(\d+)\b"
    # "of the 28 who died, how many were killed by police?": the whole first
    r"|^(?:(?:so|ok|and|y|pero|but) )?(?:of|de) (?:the |those |these |los |las |esos |esas )?(\d+)\b"
    r".*\b(?:how many|cuant[oa]s)\b"
)
_PARTICIPLES = frozenset(
    "held shot hurt kept let put seen found sent brought caught left lost taken given beaten driven "
    "stolen chosen hidden broken spoken written fallen forgotten proven thrown known shown".split()
)
# "who was president before Maduro", "who ruled after Chávez": someone other than the one named
_RELATIVE = re.compile(r"\b(?:before|after|prior to|instead of|antes de|despues de)\s+(\w+)")
# ...in a question about who held a role then, not "who confirmed the releases after Venezuela announced them"
_WHO_HELD = re.compile(
    r"^(?:who|quien)\s+(?:was|is|were|ruled|governed|led|came|preceded|succeeded|held|ran|gobernaba|era|fue)\b"
)
_EXCLUDING = re.compile(rf"\b(?:{phrase_alternation('excluding')})\s+((?:\w+\s*){{1,3}})")
"""What a question sets aside: the words after "other than", "besides", "además de" (language data)."""
# "released in 2024" places the event in 2024; "the 2024 election" only names an election.
_WHEN_YEAR = re.compile(r"\b(?:in|during|since|by|until|en|durante|desde|hasta)\s+((?:19|20)\d\d)\b")

# Who a question asks to have said something: "what did <Maduro> say", "according to <Foro Penal>".
_SPEAKER = re.compile(
    r"\b(?:did|does|do|has|have|had)\s+((?:\w+\s+){1,4}?)(?:say|said|says|claim|claimed|state|stated|comment"
    r"|commented|react|reacted|respond|responded|think|announce|announced)\b"
    r"|\b(?:according to|segun)\s+((?:\w+\s*){1,4})"
    r"|\bque (?:dijo|dice|dijeron|afirmo|declaro|opina)\s+((?:\w+\s*){1,4})"
)

# A polite or journalistic wrapper around the real question: "can you confirm the number of deaths"
# asks how many, not yes or no.
_POLITE = re.compile(
    r"^(?:(?:fact check|quick question|question)\s+)?(?:(?:can|could|would|will) (?:you|u|someone|anyone)"
    r"(?: please)? (?:confirm|tell me|tell us|check|verify|say|explain|clarify|let me know)"
    r"|(?:please )?(?:confirm|tell me|verify|check)|i (?:want|need|would like) to know"
    r"|do you know|does anyone know|puedes (?:confirmar|decirme)|me puedes decir|sabes)"
    # "can you confirm that 88 were freed?" stays a yes/no question: the figure is a claim to check
    r"(?! (?:if|whether|that|si|que)\b)\s+"
)

# "What is the name of the prison?" asks which prison. Only the singular: "what are the names of the
# prisoners" asks for names, which the base does not hold, and must stay a question about names.
_NAME_OF = re.compile(
    r"\b(?:what|which)(?: is| was)? the name of (?:the |that |this )?|^name (?:the )?"
    r"|\b(?:cual|que) es el nombre de(?: la| el)? |\bcomo se llama (?:la |el )?"
)
# Every alternative holds "name", "nombre" or "llama": `Lexicon._read` searches only a text holding one
# (most hold none), so an alternative added here needs its word there too.

# Idioms that carry no topic ("why were they held in the first place?").
_FILLER = re.compile(
    r"\b(in the first place|by the way|all this|all of this|this time|for real|or not|at all"
    r"|take place|takes place|took place|taken place|taking place)\b"
)


def detect_intent(normalized: str) -> Intent | None:
    """What a question asks for, from its first question word; None when nothing says.

    The earliest cue wins: "who confirmed the 87 number" asks who, "how many people who…" how many.
    """
    m = _INTENT_RE.search(normalized)
    if m is not None and m.lastgroup is not None:
        return _INTENT_OF_GROUP[m.lastgroup]
    if _WHAT.match(normalized):
        return Intent.THING  # "what did the US strike?" asks for a thing, not a reason or a date
    return None


CARDINALS = cast(dict[str, int], merged_map("cardinals"))
_CARDINAL_ALT = "|".join(sorted(CARDINALS, key=len, reverse=True))
# "eighty seven", "ochenta y siete", "two hundred": tens and units, or a count of hundreds
_NUMBER_WORDS = re.compile(rf"\b(?:{_CARDINAL_ALT})(?: (?:y )?(?:{_CARDINAL_ALT}))*\b")


def figures_in_words(normalized: str) -> str:
    """Numbers written in words as figures: "two releases" → "2 releases", "ochenta y siete" → "87"."""
    if not _NUMBER_WORDS.search(normalized):
        return normalized

    def value(m: re.Match[str]) -> str:
        total = 0
        for word in m.group(0).split():
            if word == "y":
                continue
            n = CARDINALS[word]
            total = total * n if n == 100 and total else total + n
        return str(total)

    return _NUMBER_WORDS.sub(value, normalized)


def canonical_dates(normalized: str) -> str:
    """Rewrite day dates to one token ("1st of january", "jan 1", "1 de enero" → "date0101")."""
    if not _ANY_DATE.search(normalized):
        return normalized  # most texts name no month and no year-month-day: skip the rewriting

    def day_token(month_word: str, day: str) -> str:
        d = int(day)
        if not 1 <= d <= 31:
            return f"{month_word} {day}"
        return f"date{MONTHS[month_word]:02d}{d:02d}"

    text = _ISO_DAY.sub(
        lambda m: (
            f"{m.group(1)} date{int(m.group(2)):02d}{int(m.group(3)):02d}"
            if 1 <= int(m.group(2)) <= 12
            else m.group(0)
        ),
        normalized,
    )
    if _ORDINAL_WORD.search(text):  # "the first of january", "december twenty fifth"
        text = _ORDINAL_MONTH.sub(lambda m: f"{ORDINALS[m.group(1)]} {m.group(2)}", text)
        text = _MONTH_ORDINAL.sub(lambda m: f"{m.group(1)} {ORDINALS[m.group(2)]}", text)
    text = _DAY_MONTH.sub(lambda m: day_token(m.group(2), m.group(1)), text)
    text = _MONTH_DAY.sub(lambda m: day_token(m.group(1), m.group(2)), text)
    return _MONTH_WORD.sub(_month_token, text)


def _month_token(m: re.Match[str]) -> str:
    # "may" is also a verb and "march" a protest: a month only before a year ("march 2024")
    # or next to a day, which the rules before this one read.
    word = m.group(1)
    if (
        word in {"may", "march"}
        and not _YEAR_AHEAD.match(m.string, m.end())
        and not _TIME_PREPOSITION.search(m.string, 0, m.start())
    ):
        return word
    return MONTH_TOKEN[MONTHS[word]]


@dataclass(frozen=True, slots=True)
class Analysis:
    """A question reduced to what the matcher compares."""

    normalized: str
    intent: Intent | None
    terms: tuple[str, ...]
    """Content terms: canonical, stemmed, stop-words removed, in order."""
    corrected: frozenset[str] = frozenset()
    """Terms that came from a typo repair (weighed a little less)."""
    unknown: frozenset[str] = frozenset()
    """Terms the base has never seen, even after repair."""
    years: frozenset[str] = frozenset()
    days: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    proper: frozenset[str] = frozenset()
    """Unknown terms that were capitalised mid-sentence: probably a name the base does not know."""
    future: bool = False
    """Asks what will happen: a base of reported facts never predicts."""
    opinion: bool = False
    """Asks for a judgement ("was Trump right to…") or for arithmetic on the figures ("how many more
    than…"): the base reports what sources said; it neither judges nor works out new figures."""
    checking: bool = False
    """Checks a claim ("it was 78, right?"): a figure or date the base lacks is the claim, not the topic."""
    counted: frozenset[str] = frozenset()
    """What "how many …" counts ("how many *fishermen*"): the first word's stem and term; empty when
    it does not say. `counted_all` has every word up to the verb, for the entry side."""
    counted_all: frozenset[str] = frozenset()
    when_years: frozenset[str] = frozenset()
    """Years the question places its event in ("released *in 2024*"), not years that name things
    ("the 2024 election")."""
    speakers: frozenset[str] = frozenset()
    """Terms naming who the question asks to have said something ("what did Maduro say…")."""
    whole: str | None = None
    """The figure a "how many of the 28…" question quotes as the whole it asks a part of."""
    chatter: frozenset[str] = frozenset()
    """Words of the language's chatter list ("lmao", "ngl") the base does not use: left out of `terms`."""
    language: str | None = None
    """The language a question is written in ("es", "en"), None when too short to tell."""
    common: frozenset[str] = frozenset()
    """Unknown terms that are everyday words of the language ("neighbour", "honestly"), not names
    and not misspellings: weaker evidence against an entry than an unknown name."""
    everyday: frozenset[str] = frozenset()
    """Terms typed as everyday words of the language ("morning", "never", "ocupa"), known to the base
    or not: left out by an entry, weaker evidence against it than a name it lacks."""
    relative_to: frozenset[str] = frozenset()
    """Terms a "who" question places its answer relative to ("president *before Maduro*"): the
    person asked for is someone else."""
    excluded: frozenset[str] = frozenset()
    """Terms a question sets aside ("prisons *other than Tocorón*"): it asks about another value."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A text of the base (a phrasing, an answer, a fact, a source's name) as the index keeps it:
    what `Lexicon.analyse` finds in it, without the signals only a question carries (`Lexicon.read`)."""

    normalized: str
    terms: tuple[str, ...]
    """Content terms: canonical, stemmed, stop-words removed, in order."""
    years: frozenset[str]
    days: frozenset[str]
    numbers: frozenset[str]
    intent: Intent | None
    """What a phrasing asks for; None when it does not say, or was not asked (`intent=False`)."""
    counted: frozenset[str]
    """What a "how many …" counts: every word up to the verb (`Analysis.counted_all`)."""
    language: str | None = None
    """The language a phrasing is written in (`detect_language`), when asked (`language=True`)."""


class _Signals(TypedDict, total=False):
    """The Analysis fields only a question (or only a base text) fills."""

    future: bool
    opinion: bool
    checking: bool
    speakers: frozenset[str]
    counted: frozenset[str]
    counted_all: frozenset[str]
    when_years: frozenset[str]
    relative_to: frozenset[str]
    excluded: frozenset[str]
    whole: str | None


class Lexicon:
    """Synonyms from the base plus the vocabulary every known phrasing uses."""

    def __init__(self) -> None:
        self.phrases: dict[tuple[str, ...], str] = {}
        """A phrase, as stems → its canonical term."""
        self._phrase_lengths: dict[str, int] = {}
        """A phrase's first stem → the most stems of a phrase opening with it. Most words open no
        phrase: `substitute` then looks up nothing for them."""
        self.vocabulary: set[str] = set()
        """Every surface word the base knows (before stemming), for typo repair."""
        self._choices: dict[tuple[int, int, str], list[str]] = {}
        self._repairs: dict[str, str | None] = {}
        self._base_terms: dict[str, tuple[str, ...]] = {}
        self._sounds: dict[str, str] = {}
        """Sound-alike key → the one known word with that key (`sound_key`)."""
        self.known_stems: set[str] = set()
        """Stems of every known word: "hitting" is not a typo when "hit" is known."""
        self.kinds: dict[str, str] = {}
        """Term → the contrast kind it is a value of (`contrasts` in the language data and vocabulary)."""
        self.value_names: dict[str, str] = {}
        """Contrast value term → how it is written for a reader ("el helicoide")."""
        self.value_spellings: dict[str, list[str]] = {}
        """Term → every spelling the synonyms and contrasts give it ("caribbean", "caribe")."""

    @classmethod
    def build(
        cls,
        synonym_groups: Iterable[Sequence[str]],
        contrasts: Mapping[str, Sequence[Sequence[str]]] | None = None,
    ) -> Lexicon:
        """Compile synonym groups (each term maps to the group's first term), then contrast kinds:
        each value's spellings read as one term, which knows its kind (`kind_of`)."""
        lex = cls()
        for group in synonym_groups:
            lex._add_group(group, "_".join(_stems(group[0])) or group[0])
        for kind, values in (contrasts or {}).items():
            for spellings in values:
                # a value the synonyms already spell ("tocoron") keeps their term, so the base reads the same
                known = [lex.phrases[k] for k in (tuple(_stems(s)) for s in spellings) if k in lex.phrases]
                canonical = known[0] if known else "_".join(_stems(spellings[0])) or spellings[0]
                lex._add_group([s for s in spellings if tuple(_stems(s)) not in lex.phrases], canonical)
                lex.kinds.setdefault(canonical, kind)
                lex.value_names.setdefault(canonical, spellings[0])
        return lex

    def _add_group(self, spellings: Iterable[str], canonical: str) -> None:
        spellings = list(spellings)
        self.value_spellings.setdefault(canonical, []).extend(spellings)
        for term in spellings:
            key = tuple(_stems(term))
            if key:
                self.phrases[key] = canonical
                self._phrase_lengths[key[0]] = max(self._phrase_lengths.get(key[0], 0), len(key))
                self.vocabulary.update(canonical_dates(normalize(term)).split())

    def kind_of(self, term: str) -> str | None:
        """The contrast kind a term is a value of ("aragua" → "state"), or None."""
        return self.kinds.get(term)

    def values_named(self, terms: Iterable[str]) -> dict[str, frozenset[str]]:
        """Contrast kind → the values of it among `terms` ("state" → {"carabobo"})."""
        named: dict[str, set[str]] = defaultdict(set)
        for term in terms:
            if (kind := self.kinds.get(term)) is not None:
                named[kind].add(term)
        return {k: frozenset(v) for k, v in named.items()}

    def base_terms(self, text: str) -> tuple[str, ...]:
        """The terms of one of the base's own texts (a fact, an answer, a source's name), read once:
        verdicts read the same few texts for every claim."""
        hit = self._base_terms.get(text)
        if hit is None:
            hit = self.read(text, intent=False).terms
            if len(self._base_terms) < MAX_BASE_TEXTS:  # bounded: a base has a few thousand such texts
                self._base_terms[text] = hit
        return hit

    def term(self, word: str) -> str:
        """The term one normalised word stands for: its synonym group's, else its stem."""
        stemmed = stem(word)
        return self.phrases.get((stemmed,), stemmed)

    def freeze(self) -> None:
        """Prepare the typo-repair index once every text is learnt."""
        self.vocabulary.update(STOPWORDS)
        self.vocabulary.update(MONTHS)
        self.vocabulary.update(PLACES)  # "ukraiine" is Ukraine, another story, not an unknown word
        # A typo changes a word's length by at most 2 and rarely both of its first two letters:
        # compare a word only with known words of a near length sharing its first or second letter.
        self._choices = defaultdict(list)
        for w in sorted(
            w for w in self.vocabulary if len(w) >= 3 and not w[0].isdigit() and not _is_date_token(w)
        ):
            for n in range(len(w) - 2, len(w) + 3):
                self._choices[(n, 0, w[0])].append(w)
                self._choices[(n, 1, w[1])].append(w)
        self.known_stems = {stem(w) for w in self.vocabulary if w}
        # a key two known words share ("baya": vaya, valla) repairs to neither
        keys: dict[str, set[str]] = defaultdict(set)
        for w in self.vocabulary:
            if len(w) >= 3 and not w[0].isdigit() and not _is_date_token(w):
                keys[sound_key(w)].add(w)
        self._sounds = {k: next(iter(ws)) for k, ws in keys.items() if len(ws) == 1}
        self._repairs.clear()

    def repair(self, word: str) -> str | None:
        """The known word a misspelling most likely meant ("releasd" → "released"), or None."""
        if word in self._repairs:
            return self._repairs[word]
        # an everyday word of the language is no typo: "dijeron" is not "dieron" misspelt
        fixed = None if is_common(word) else self._sound_alike(word) or self._find_repair(word)
        if len(self._repairs) < 100_000:  # bounded: hostile input cannot grow it forever
            self._repairs[word] = fixed
        return fixed

    def _sound_alike(self, word: str) -> str | None:
        """The one known word that sounds the same as chat spells it ("kedan" → "quedan", "ubo" →
        "hubo"); never for an everyday word of its own ("old" is not "hold")."""
        if len(word) < 3 or word[0].isdigit() or is_common(word):
            return None
        return self._sounds.get(sound_key(word))

    def _find_repair(self, word: str) -> str | None:
        if len(word) < 4 or word[0].isdigit() or not self._choices or len(word) > 30 or _is_date_token(word):
            return None  # a date is never a typo: January is not July because the base knows only July
        limit = 1 if len(word) <= 6 else 2
        hits = [
            hit
            for position in (0, 1)
            for hit in process.extract(
                word,
                self._choices.get((len(word), position, word[position]), []),
                scorer=fuzz.ratio,
                score_cutoff=70,
                limit=8,
            )
        ]
        for candidate, _score, _i in sorted(hits, key=lambda h: (-h[1], h[0])):
            if _acceptable_repair(word, str(candidate), limit):
                return str(candidate)
        return None

    def substitute(self, stems: list[str]) -> list[tuple[str, bool]]:
        """Replace known phrases by their canonical term, longest first; True marks a replaced term."""
        if self._opens_no_phrase(stems):
            return [(s, False) for s in stems]  # most texts: none to replace or rejoin
        out: list[tuple[str, bool]] = []
        stems = self._join_separated(stems)
        i = 0
        while i < len(stems):
            longest = self._phrase_lengths.get(stems[i], 0)
            for n in range(min(longest, len(stems) - i), 0, -1):
                hit = self.phrases.get(tuple(stems[i : i + n]))
                if hit is not None:
                    out.append((hit, True))
                    i += n
                    break
            else:
                out.append((stems[i], False))
                i += 1
        return out

    def _opens_no_phrase(self, stems: list[str]) -> bool:
        """No stem opens a known phrase: `substitute` would leave every stem as it is."""
        return self._phrase_lengths.keys().isdisjoint(stems)

    def _join_separated(self, stems: list[str]) -> list[str]:
        """ "let 99 people go", "set them free": a verb and its particle with an object between them
        are the phrase "let go", read before the words between (which stay)."""
        if not PARTICLES.intersection(stems):
            return stems
        out = list(stems)
        for i, first in enumerate(out):
            for gap in range(2, MAX_PARTICLE_GAP + 2):
                j = i + gap
                if j < len(out) and out[j] in PARTICLES and (first, out[j]) in self.phrases:
                    out[i : j + 1] = [first, out[j], *out[i + 1 : j]]
                    break
        return out

    def analyse(
        self, text: str, *, known_terms: set[str] | frozenset[str] | None = None, intent: bool = True
    ) -> Analysis:
        """Reduce a question (or, with no `known_terms`, a text of the base) to intent and terms.

        `intent=False` skips reading the question words, for base texts whose intent is not used.
        A base text is read by `read`: the same terms, figures and intent.
        """
        if known_terms is None:
            r = self.read(text, intent=intent)
            return Analysis(
                r.normalized,
                r.intent,
                r.terms,
                years=r.years,
                days=r.days,
                numbers=r.numbers,
                counted_all=r.counted,
            )
        text = _undotted(text)
        norm, words, repaired = self._read(normalize(text), question=True)
        cased = _unshouted(text)
        capitalised = _capitalised_words(cased)
        acronyms = _acronyms(cased)
        stems, stop_stems = self._stems(words, text)
        surface = dict(zip(stems, words, strict=True))  # which word a term came from
        chatter: set[str] = set()
        common: set[str] = set()
        everyday: set[str] = set()
        repaired_stems = {stems[i] for i in repaired}
        terms: list[str] = []
        unknown: set[str] = set()
        proper: set[str] = set()
        for term, replaced in self.substitute(stems):
            if (
                not replaced
                and (term in stop_stems or term in STOPWORDS)
                and surface.get(term) not in acronyms
            ):
                continue  # "un" is Spanish for "a"; "UN" is the United Nations
            word = surface.get(term, "")
            if not replaced and is_common(word) and word not in capitalised:
                everyday.add(term)
            if not replaced and word in CHATTER:
                # "lmao", "chamo": talk around the question, even where a phrasing of the base uses it
                chatter.add(term)
                continue
            if term not in known_terms:
                if word in REQUESTS:
                    chatter.add(term)  # "explain": a request, neutral
                    continue
                unknown.add(term)
                if word in capitalised or term in acronyms:
                    proper.add(term)
                elif not replaced and not NUMBER.match(term) and not _is_date_token(term) and is_common(word):
                    common.add(term)  # "neighbour": an everyday word the base happens not to use
            terms.append(term)
        return Analysis(
            norm,
            detect_intent(norm) if intent else None,
            tuple(terms),
            frozenset(t for t in terms if t in repaired_stems) if repaired_stems else frozenset(),
            frozenset(unknown),
            *_figures(terms),
            frozenset(proper),
            chatter=frozenset(chatter),
            common=frozenset(common),
            everyday=frozenset(everyday),
            language=detect_language(text),
            **self._question_signals(norm),
        )

    def read(self, text: str, *, intent: bool = True, language: bool = False) -> Reading:
        """A text of the base reduced to its terms and figures, and (`intent`) to what it asks for,
        as `analyse` reduces it, and (`language`) to the language it is written in; its words become
        known words, for typo repair. Nothing is built that only a question carries: the index reads
        80,000 texts of a 10,000-entry base."""
        undotted = _undotted(text)
        folded = normalize(undotted)
        norm, words, _ = self._read(folded, question=False)
        stems, stop_stems = self._stems(words, undotted)
        if self._opens_no_phrase(stems):  # most texts: each stem is its own term
            kept = [s for s in stems if not (s in stop_stems or s in STOPWORDS)]
        else:
            pairs = self.substitute(stems)
            kept = [t for t, replaced in pairs if replaced or not (t in stop_stems or t in STOPWORDS)]
        terms = tuple(kept)
        years, days, numbers = _figures(terms)
        return Reading(
            norm,
            terms,
            years,
            days,
            numbers,
            detect_intent(norm) if intent else None,
            self._counted(norm, first_only=False),
            # its language from its words as written, dots and all: the same folded text without a dot
            detect_language(text, folded if undotted == text else None) if language else None,
        )

    def _stems(self, words: list[str], text: str) -> tuple[list[str], set[str]]:
        """The words' stems, and the stems of its function words: those stay while phrases are read
        ("let go", "behind bars"), then leave.

        "tell us how many died": a synonym that is also a function word ("us" → United States) is that
        synonym only when typed in capitals or after a determiner ("the us"); else it is kept as
        itself, and leaves with the other function words.
        """
        stems = [stem(w) for w in words]
        stop_stems = {stem(w) for w in words if w in STOPWORDS}
        if not HOMOGRAPHS.isdisjoint(words):
            for i, w in enumerate(words):
                if w in HOMOGRAPHS and (stems[i],) in self.phrases and not _names_something(words, i, text):
                    stems[i] = w + _LITERAL
                    stop_stems.add(stems[i])
        return stems, stop_stems

    def _read(self, norm: str, *, question: bool) -> tuple[str, list[str], set[int]]:
        """The text read (`norm`, as `normalize` gives it), its words with dates made tokens, and
        which words were typo-repaired.

        A question gets people's spellings and idioms undone and its typos repaired; a base text
        is written out in full, and its words become known words for that repair.
        """
        if question:
            norm = _FILLER.sub(" ", " ".join(CHAT_SPEAK.get(w, w) for w in norm.split()))
        # a phrasing of the base is read like a question: "Can you confirm how many…" asks how many
        norm = _POLITE.sub("", norm).strip() or norm
        if "name" in norm or "nombre" in norm or "llama" in norm:  # what `_NAME_OF` needs
            norm = _NAME_OF.sub("which ", norm)
        dated = canonical_dates(norm)
        # after the dates: "december twenty fifth" is a day, "twenty people" a figure
        words = (figures_in_words(dated) if question else dated).split()
        repaired: set[int] = set()
        if not question:
            self.vocabulary.update(words)
            return norm, words, repaired
        for i, w in enumerate(words):  # repaired before phrases are read: "let ot" → "let out"
            if w not in self.vocabulary and stem(w) not in self.known_stems:
                fixed = self.repair(w) or (question_word_for(w) if i == 0 else None)
                if fixed is not None:
                    words[i] = fixed
                    repaired.add(i)
        return (" ".join(words) if repaired else figures_in_words(norm)), words, repaired

    def _question_signals(self, norm: str) -> _Signals:
        """What only a question carries: a prediction asked, a claim checked, a speaker, a count."""
        return {
            "future": bool(_FUTURE.search(norm)),
            "opinion": bool(_OPINION.search(norm) or _ARITHMETIC.search(norm)),
            "checking": bool(
                _CHECKING.search(norm) or TAG_QUESTION.search(norm) or _CLAIM_MARKER.search(norm)
            )
            or either_or_figures(norm)
            or _asserts_a_figure(norm),
            "speakers": self._speakers(norm),
            "counted": self._counted(norm, first_only=True),
            "when_years": frozenset(m.group(1) for m in _WHEN_YEAR.finditer(norm)),
            "whole": (m.group(1) or m.group(2)) if (m := _WHOLE.search(norm)) else None,
            "excluded": frozenset(
                t
                for m in _EXCLUDING.finditer(norm)
                for t, _ in self.substitute([stem(w) for w in m.group(1).split()])
            ),
            "relative_to": (
                frozenset(self.term(m.group(1)) for m in _RELATIVE.finditer(norm))
                if _WHO_HELD.match(norm)
                else frozenset()
            ),
        }

    def _counted(self, norm: str, *, first_only: bool) -> frozenset[str]:
        subset = subset_counted(norm) if first_only else None
        m = _COUNTED.search(norm)
        if subset is None and not m:
            return frozenset()
        words = []
        for w in [subset] if subset else m.group(1).split() if m else []:
            if w in STOPWORDS or w in _COUNT_VERBS or w.isdigit():
                break
            words.append(stem(w))
        # The first word says what is counted ("how many *political* prisoners walked free"); later
        # words are as likely the verb, which no word list catches. Both the plain stem and the
        # synonym term are kept, so "political prisoners" (one synonym) meets "political detainees".
        if first_only:
            words = words[:1]
        terms = {t for t, replaced in self.substitute(words) if replaced or t not in STOPWORDS}
        return frozenset(terms | {w for w in words if w not in STOPWORDS})

    def _speakers(self, norm: str) -> frozenset[str]:
        spans = [g for m in _SPEAKER.finditer(norm) for g in m.groups() if g]
        return frozenset(t for span in spans for t, _ in self.substitute([stem(w) for w in span.split()]))


QUESTION_WORDS = tuple(sorted(merged_words("question_words")))


_NEAR_QUESTION_WORDS = frozenset({"whole", "whet", "whey", "whit", "wham", "whim", "whip", "whiz", "quiet"})
"""Real words one letter from a question word: never read as one."""


def question_word_for(word: str) -> str | None:
    """The question word a slip made of a question's first word ("wheqe" → "where"). Elsewhere a
    changed letter in a short word is as likely another word; first, with the first letter kept and
    four letters or more ("hot" is not "how"), it is nearly always this."""
    if len(word) < 4 or word in _NEAR_QUESTION_WORDS:
        return None
    hits = [
        q
        for q in QUESTION_WORDS
        if len(q) == len(word) and q[0] == word[0] and Levenshtein.distance(word, q) == 1
    ]
    return hits[0] if len(hits) == 1 else None


def either_or_figures(norm: str) -> bool:
    """ "2013 or 2012?", "61, or was it 16": a figure on each side of an "or" is a claim to check.
    (Word positions, not a regex: a regex with two open spans backtracks badly on hostile input.)"""
    words = norm.split()
    figures = [i for i, w in enumerate(words) if w.isdigit()]
    return bool(figures) and any(w == "or" and figures[0] < i < figures[-1] for i, w in enumerate(words))


def is_month_token(word: str) -> bool:
    """`month07`: a month named without a day."""
    return len(word) == 7 and word.startswith("month") and word[5:].isdigit()


def _is_date_token(word: str) -> bool:
    """`date0101` / `month07`: what `canonical_dates` made of a date."""
    return word.startswith(("date", "month")) and word[-2:].isdigit()


def _figure_kind(term: str) -> Literal["year", "day", "number"] | None:
    """What figure a term is: a year (`2024`), a day (`date0101`), a number (`87`), or none. Only a
    term opening with a digit, "date" or "month" can be one: `analyse` asks for no other."""
    if YEAR.match(term):
        return "year"
    if _is_date_token(term) and len(term) == 8:
        return "day"
    if NUMBER.match(term):
        return "number"
    return None


def subset_counted(norm: str) -> str | None:
    """The noun of "how many of the dead were *fishermen*": the part counted, not the whole.

    None when the word after "were" is a participle ("how many of the 99 were *confirmed*"), which
    says what happened to them, not who they were.
    """
    m = _SUBSET.search(norm)
    if not m:
        return None
    word = m.group(1)
    if word in STOPWORDS or word in _COUNT_VERBS or word in _PARTICIPLES or word.endswith("ed"):
        return None
    return word


def _stems(text: str) -> list[str]:
    return [stem(w) for w in canonical_dates(normalize(text)).split()]


_NONE: frozenset[str] = frozenset()
"""The empty set of figures most texts have, shared."""


def _figures(terms: Iterable[str]) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The years, days and other numbers among a text's terms. Only a term opening with a digit,
    "date" or "month" can be one: most terms are not looked at twice."""
    years: set[str] = set()
    days: set[str] = set()
    numbers: set[str] = set()
    for term in terms:
        if term[:1].isdigit() or term.startswith(("date", "month")):
            kind = _figure_kind(term)
            if kind == "number":
                numbers.add(term)
            elif kind == "year":
                years.add(term)
            elif kind == "day":
                days.add(term)
    return (
        frozenset(years) if years else _NONE,
        frozenset(days) if days else _NONE,
        frozenset(numbers) if numbers else _NONE,
    )


def _undotted(text: str) -> str:
    """ "U.S." as "US": a dotted acronym is the acronym (most texts hold no dot to look for)."""
    return _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", ""), text) if "." in text else text


def _acceptable_repair(word: str, candidate: str, limit: int) -> bool:
    if _is_transposition(word, candidate):
        return True  # "mnay" → "many"
    distance = Levenshtein.distance(word, candidate)
    if distance > limit:
        return False
    # Two edits are read as a typo only when both dropped a letter ("opositon" → "opposition"),
    # or in a long word: "leaving" is not "loading", "goverment" is "government".
    if distance == 2 and len(candidate) < len(word) + 2 and len(word) < 9:
        return False
    # A stop-word would make a short word vanish ("tall" is not "total"); a long one is safe
    # ("acording" → "according"). In a short word a changed or extra letter is as likely
    # another word ("make" is not "take", "Iran" is not "ran"): there only a dropped letter is a typo.
    if candidate in STOPWORDS and len(word) < 7:
        return False
    return not (len(word) <= 5 and len(candidate) <= len(word))


def _is_transposition(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


DETERMINERS = merged_words("determiners")
HOMOGRAPHS = merged_words("acronym_homographs")
PARTICLES = frozenset(stem(w) for w in merged_words("particles"))
"""The particles of separable phrasal verbs ("go" in "let them go")."""
MAX_PARTICLE_GAP = 3
"""Words that may stand between a verb and its particle."""
"""Function words spelt like an acronym ("us" and "US"): read as the acronym's synonym only when
typed in capitals or after a determiner."""


def _names_something(words: list[str], i: int, text: str) -> bool:
    """Whether a function word that spells a name is that name: typed in capitals ("US"), or after
    a determiner ("the us"), where no pronoun stands."""
    return words[i] in _acronyms(text) or (i > 0 and words[i - 1] in DETERMINERS)


MAX_BASE_TEXTS = 100_000
"""Base texts whose terms `Lexicon.base_terms` keeps."""
SHOUTED_RUN = 3
"""Capitals on this many words in a row are shouting ("MORE THAN 7,000 STILL LOCKED UP"), not names."""


def _unshouted(text: str) -> str:
    """The text with shouted runs in lower case, so that capitals still tell names and acronyms
    apart elsewhere in it ("the US struck", "BREAKING: MADURO WAS RE-ELECTED")."""
    words = text.split(" ")
    shouting = [any(c.isalpha() for c in w) and not any(c.islower() for c in w) for w in words]
    lettered = [i for i, w in enumerate(words) if any(c.isalpha() for c in w)]
    out = list(words)
    run: list[int] = []
    for i in [*lettered, -1]:
        if i >= 0 and shouting[i]:
            run.append(i)
            continue
        if len(run) >= SHOUTED_RUN:
            for j in run:
                out[j] = words[j].lower()
        run = []
    return " ".join(out)


def _acronyms(text: str) -> set[str]:
    """Words typed in capitals ("UN", "US", "EU"): never read as stop-words."""
    return {w.casefold() for w in re.findall(r"\b[A-Z]{2,5}\b", text)}


def _capitalised_words(text: str) -> set[str]:
    """Words written with a capital not at the start of a sentence: likely names."""
    out: set[str] = set()
    for sentence in re.split(r"[.!?¿¡]\s*", text):
        for w in sentence.split()[1:]:
            w = w.strip("\"'“”‘’()[],;:")
            if w[:1].isupper():
                out.add(normalize(w))
    return out
