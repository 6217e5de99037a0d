"""Classes of claim and question the second engine reads, each tested on wordings of its own.

Contrast kinds: a claim naming another value of a kind the sources name (another prison, state,
person, weekday, rank) is contradicted; the value they name is supported; a question about another
value is declined. Also: hedges ("exactly 87"), allegations, disagreements, figures in words,
dates in statements, shouted text, code-switching, chat spellings, and claims the sources do not
settle."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine, VerdictKind
from bot.engine.compose import decline
from bot.engine.language import LanguageData, detect_language, merged_contrasts
from bot.engine.lexicon import figures_in_words
from bot.knowledge import KnowledgeError, load_base
from tests.helpers import write_base


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_base())


@pytest.mark.parametrize(
    ("claim", "asserted"),
    [
        ("the new year detainees walked out of ramo verde", "ramo verde"),  # another prison
        ("Tocorón is a jail in Zulia", "zulia"),  # another state
        ("Obama announced the blockade of sanctioned oil tankers", "obama"),  # another person
        ("the prisoners got out on a Monday, on New Year's Day", "monday"),  # another weekday
        ("the dock strike was the second US strike on Venezuelan territory", "second"),  # another rank
    ],
)
def test_another_value_of_the_kind_is_contradicted(engine: Engine, claim: str, asserted: str) -> None:
    answer = engine.answer(claim)
    assert answer.answered, answer.text
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
    assert answer.verdict.asserted == asserted


def test_the_value_the_sources_name_is_supported_and_shown_as_written(engine: Engine) -> None:
    answer = engine.answer("the 87 were let out of the Tocoron jail, correct?")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.SUPPORTED, answer.text
    assert "Tocorón" in answer.verdict.sourced


def test_a_verdict_replaces_the_yes_or_no_of_the_answer(engine: Engine) -> None:
    answer = engine.answer("the dock strike was the second US strike on Venezuelan territory")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED
    body = answer.text.split("\n", 1)[1]
    assert not body.startswith(("Yes", "No")), body


@pytest.mark.parametrize(
    "question",
    [
        "How many political prisoners are held in Lara?",  # a state the base does not name
        "what happened at El Helicoide on new year's day?",  # a prison the base does not name
        "how many were freed on Saturday?",  # the sources say Thursday
    ],
)
def test_a_question_about_another_value_is_declined(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert not answer.answered, answer.text


@pytest.mark.parametrize(
    "claim",
    [
        "Congress voted to stop the boat strikes in the Caribbean",
        "the US navy captured an oil tanker sailing from Venezuela under the blockade",
    ],
)
def test_a_claim_asserting_more_than_the_sources_is_declined_not_answered_beside(
    engine: Engine, claim: str
) -> None:
    """A neighbouring fact under an unsettled claim reads like a confirmation."""
    answer = engine.answer(claim)
    assert not answer.answered and answer.verdict is None, answer.text


@pytest.mark.parametrize(("language", "word"), [("en", "settle"), ("es", "confirmar ni desmentir")])
def test_an_unsettled_claim_is_declined_as_such(language: str, word: str) -> None:
    answer = decline("x", "the story", 0.9, (), language, unsettled=True)
    assert not answer.answered and word in answer.text and answer.language == language


def test_a_request_is_not_a_claim(engine: Engine) -> None:
    assert engine.answer("explain the blockade of the oil tankers").answered


def test_shouting_is_not_a_name(engine: Engine) -> None:
    """Capitals on every word carry no meaning: "STILL LOCKED UP" names nobody."""
    loud = engine.answer("HOW MANY PEOPLE ARE STILL LOCKED UP FOR POLITICAL REASONS")
    quiet = engine.answer("how many people are still locked up for political reasons")
    assert quiet.answered and loud.answered and loud.entry_id == quiet.entry_id


def test_a_base_about_another_subject_brings_its_own_kinds(tmp_path: Path) -> None:
    """Nothing about prisons is built in: a base's vocabulary declares its own kinds."""
    root = write_base(
        tmp_path / "kb",
        facts_yaml="""\
facts:
  - id: where
    topic: main
    statement: The things happened in the Riverside stadium.
    value: the Riverside stadium
    date: 2025-12-31
    sources:
      - source: agency
""",
        questions_yaml="""\
questions:
  - id: where
    question: Where did the things happen?
    alternates: [In which stadium did the things happen?]
    answer: "In {where}."
""",
        vocabulary_yaml="""\
contrasts:
  venue: [riverside, [hilltop, hill top], lakeside]
""",
    )
    engine = Engine(load_base(root))
    answer = engine.answer("the things happened in the Hilltop stadium")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
    assert answer.verdict.asserted == "hilltop" and "Riverside" in answer.verdict.sourced
    assert not engine.answer("Where did the things happen in the Lakeside stadium?").answered


