"""The answer engine, without Discord: figures as phrased, sources, disagreement, honest declines."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import ANSWER_THRESHOLD, Engine, Suggestion
from bot.engine.compose import decline
from bot.engine.lexicon import subset_counted
from bot.evalsets import group_matches, norm, score, with_slip
from bot.knowledge import load_base
from tests.helpers import write_base

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_base())


def answered(engine: Engine, question: str) -> str:
    answer = engine.answer(question)
    assert answer.answered, f"declined {question!r}: {answer.text}"
    return answer.text


@pytest.mark.parametrize(
    ("question", "must_contain"),
    [
        ("how many ppl got out on new years day", "at least 87"),
        ("How many people walked free from Tocoron?", "at least 87"),
        ("cuantos presos politicos fueron liberados el 1 de enero", "al menos 87"),
        ("how many died in the protests after the election", "28 people"),
        ("how many were locked up by police during the unrest", "around 2,400"),
        ("how many political prisoners are still behind bars", "more than 700"),
        ("What's the death toll of the american boat strikes?", "more than 100"),
        ("when did trump anounce the tanker blokade", "16 December 2025"),
        ("since when is maduro in power", "2013"),
        ("who does the oposition say won", "Edmundo González Urrutia"),
        ("which prison were they let out of", "Tocorón"),
        ("how long were they behind bars", "a year and a half"),
    ],
)
def test_paraphrases_typos_and_spanish_get_the_figure_as_phrased(
    engine: Engine, question: str, must_contain: str
) -> None:
    assert must_contain.lower() in answered(engine, question).lower()


def test_disputed_figure_shows_both_sides(engine: Engine) -> None:
    text = answered(engine, "how many prisoners did the government free at christmas")
    assert "99 prisoners" in text and "only 61" in text and "Foro Penal" in text


def test_answer_cites_sources_with_chain_and_date(engine: Engine) -> None:
    answer = engine.answer("How many political prisoners were released on January 1?")
    assert answer.answered and answer.entry_id
    names = {c.source for c in answer.citations}
    assert "Committee for the Freedom of Political Prisoners" in names
    committee = next(c for c in answer.citations if c.source.startswith("Committee"))
    assert committee.via == ("AFP", "TASR") and committee.date == "2026-01-01"
    assert "1 January 2026" in answer.text
    assert any(f.value == "at least 87 people" for f in answer.facts)
    assert 0.0 <= answer.confidence <= 1.0 and answer.confidence >= ANSWER_THRESHOLD


@pytest.mark.parametrize(
    "question",
    [
        "hello",
        "tell me a joke",
        "How many prisoners were released in Cuba last year?",
        "how many political prisoners did nicaragua release on january 1",
        "Who won the 2018 Venezuelan election?",
        "how many people died in the 2017 protests",
        "How many prisoners were released on December 31?",
        "how many prisoners will be released next year?",
        "what is the capital of venezuela",
        "how many boats has the US sunk?",
        "What did the UN say about the releases?",
        "What did Maduro say about the January 1 releases?",
        "How many Americans died in the boat strikes?",
        "how many women prisoners were released",
        "how many fishermen died in the strikes",
        "exactly how many of the people killed in the us boat strikes were fishermen",  # only a part
        "cuantos de los muertos en los ataques eran pescadores",
        "who was venezuela's president before maduro",  # someone other than the one named
        "Did Cuba release 87 prisoners?",  # a claim about another country is another story
        "Did the UN confirm the releases?",  # and so is one about a name the story never mentions
        "maduro vote %",  # a share the base does not give
        "como se llaman los presos liberados",  # their names, not what anyone was called
        "who confirmed that?",  # each question is read on its own: "that" is unknown
        "How many more prisoners did the government claim than Foro Penal confirmed?",  # arithmetic
        "how many of the 99 could not be confirmed",  # the rest of a figure: a subtraction
        "How many of the 28 people who died in the protests were killed by the police?",  # a part of 28
        "what's the gap between the government's christmas number and foro penal's",
        "was trump right to blockade the tankers?",  # a judgement
        "quien gobernaba antes de maduro",
        "how many prisoners were released in 2024",
        "How many prisoners were released on New Year's Day 2025?",
        "What is the weather in Caracas?",
        "",
        "   ",
        "???",
    ],
)
def test_out_of_scope_and_near_misses_are_declined(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert not answer.answered, f"{question!r} answered with {answer.entry_id}: {answer.text}"
    assert "/timeline" in answer.text
    assert not answer.citations


@pytest.mark.parametrize(
    ("question", "wrong_figure"),
    [
        ("how many of the 2,400 detained are still held", "2,400"),  # "still held" is not "detained"
        ("how many are still locked up", "2,400"),
        ("how many people were detained during the protests", "700"),
    ],
)
def test_detained_then_is_not_held_now(engine: Engine, question: str, wrong_figure: str) -> None:
    answer = engine.answer(question)
    assert not (answer.answered and wrong_figure in answer.text), answer.text


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("Can you confirm the number of deaths during the 2024 unrest?", "28"),  # asks how many
        ("could you tell me how many were freed on new year's day", "87"),
        ("cuantos muertos hubo en las protestas despues de las elecciones de 2024", "28"),
        ("Edmundo González, who is he?", "González"),  # "he" is named in the question
    ],
)
def test_wrappers_and_prepositions_do_not_hide_the_question(
    engine: Engine, question: str, figure: str
) -> None:
    assert figure in answered(engine, question)


@pytest.mark.parametrize(
    ("question", "part"),
    [
        ("how many of the dead were fishermen", "fishermen"),
        ("cuantos de los muertos eran pescadores", "pescadores"),
        ("how many of the 99 were confirmed", None),  # a participle: what happened to the 99
        ("how many of them were taken to caracas", None),
        ("how many were freed", None),
    ],
)
def test_the_part_a_question_counts(question: str, part: str | None) -> None:
    """ "How many of the X were Y" counts Y when Y is a noun; a participle says what happened to X."""
    assert subset_counted(question) == part


@pytest.mark.parametrize(
    ("claim", "correction"),
    [
        ("were 150 people killed in the protests?", "28 people"),
        ("I heard 78 were freed from Tocoron, right?", "at least 87"),
        ("foro penal confirmed 69 of the 99, correct?", "only 61"),
        ("Was the protest death toll 28 or 38?", "28 people"),  # the entry that knows one figure
        ("did the government say it freed 99 or 90 prisoners at christmas?", "99"),
    ],
)
def test_a_wrong_claim_gets_the_sourced_figure(engine: Engine, claim: str, correction: str) -> None:
    text = answered(engine, claim)
    assert correction.lower() in text.lower()


def test_decline_offers_close_entries(engine: Engine) -> None:
    answer = engine.answer("how many fishermen were among the dead in the boat strikes")
    assert len(answer.suggestions) <= 3
    assert all(s.entry_id in engine.base.questions for s in answer.suggestions)


def test_answer_entry_and_complete(engine: Engine) -> None:
    first = next(iter(engine.base.questions))
    assert engine.answer_entry(first) is not None
    assert engine.answer_entry("no-such-entry") is None
    hits = engine.complete("foro penal")
    assert 0 < len(hits) <= 25
    assert any("Foro Penal" in q for _, q in hits)
    assert len(engine.complete("")) <= 25


def test_closest_is_reported_even_when_declining(engine: Engine) -> None:
    entry, question, confidence = engine.closest("how many prisoners were released in Cuba")
    assert entry is not None and question is not None
    assert confidence < ANSWER_THRESHOLD


# Regression floors a little under what each set scores now (0.974, 0.918, 0.843, 0.930); see README.
@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("heldout_questions.yaml", 0.95),
        ("heldout2_questions.yaml", 0.88),
        ("heldout3_questions.yaml", 0.79),
        ("heldout4_questions.yaml", 0.87),
        ("heldout5_questions.yaml", 0.84),
        ("heldout6_questions.yaml", 0.86),
        ("heldout8_questions.yaml", 0.87),
        ("heldout9_questions.yaml", 0.83),
    ],
)
def test_project_question_sets_never_get_a_wrong_figure(engine: Engine, name: str, floor: float) -> None:
    """Question sets written independently of the base (see tests/data): no wrong answers, most right."""
    result = score(engine, DATA / name)
    assert not result.wrong, "\n".join(result.wrong)
    assert result.accuracy >= floor, f"{result.accuracy:.3f}; missed: {result.missed}"


def test_synonyms_are_the_editors(tmp_path: Path) -> None:
    """A synonym added to the base, not to the code, makes a new word work."""
    root = write_base(tmp_path / "kb")
    plain = Engine(load_base(root))
    assert not plain.answer("How many gizmos happened?").answered
    (root / "vocab.yaml").write_text("synonyms:\n  - [thing, gizmo, gizmos]\n", encoding="utf-8")
    assert Engine(load_base(root)).answer("How many gizmos happened?").answered


WHAT_AND_WHY = """\
questions:
  - id: why-happened
    question: Why did the things hit?
    alternates: [What is the reason the things hit?]
    answer: "{count} happened, for reasons of their own."
  - id: what-happened
    question: What did the things hit?
    answer: "{count} happened on {count.date}."
