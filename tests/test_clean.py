"""Discord text made plain before matching: mentions, emoji, links, markdown, invisible characters."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.engine.clean import clean_discord_text
from bot.knowledge import load_base


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_base())


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<@123456789012345678> how many died", "how many died"),
        ("<@!123456789012345678> how many died", "how many died"),
        ("<@&987654321098765432> how many died", "how many died"),
        ("<#111111111111111111> how many died", "how many died"),
        ("@everyone how many died @here", "how many died"),
        ("how many died <:pog:123456789012345678> <a:dance:123456789012345678>", "how many died"),
        ("how many died https://x.com/a/status/1874839201 www.example.org/x", "how many died"),
        ("**how many** __died__ ~~really~~ ||spoiler||", "how many died really spoiler"),
        ("> how many died", "how many died"),
        ("how many peo\u200bple di\u00aded", "how many people died"),
        ("[the AFP story](https://afp.com/x) says 87", "the AFP story says 87"),
    ],
)
def test_discord_markup_is_removed(raw: str, plain: str) -> None:
    assert clean_discord_text(raw) == plain


@pytest.mark.parametrize(
    "question",
    [
        "<@123456789012345678> how many political prisoners were released on 1 January?",
        "@everyone how many political prisoners were released on 1 January??",
        "how many political prisoners were released on 1 January? https://x.com/status/18748392016",
        "how many political **prisoners** were released on 1 January? <:pog:123456789012345678>",
        "how many political pris\u200boners were released on 1 January?",
    ],
)
def test_an_id_in_markup_is_never_read_as_a_figure(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.answered and "at least 87" in answer.text.lower()
    assert answer.question == question  # the reader's own text is kept for the reply


@pytest.mark.parametrize(
    "raw", ["BREAKING: 80 freed", "breaking!! 80 freed", "JUST IN - 80 freed", "🚨 BREAKING: 80 freed"]
)
def test_a_headline_tag_is_not_part_of_the_claim(raw: str) -> None:
    assert clean_discord_text(raw).endswith("80 freed") and "breaking" not in clean_discord_text(raw).lower()


def test_a_pasted_post_loses_its_handles() -> None:
    """ "RT @someone: …" from another network: who posted it is not part of the claim."""
    from bot.engine.clean import clean_discord_text

    assert clean_discord_text("RT @rights_watch: 87 freed from Tocorón") == "87 freed from Tocorón"
    assert clean_discord_text("as @newsdesk said, 87 were freed") == "as said, 87 were freed"
    assert clean_discord_text("mail x@y.com") == "mail x@y.com"