def test_a_contrast_with_one_value_is_reported_with_its_line(tmp_path: Path) -> None:
    root = write_base(tmp_path / "kb", vocabulary_yaml="contrasts:\n  venue: [riverside]\n")
    with pytest.raises(KnowledgeError) as info:
        load_base(root)
    found = [p for p in info.value.problems if "venue" in p.message]
    assert found and found[0].line == 2 and found[0].file.endswith("vocabulary.yaml"), info.value.report()


def test_language_contrasts_merge_spellings_across_languages() -> None:
    kinds = merged_contrasts()
    thursday = next(v for v in kinds["weekday"] if v[0] == "thursday")
    assert "jueves" in thursday and all("jueves" not in v for v in kinds["weekday"] if v is not thursday)
    with pytest.raises(ValueError, match="two values"):
        LanguageData.model_validate({"language": "xx", "function_words": [], "contrasts": {"k": ["a"]}})


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("how many in total across the two releases", "how many in total across the 2 releases"),
        ("eighty seven people", "87 people"),
        ("ochenta y siete presos", "87 presos"),
        ("seven hundred still held", "700 still held"),
    ],
)
def test_figures_in_words(text: str, figures: str) -> None:
    assert figures_in_words(text) == figures


def test_a_figure_written_in_words_is_checked_like_digits(engine: Engine) -> None:
    answer = engine.answer("so ninety got out on new year's day, right?")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
    assert answer.verdict.asserted == "90"


def test_a_count_restricted_to_part_of_a_total_is_declined(engine: Engine) -> None:
    """The boat-strike toll covers the Caribbean and the Pacific: it says nothing of one of them."""
    assert engine.answer("How many people died in the US boat strikes?").answered
    assert not engine.answer("how many were killed by the US strikes in the Pacific only?").answered


def test_only_part_of_what_the_sources_name_is_contradicted(engine: Engine) -> None:
    answer = engine.answer("US forces attacked boats only in the Pacific")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
    assert "Caribbean" in answer.verdict.sourced


@pytest.mark.parametrize(
    "claim",
    [
        "Is it true that Caracas funds narco-terrorism with oil money?",
        "Venezuela uses its oil money to pay for narco-terrorism",
    ],
)
def test_an_allegation_is_not_confirmed_unless_credited(engine: Engine, claim: str) -> None:
    """The sources report that Trump says so: that neither confirms nor refutes it."""
    answer = engine.answer(claim)
    assert answer.verdict is None or answer.verdict.kind != VerdictKind.SUPPORTED, answer.text
    credited = engine.answer("Trump says Caracas funds narco-terrorism with oil money")
    assert credited.verdict is not None and credited.verdict.kind == VerdictKind.SUPPORTED, credited.text


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("What date el gobierno announced los 99 releases?", "es"),
        ("Is Tocorón in Aragua?", "en"),
        ("who is Edmundo González Urrutia?", None),
    ],
)
def test_code_switching_is_answered_in_spanish_names_are_no_language(
    question: str, language: str | None
) -> None:
    assert detect_language(question) == language


def test_spanish_chat_spellings_are_repaired_by_sound(engine: Engine) -> None:
    answer = engine.answer("kuantos presos politicos kedan en venezuela")
    assert answer.answered and answer.language == "es" and "700" in answer.text, answer.text


def test_the_other_side_of_a_disagreement_makes_a_claim_disputed_not_contradicted(engine: Engine) -> None:
    answer = engine.answer("el ganador de las elecciones de 2024 fue Edmundo González Urrutia")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.DISPUTED, answer.text
    assert "Oposición venezolana" in answer.text  # the source's name in the reader's language


