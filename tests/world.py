"""The Discord world the tests run in: constants, the scene (`World`) and the payload checks.

Kept out of conftest.py so that tests import it as a module (`from tests.world import World`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import discord
from simcord import interactions as sc_interactions
from simcord.results import InteractionResult

from bot.discord_app.context import AnyBot

REPO = Path(__file__).resolve().parents[1]
KNOWLEDGE = REPO / "knowledge"
FAKE_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789"
"""Shaped like a bot token (it passes `check_token`); never sent anywhere."""

MakeBot = Callable[..., AnyBot]


# --- the Discord world -------------------------------------------------------------------------------

CONTENT_LIMIT = 2000
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELD_NAME_LIMIT, FIELD_VALUE_LIMIT, FOOTER_LIMIT, AUTHOR_LIMIT = 256, 1024, 2048, 256
EMBED_TOTAL_LIMIT = 6000


def message_payloads(requests: list[Any]) -> list[dict[str, Any]]:
    """Every message body the bot sent or edited, from interaction callbacks, followups and channel sends."""
    out: list[dict[str, Any]] = []
    for req in requests:
        body = req.json
        if not isinstance(body, dict):
            continue
        if req.path.endswith("/callback"):
            if body.get("type") in (4, 7) and isinstance(body.get("data"), dict):
                out.append(body["data"])
        elif req.method in ("POST", "PATCH") and (
            req.path.startswith("/webhooks/") or re.fullmatch(r"/channels/\d+/messages(/\d+)?", req.path)
        ):
            out.append(body)
    return out


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts against the 6,000 per message."""
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or [])
    size += len((embed.get("footer") or {}).get("text") or "") + len(
        (embed.get("author") or {}).get("name") or ""
    )
    return size


def check_payload(body: dict[str, Any]) -> None:
    """Assert one outgoing message is within Discord's limits and pings nobody."""
    assert len(body.get("content") or "") <= CONTENT_LIMIT
    embeds = body.get("embeds") or []
    assert len(embeds) <= 10
    for embed in embeds:
        for key, limit in EMBED_LIMITS.items():
            assert len(embed.get(key) or "") <= limit, key
        fields = embed.get("fields") or []
        assert len(fields) <= 25
        for f in fields:
            assert 0 < len(f["name"]) <= FIELD_NAME_LIMIT and 0 < len(f["value"]) <= FIELD_VALUE_LIMIT
        assert len((embed.get("footer") or {}).get("text") or "") <= FOOTER_LIMIT
        assert len((embed.get("author") or {}).get("name") or "") <= AUTHOR_LIMIT
    assert sum(embed_size(e) for e in embeds) <= EMBED_TOTAL_LIMIT
    rows = body.get("components") or []
    assert len(rows) <= 5
    for row in rows:
        buttons = row.get("components") or []
        assert len(buttons) <= 5
        for button in buttons:
            assert len(button.get("label") or "") <= 80
            assert len(button.get("custom_id") or "") <= 100
    if body.get("content") or embeds:
        mentions = body.get("allowed_mentions")
        assert mentions is not None and mentions.get("parse") == [], mentions
        assert not mentions.get("users") and not mentions.get("roles")
        assert not mentions.get("replied_user")


@dataclasses.dataclass
class World:
    """A guild with a #general channel, two members and an admin, around the running bot."""

    env: Any
    guild: Any
    channel: Any
    alice: Any
    bob: Any
    admin: Any

    @property
    def bot(self) -> AnyBot:
        return cast(AnyBot, self.env.bot)

    @property
    def mention(self) -> str:
        """How users mention the bot."""
        user = self.env.bot.user
        assert user is not None
        return f"<@{user.id}>"

    def callbacks(self) -> list[dict[str, Any]]:
        """Interaction callback bodies ({"type": 4, "data": ...}), oldest first."""
        return [r.json for r in self.env.http_requests if r.path.endswith("/callback")]

    def bot_messages(self, channel: Any | None = None) -> list[discord.Message]:
        """Messages the bot posted in a channel (default #general), oldest first."""
        me = self.env.bot.user
        return [m for m in (channel or self.channel).history() if m.author.id == me.id]

    async def send_nitro_length(self, actor: Any, channel: Any, content: str) -> None:
        """Post a message longer than 2,000 characters, as a Nitro user may (up to 4,000).

        simcord's backend enforces the 2,000 of non-Nitro users, so the message is prepared with the
        first 2,000 characters (mentions computed from them), given its full text, then committed:
        the bot receives the same MESSAGE_CREATE a 4,000-character message produces.
        """
        backend = self.env.backend
        message = backend.prepare_message(channel.id, actor.id, content[:CONTENT_LIMIT])
        message.content = content
        backend.commit_message(message)
        await self.env.settle()

    def emit_slash(self, actor: Any, channel: Any, name: str, locale: str = "en-US", **options: str) -> Any:
        """Dispatch a slash command WITHOUT waiting for the bot, so many can be in flight at once.

        simcord's actor verbs settle the bot after each action and refuse to overlap
        ("operation overlaps active slash"), so concurrency is driven one layer down: the same
        INTERACTION_CREATE payload the actor would emit, emitted directly; `await env.settle()` then
        waits for all of them. Returns the InteractionResult to inspect afterwards. `locale` is the
        asker's Discord client language, which simcord's own verbs cannot set.
        """
        backend = self.env.backend
        root = backend.find_command(name, actor.guild.id, type=1)
        assert root is not None, f"/{name} is not synced"
        data = {
            "id": root["id"],
            "name": root["name"],
            "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()],
        }
        record, payload = sc_interactions.base_payload(
            backend, type=2, channel_id=channel.id, guild_id=actor.guild.id, user_id=actor.id, data=data
        )
        # simcord's payloads always say en-US; a client in another language is this one field
        payload["locale"] = locale
        backend.emit("INTERACTION_CREATE", payload)
        return InteractionResult(self.env, record)