"""


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("what did the things hit", "what-happened"),
        ("why did the things hit", "why-happened"),
        ("what reason did the things have to hit", "why-happened"),
    ],
)
def test_the_question_word_picks_between_entries_with_the_same_words(
    tmp_path: Path, question: str, entry: str
) -> None:
    """Same words, different question: "what did they hit" is not "why did they hit"."""
    engine = Engine(load_base(write_base(tmp_path / "kb", questions_yaml=WHAT_AND_WHY)))
    answer = engine.answer(question)
    assert answer.entry_id == entry, (answer.entry_id, answer.confidence)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(
            alphabet=st.sampled_from(list("\u200b\u200e\u200f\u202e\u2066\ufeff\x00\x07\n\t ?!.,🙂👩‍👩‍👧 ")),
            max_size=300,
        ),
        st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=5), st.integers(1, 4000)),
    )
)
def test_any_unicode_gets_a_result(question: str) -> None:
    engine = _shared_engine()
    answer = engine.answer(question)
    assert isinstance(answer.text, str) and answer.text
    assert 0.0 <= answer.confidence <= 1.0


_ENGINE: list[Engine] = []


def _shared_engine() -> Engine:
    if not _ENGINE:
        _ENGINE.append(Engine(load_base()))
    return _ENGINE[0]


def test_huge_question_is_bounded(engine: Engine) -> None:
    answer = engine.answer("how many were released " * 5000)
    assert answer.text


def test_typos_never_turn_into_a_wrong_figure(engine: Engine) -> None:
    """Every question of the project's sets with a random slip: declining is fine, a wrong figure is not."""
    rng = random.Random(2026)
    wrong = []
    for path in sorted(DATA.glob("*_questions.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            question = with_slip(item["q"], rng)
            answer = engine.answer(question)
            if not answer.answered:
                continue
            text = norm(answer.text)
            if item["expect"] == "abstain" or not all(group_matches(g, text) for g in item["expect"]):
                wrong.append(f"{question!r} -> {answer.entry_id}")
    assert not wrong, "\n".join(wrong)


def test_a_decline_offering_questions_ends_in_one_question_mark() -> None:
    asked = (Suggestion("a", "How many were freed?", 0.4), Suggestion("b", "Who won?", 0.3))
    for language in ("en", "es"):
        text = decline("how many cats?", "the story", 0.3, asked, language).text
        assert text.endswith("Who won?") and "??" not in text, text
    unmarked = decline("x", "the story", 0.3, (Suggestion("c", "The July 2024 election", 0.3),)).text
    assert unmarked.endswith("The July 2024 election?")