def test_a_value_neither_side_gives_is_contradicted_with_both_sides(engine: Engine) -> None:
    answer = engine.answer("María Corina Machado won the 2024 presidential election")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
    assert "Maduro" in answer.verdict.sourced and "González" in answer.verdict.sourced


@pytest.mark.parametrize(
    ("claim", "asserted"),
    [
        ("precisely 87 prisoners got out of Tocorón on 1 January", "precisely 87"),
        ("fewer than 700 political prisoners are still detained", "fewer than 700"),
    ],
)
def test_a_hedge_the_source_rules_out_is_contradicted(engine: Engine, claim: str, asserted: str) -> None:
    """The sources say "at least 87", "more than 700": an exact or a lower figure claimed is not so."""
    answer = engine.answer(claim)
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
    assert answer.verdict.asserted == asserted


def test_a_plain_figure_within_the_sources_hedge_is_still_supported(engine: Engine) -> None:
    answer = engine.answer("87 prisoners got out of Tocorón on 1 January")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.SUPPORTED, answer.text


def test_the_right_year_never_confirms_a_disputed_winner(engine: Engine) -> None:
    """Confirming a disputed claim because its year is right is confirming a false claim."""
    answer = engine.answer("González Urrutia won the presidential election in 2024")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.DISPUTED, answer.text
    dated = engine.answer("the presidential election took place in July 2024")
    assert dated.verdict is not None and dated.verdict.kind == VerdictKind.SUPPORTED, dated.text


def test_a_statement_with_the_wrong_month_is_contradicted(engine: Engine) -> None:
    answer = engine.answer("the US has been hitting boats since March")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
    assert "September" in answer.verdict.sourced


def test_a_yes_no_question_about_another_day_is_not_contradicted(engine: Engine) -> None:
    """ "Did they free anyone on 31 December?": the sources report other days; they do not say no."""
    answer = engine.answer("Did Venezuela free any political prisoners on December 30?")
    assert answer.verdict is None or answer.verdict.kind != VerdictKind.CONTRADICTED, answer.text


def test_a_contrast_value_in_two_kinds_is_reported(tmp_path: Path) -> None:
    root = write_base(
        tmp_path / "kb",
        vocabulary_yaml="contrasts:\n  venue: [riverside, lakeside]\n  town: [lakeside, hilltop]\n",
    )
    with pytest.raises(KnowledgeError) as info:
        load_base(root)
    assert any("lakeside" in p.message and "venue" in p.message for p in info.value.problems), (
        info.value.report()
    )


@pytest.mark.parametrize(
    ("claim", "kind"),
    [
        ("The report says Foro Penal could confirm only 61 of the Christmas releases", "supported"),
        ("Foro Penal confirm all 99 of the christmas releases", "contradicted"),
    ],
)
def test_whoever_a_claim_credits_is_read_wherever_the_verb_is(engine: Engine, claim: str, kind: str) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is not None and answer.verdict.kind == kind, answer.text


@pytest.mark.parametrize(
    "claim", ["so tocoron prison is in caracas?", "the 87 walked out of a jail in Caracas"]
)
def test_a_city_is_not_its_country(engine: Engine, claim: str) -> None:
    """ "In Caracas" is not "in Venezuela": never confirmed by the facts that say Aragua."""
    answer = engine.answer(claim)
    assert answer.verdict is None or answer.verdict.kind != VerdictKind.SUPPORTED, answer.text


@pytest.mark.parametrize(
    ("claim", "kind"),
    [
        ("it is not true that 28 people died in the protests", "contradicted"),
        ("no es verdad que murieron 28 personas en las protestas", "contradicted"),
        ("Foro Penal did not confirm all 99 of the christmas releases", "supported"),
    ],
)
def test_a_denied_claim_gets_the_turned_verdict(engine: Engine, claim: str, kind: str) -> None:
    """Confirming "not 28" because 28 is right would confirm a false claim."""
    answer = engine.answer(claim)
    assert answer.verdict is not None and answer.verdict.kind == kind, answer.text


