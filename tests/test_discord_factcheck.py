"""Apps → "Check with factbot" and verdicts in /ask, driven through simcord's context-menu support."""

from __future__ import annotations

from typing import Any

from tests.world import World


def reply(world: World) -> dict[str, Any]:
    callback = world.callbacks()[-1]
    assert callback["type"] == 4
    data: dict[str, Any] = callback["data"]
    return data


async def check(world: World, text: str) -> dict[str, Any]:
    message = await world.bob.send(world.channel, text)
    result = await world.alice.context_menu(world.channel, "Check with factbot", message)
    assert result.acknowledged
    return reply(world)


async def test_a_wrong_figure_is_contradicted_with_the_sourced_one(world: World) -> None:
    data = await check(world, "80 political prisoners walked out of Tocorón on 1 January")

    assert not data.get("flags")  # public: the correction is for everyone who read the claim
    (embed,) = data["embeds"]
    first_line = embed["description"].splitlines()[0]
    assert first_line.startswith("❌ **Contradicted**") and "80" in first_line and "87" in first_line
    assert embed["color"] == 0xE74C3C  # red
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Committee for the Freedom of Political Prisoners" in fields["Sources"]
    assert embed["author"]["url"].startswith("https://discord.com/channels/")


async def test_the_christmas_figure_is_disputed_with_both_sides(world: World) -> None:
    data = await check(world, "the government let 99 people go on 25 December")

    (embed,) = data["embeds"]
    assert embed["description"].startswith("⚖️ **Disputed**")
    assert "99" in embed["description"] and "61" in embed["description"]
    assert "Foro Penal" in embed["description"] and "government" in embed["description"]


async def test_nothing_to_check_gets_one_polite_private_line(world: World) -> None:
    data = await check(world, "nice weather today")

    assert data["flags"] & 64  # ephemeral: no noise in the channel
    assert "nothing in that message" in data["content"] and not data.get("embeds")


async def test_several_claims_in_one_message_each_get_a_verdict(world: World) -> None:
    data = await check(
        world,
        "BREAKING: 80 freed from Tocorón on 1 January! Also Maduro has been president since 2019. "
        "lol the weather is nice. And 28 people died in the 2024 protests.",
    )

    marks = [e["description"].splitlines()[0][:2] for e in data["embeds"]]
    assert 2 <= len(marks) <= 3 and all(m.startswith(("❌", "✅", "⚖")) for m in marks)
    assert "lol the weather" not in str(data["embeds"])


async def test_hostile_messages_get_bounded_replies_that_ping_nobody(world: World) -> None:
    for text in [
        " ".join(str(n) for n in range(40)) + " prisoners were freed",
        "@everyone <@&123456789012345678> **80** were freed from Tocorón on 1 January https://x.co/a",
        "https://example.com/only-a-link",
        ("so 90 got out on new year's day, yeah? " * 60)[:1990],
    ]:
        data = await check(world, text)
        assert data["allowed_mentions"] == {"parse": []}
        assert "@everyone" not in str(data)
    # the conftest `world` fixture checks every payload against Discord's limits


async def test_ask_shows_the_verdict_first(world: World) -> None:
    await world.alice.slash(
        world.channel, "ask", question="so 90 got out of tocoron on new year's day, yeah?"
    )

    (embed,) = reply(world)["embeds"]
    assert embed["description"].startswith("❌ **Contradicted**")
    assert "at least 87" in embed["description"]
