"""Fact-check mode without Discord: verdicts in the answer, `ask --json` and `check-claims`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine import Engine, VerdictKind
from bot.engine.claims import MAX_CLAIMS, MAX_SENTENCES, checkable, sentences
from bot.knowledge import load_base


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_base())


@pytest.mark.parametrize(
    ("claim", "sourced"),
    [
        ("At least 87 detainees were freed from Tocorón on New Year's Day.", "87"),
        ("The protests after the July 2024 election left 28 people dead.", "28"),
        ("about 2,400 were detained during the protests", "2,400"),
        ("Maduro has been president since 2013.", "2013"),
        ("foro penal could only confirm 61 of the christmas releases", "61"),
        ("Official figures say authorities have released more than 2000 people so far", "2,000"),
    ],
)
def test_supported_claims(engine: Engine, claim: str, sourced: str) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.SUPPORTED, answer.text
    assert sourced in answer.text


@pytest.mark.parametrize(
    ("claim", "asserted", "sourced"),
    [
        ("only 50 people got out of tocoron on jan 1 lol", "50", "87"),
        ("so 90 got out on new year's day, yeah?", "90", "87"),
    ],
)
def test_contradicted_claims_name_both_values(
    engine: Engine, claim: str, asserted: str, sourced: str
) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
    assert answer.verdict.asserted == asserted and sourced in answer.verdict.sourced
    assert answer.text.startswith(f"Contradicted: The claim says {asserted}")


@pytest.mark.parametrize(
    "claim",
    [
        "The government freed 99 prisoners on 25 December.",
        "Maduro won the 2024 election.",
        "99 were freed at christmas",
    ],
)
def test_disputed_claims_show_every_side(engine: Engine, claim: str) -> None:
    answer = engine.answer(claim)
    assert answer.verdict is not None and answer.verdict.kind == VerdictKind.DISPUTED, answer.text
    assert len(answer.verdict.sides) == 2 and all(side.claimants for side in answer.verdict.sides)


@pytest.mark.parametrize(
    "claim",
    [
        "Half of the people released on 1 January were women.",
        "The government only freed them to look good abroad.",
        "Cuba released 87 political prisoners this week.",
        "87 were released from Tocorón and all of them were students",
        "the jan 1 release was the first prisoner release in the past week",
        "Maduro won the July 2024 presidential election",
    ],
)
def test_nothing_unsettled_is_ever_supported(engine: Engine, claim: str) -> None:
    """Confirming a false or unverifiable claim is the worst failure: never "supported" here."""
    answer = engine.answer(claim)
    assert answer.verdict is None or answer.verdict.kind != VerdictKind.SUPPORTED, answer.text


@pytest.mark.parametrize(
    ("claim", "year"),
    [
        ("These guys were detained in protests after the 2018 presidential election", "2018"),
        ("the protesters arrested in 2019 were freed on new year's day, right?", "2019"),
    ],
)
def test_a_claim_about_another_year_is_contradicted_or_declined(
    engine: Engine, claim: str, year: str
) -> None:
    answer = engine.answer(claim)
    if answer.answered:
        assert answer.verdict is not None and answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text
        assert year in answer.verdict.asserted


@pytest.mark.parametrize(
    "claim",
    [
        "the jan 1 release was the first prisoner release in the past week",
        "the christmas prisoners were released from Tocorón",
        "prisoners were released on 25 December",
    ],
)
def test_a_figure_dispute_needs_a_figure(engine: Engine, claim: str) -> None:
    """Words alone ("prisoners") never make a claim "disputed" over 99 against 61, nor "supported"."""
    answer = engine.answer(claim)
    assert answer.verdict is None or answer.verdict.kind == VerdictKind.CONTRADICTED, answer.text


def test_ask_json_carries_the_verdict_and_language(engine: Engine) -> None:
    data = engine.answer("so 90 got out on new year's day, yeah?").to_json()
    assert data["verdict"] == "contradicted" and data["asserted"] == "90" and data["language"] == "en"
    assert engine.answer("How many people died in the protests?").to_json()["verdict"] is None


def test_a_long_message_is_bounded(engine: Engine) -> None:
    message = ". ".join(f"{n} people were freed from Tocorón on 1 January" for n in range(40))
    assert len(sentences(message)) == MAX_SENTENCES
    assert len(checkable(message, engine.answer)) <= MAX_CLAIMS


def test_check_claims_reads_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rumours = tmp_path / "rumours.txt"
    rumours.write_text(
        "BREAKING: 80 freed from Tocorón on 1 January!\nnice weather today\n\n"
        "the government let 99 people go on 25 December\n",
        encoding="utf-8",
    )
    assert main(["check-claims", "--json", str(rumours)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 4]
    assert rows[0]["claims"][0]["verdict"] == "contradicted"
    assert rows[1]["claims"] == []
    assert rows[2]["claims"][0]["verdict"] == "disputed"


def test_check_claims_on_a_missing_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-claims", str(tmp_path / "nope.txt")]) == 1
    assert "Cannot read" in capsys.readouterr().err