@pytest.mark.parametrize(
    "question", ["28 people died in the protests, didn't they?", "Weren't 28 people killed in the protests?"]
)
def test_a_tag_or_a_negative_question_is_no_denial(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.verdict is None or answer.verdict.kind == VerdictKind.SUPPORTED, answer.text


def test_a_passive_credits_who_the_by_names(engine: Engine) -> None:
    answer = engine.answer("all 99 christmas releases were confirmed by foro penal")
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text


def test_a_denial_after_the_value_is_emphasis_not_a_denial(engine: Engine) -> None:
    """ "Precisely 87, not one more" is still a claim of exactly 87, which the sources rule out."""
    answer = engine.answer("precisely 87 prisoners got out of Tocorón on 1 January, not one more")
    assert answer.verdict is None or answer.verdict.kind != VerdictKind.SUPPORTED, answer.text


@pytest.mark.parametrize(
    "claim",
    ["every US strike on boats happened in the Pacific", "the attacks on boats were all in the Caribbean"],
)
def test_all_of_it_in_one_part_is_narrowing_too(engine: Engine, claim: str) -> None:
    """ "All in the Caribbean" where the sources say the Caribbean and the Pacific: never supported."""
    answer = engine.answer(claim)
    assert answer.verdict is None or answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text


@pytest.mark.parametrize(
    "claim",
    [
        "87 detainees from the 2018 protests were freed on new year",
        "28 died in the 2019 protests",
        "los 87 liberados eran detenidos de las protestas de 2017",
    ],
)
def test_a_year_naming_another_years_event_is_contradicted(engine: Engine, claim: str) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
    assert "2024" in answer.verdict.sourced


@pytest.mark.parametrize(
    "claim",
    [
        "the people let out on jan 1 were arrested in the protests after the 2024 election, right?",
        "the 87 freed on 1 January were detained after the 2024 vote",
        "pana Maduro esta en el poder desde el 2013 vale",
    ],
)
def test_a_year_that_names_the_right_event_does_not_date_the_claim(engine: Engine, claim: str) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is None or answer.verdict.kind == VerdictKind.SUPPORTED, answer.text


@pytest.mark.parametrize(
    "claim",
    ["28 people died in 2019", "over 700 were still locked up in 2020", "murieron 28 personas en 2018"],
)
def test_the_right_figure_in_another_year_is_never_supported(engine: Engine, claim: str) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is None or answer.verdict.kind != VerdictKind.SUPPORTED, answer.text


@pytest.mark.parametrize(
    "claim",
    [
        "every single person killed in the boat strikes was a fisherman",
        "the US strikes only killed fishermen, all of them",
        "todos los muertos de los ataques a las lanchas eran pescadores, ¿no?",
    ],
)
def test_a_whole_claimed_where_the_sources_give_a_part_is_never_supported(engine: Engine, claim: str) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is None or answer.verdict.kind != VerdictKind.SUPPORTED, answer.text


@pytest.mark.parametrize(
    "question",
    [
        "besides Tocoron, which prisons let people out on new year's day?",
        "apart from tocorón were any other jails emptied on jan 1",
        "además de Tocorón, ¿de qué otras cárceles salieron presos el 1 de enero?",
    ],
)
def test_a_question_setting_aside_the_value_the_sources_name_is_declined(
    engine: Engine, question: str
) -> None:
    answer = engine.answer(question)
    assert not answer.answered, answer.text


@pytest.mark.parametrize(
    "claim",
    [
        "Foro Penal confirmed the 99 releases the government announced at Christmas",
        "Foro Penal verified all 99 of the releases that the government announced",
        "Foro Penal confirmó las 99 excarcelaciones que anunció el gobierno en Navidad",
    ],
)
def test_a_figure_is_credited_to_the_verb_before_it(engine: Engine, claim: str) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text


@pytest.mark.parametrize(
    "question",
    [
        "of the 28 who died in the protests, how many were killed by police?",
        "so of the 28 dead, how many were students?",
        "de los 28 muertos en las protestas, ¿cuántos eran estudiantes?",
    ],
)
def test_a_part_of_a_whole_asked_whole_first_is_declined(engine: Engine, question: str) -> None:
    assert not engine.answer(question).answered
