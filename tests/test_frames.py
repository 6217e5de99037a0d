"""The frame around a claim (where a reader says it came from, the words asking for a check), a claim
that credits a figure to a source the base does not credit it to, and a claim naming another force.

Each class is tested on several wordings; none of them is a wording the engine was fitted on."""

from __future__ import annotations

import pytest

from bot.engine import Engine, VerdictKind
from bot.engine.frames import read_frame
from bot.knowledge import load_base


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_base())


def _nothing(_: str) -> bool:
    return False


@pytest.mark.parametrize(
    ("message", "body"),
    [
        ("Tweet: 90 people were freed on new year's day", "90 people were freed on new year's day"),
        ("someone in my group chat posted that 90 were freed", "90 were freed"),
        ("ok but my aunt says 90 were freed", "90 were freed"),
        ("dicen que soltaron a 90 presos", "soltaron a 90 presos"),
        ("90 were freed on new year's day. Legit?", "90 were freed on new year's day."),
        ("90 were freed on new year's day, true?", "90 were freed on new year's day"),
        ('Screenshot going round: "90 were freed." True or false?', "90 were freed."),
    ],
)
def test_a_frame_is_taken_off_and_puts_the_claim_up_for_checking(message: str, body: str) -> None:
    framed = read_frame(message, _nothing)
    assert framed.body == body
    assert framed.checking


@pytest.mark.parametrize(
    "message",
    [
        "did the committee say 90 were freed?",  # a question about what a source said
        "who says 90 were freed?",
        "90 were freed. How many were women?",  # a question of its own after the claim
        "so: freed",  # nothing would be left to read
    ],
)
def test_no_frame_is_taken_from_a_question_or_a_bare_remark(message: str) -> None:
    framed = read_frame(message, _nothing)
    assert framed.body == message
    assert not framed.checking


def test_a_frame_naming_what_the_base_knows_stays(engine: Engine) -> None:
    named = engine.index.names_something
    assert read_frame("Foro Penal says only 61 could be confirmed", named).body.startswith("Foro Penal")
    assert read_frame("AFP: more than 700 are still held", named).body.startswith("AFP")
    assert read_frame("a guy on my feed says more than 700 are still held", named).body.startswith("more")


@pytest.mark.parametrize(
    ("claim", "kind"),
    [
        ("A thread on reddit says 82 died in the protests. Accurate?", VerdictKind.CONTRADICTED),
        ("Headline in my feed: 28 people died in the protests after the vote", VerdictKind.SUPPORTED),
        ("un audio de whatsapp dice que murieron 82 personas en las protestas", VerdictKind.CONTRADICTED),
    ],
)
def test_a_framed_claim_gets_its_verdict(engine: Engine, claim: str, kind: VerdictKind) -> None:
    answer = engine.answer(claim)
    assert answer.answered, answer.text
    assert answer.verdict is not None and answer.verdict.kind == kind, answer.text


@pytest.mark.parametrize(
    "claim",
    [
        "Foro Penal says 28 people died in the protests",
        "Foro Penal counts more than 700 political prisoners still held",
        "the Mothers' Committee documented around 2,400 arrests in the protests",
    ],
)
def test_a_figure_credited_to_a_source_that_does_not_give_it_is_never_supported(
    engine: Engine, claim: str
) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is None or answer.verdict.kind != VerdictKind.SUPPORTED, answer.text


@pytest.mark.parametrize(
    "claim",
    [
        "AFP says 28 people died in the protests",
        "Foro Penal could only confirm 61 of the Christmas releases",
        "TASR reported that at least 87 were freed",
    ],
)
def test_a_figure_credited_to_its_own_source_is_supported(engine: Engine, claim: str) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.SUPPORTED, answer.text


@pytest.mark.parametrize(
    "claim",
    [
        "around 2,400 protesters were rounded up by soldiers",
        "the army detained about 2,400 people during the protests",
        "el ejército detuvo a unas 2.400 personas en las protestas",
    ],
)
def test_another_force_than_the_one_the_sources_name_is_contradicted(engine: Engine, claim: str) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
    assert "police" in answer.verdict.sourced.casefold() or "policía" in answer.verdict.sourced.casefold()


@pytest.mark.parametrize(
    ("message", "body"),
    [
        ("which state is tocoron in? never been there lol", "which state is tocoron in?"),
        ("when did the boat strikes start?? feels like ages", "when did the boat strikes start??"),
        ("¿en qué estado queda tocorón? nunca he ido", "¿en qué estado queda tocorón?"),
    ],
)
def test_a_remark_after_a_question_is_set_aside(message: str, body: str) -> None:
    assert read_frame(message, _nothing).body == body


@pytest.mark.parametrize(
    "message",
    [
        "how many died? in the protests i mean",  # the remark says what is asked
        "which prison? the one in Aragua",  # names something
        "the 87 got out. why?",  # no question before the remark
    ],
)
def test_a_remark_that_may_be_the_topic_stays(engine: Engine, message: str) -> None:
    assert read_frame(message, engine.index.names_something).body == message


@pytest.mark.parametrize(
    ("message", "body"),
    [
        ("Según entiendo, los presos salieron de El Helicoide", "los presos salieron de El Helicoide"),
        ("ok i was told 90 got out on new year's day", "90 got out on new year's day"),
        ("is it true that 90 got out on new year's day", "90 got out on new year's day"),
    ],
)
def test_a_claim_marker_opening_a_message_is_a_frame(message: str, body: str) -> None:
    framed = read_frame(message, _nothing)
    assert framed.body == body
    assert framed.checking


@pytest.mark.parametrize(
    ("message", "body"),
    [
        ("ok dumb q but wht state is tocoron in", "wht state is tocoron in"),
        ("sorry if this is obvious, but how many got out?", "how many got out?"),
        ("perdón la pregunta tonta pero ¿en qué estado queda Tocorón?", "¿en qué estado queda Tocorón?"),
    ],
)
def test_a_preamble_before_but_is_set_aside(engine: Engine, message: str, body: str) -> None:
    assert read_frame(message, engine.index.names_something, engine.index.knows_any).body == body


def test_a_claim_before_but_is_no_preamble(engine: Engine) -> None:
    message = "the 87 got out but how many are still held?"
    assert read_frame(message, engine.index.names_something, engine.index.knows_any).body == message
