"""Spanish on Discord: a client in es-419 or es-ES gets Spanish answers, declines, timeline and commands."""

from __future__ import annotations

import json
from typing import Any

from tests.world import World


async def spanish_slash(world: World, name: str, locale: str = "es-419", **options: str) -> dict[str, Any]:
    world.emit_slash(world.alice, world.channel, name, locale=locale, **options)
    await world.env.settle()
    callback = world.callbacks()[-1]
    data: dict[str, Any] = callback["data"]
    return data


async def test_ask_from_a_spanish_client_is_answered_in_spanish(world: World) -> None:
    data = await spanish_slash(world, "ask", question="¿cuántos detenidos salieron libres en Año Nuevo?")

    (embed,) = data["embeds"]
    assert "87" in embed["description"] and "al menos 87" in embed["description"].lower()
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert set(fields) >= {"Cifras", "Fuentes"} or set(fields) >= {"Cifras", "Fuente"}
    assert "1 de enero de 2026" in json.dumps(embed, ensure_ascii=False)
    assert "organización de derechos humanos" in json.dumps(embed, ensure_ascii=False)
    assert embed["footer"]["text"].startswith(("Confianza", "no estoy seguro"))


async def test_a_short_question_takes_the_client_language(world: World) -> None:
    data = await spanish_slash(world, "ask", question="Tocorón?", locale="es-ES")
    assert "Tocorón" in data["embeds"][0]["description"]
    assert "Fuente" in json.dumps(data, ensure_ascii=False)


async def test_an_english_question_from_a_spanish_client_stays_english(world: World) -> None:
    data = await spanish_slash(world, "ask", question="How many people died in the protests?")
    assert "28 people" in data["embeds"][0]["description"]


async def test_a_spanish_decline_is_spanish(world: World) -> None:
    data = await spanish_slash(world, "ask", question="¿Qué tiempo hará mañana en Caracas?")

    (embed,) = data["embeds"]
    assert embed["title"] == "No puedo responder eso con mis fuentes"
    assert embed["description"].startswith("Puedo responder preguntas sobre")  # the title, not said twice
    assert "No puedo responder eso con mis fuentes" not in embed["description"]
    assert "Try /timeline" not in embed["description"]


async def test_the_timeline_is_spanish(world: World) -> None:
    data = await spanish_slash(world, "timeline")

    embed = data["embeds"][0]
    assert embed["title"].startswith("Venezuela excarcela")
    assert "1 de enero de 2026" in embed["description"] and "eventos" in embed["footer"]["text"]


async def test_commands_are_registered_with_spanish_descriptions(world: World) -> None:
    puts = [r for r in world.env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]
    commands = {c["name"]: c for c in puts[-1].json}
    ask = commands["ask"]
    for locale in ("es-ES", "es-419"):
        assert ask["name_localizations"][locale] == "preguntar"
        assert ask["description_localizations"][locale].startswith("Haz una pregunta")
    option = next(o for o in ask["options"] if o["name"] == "question")
    assert option["name_localizations"]["es-419"] == "pregunta"
    assert commands["Check with factbot"]["name_localizations"]["es-ES"] == "Verificar con factbot"


async def test_about_and_sources_are_spanish(world: World) -> None:
    about = (await spanish_slash(world, "about"))["embeds"][0]
    assert about["title"].startswith("Venezuela excarcela")
    fields = {f["name"]: f["value"] for f in about["fields"]}
    assert "Cómo preguntar" in fields and fields["Datos al"] == "1 de enero de 2026"
    assert fields["Qué puedo responder"].startswith("Preguntas sobre las excarcelaciones")

    sources = (await spanish_slash(world, "sources", locale="es-ES"))["embeds"][0]
    assert sources["title"] == "Fuentes"
    assert "organización de derechos humanos" in sources["description"]
