"""What every cog and button needs: settings, the fact service, the rate limit; and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field

import discord
from discord.ext import commands

from bot.config import Settings
from bot.discord_app import render
from bot.discord_app.throttle import Throttle, Verdict
from bot.locale import from_discord_locale
from bot.questionlog import Origin
from bot.service import FactService

ORIGIN = "discord"

AnyBot = commands.Bot | commands.AutoShardedBot
"""`AutoShardedBot` is not a subclass of `Bot`; code that takes either says so."""


@dataclass
class AppContext:
    """The bot's shared state. One per bot instance; attached to it as `bot.fact_context`."""

    settings: Settings
    service: FactService
    sync_on_start: bool = True
    """False for `python -m bot sync`, which syncs explicitly (forced) after logging in."""
    throttle: Throttle = field(init=False)

    def __post_init__(self) -> None:
        self.throttle = Throttle(self.settings.cooldown)

    async def refused(self, interaction: discord.Interaction[discord.Client], language: str | None) -> bool:
        """Count one question against the asker's rate limit; over it, acknowledge the interaction
        with the polite notice (ephemeral, so a flood stays out of the channel) and return True."""
        verdict = self.throttle.hit(interaction.user)
        if verdict.allowed:
            return False
        await interaction.response.send_message(
            self.cooldown_notice(verdict, language), ephemeral=True, allowed_mentions=render.NO_MENTIONS
        )
        return True

    def cooldown_notice(self, verdict: Verdict, language: str | None = None) -> str:
        """The polite "slow down" message for a refused question."""
        cooldown = self.settings.cooldown
        return render.cooldown_notice(verdict.retry_after, cooldown.rate, cooldown.per, language or "en")


def context_of(client: discord.Client) -> AppContext:
    """The AppContext of a bot built by `create_bot`; raises TypeError for any other client."""
    ctx = getattr(client, "fact_context", None)
    if not isinstance(ctx, AppContext):
        raise TypeError(f"{type(client).__name__} was not built by bot.discord_app.create_bot")
    return ctx


def language_of_interaction(interaction: discord.Interaction[discord.Client]) -> str | None:
    """The asker's language from their Discord client (es-ES and es-419 read Spanish), else the
    server's; None when neither is a language the bot has words for."""
    return from_discord_locale(str(interaction.locale)) or from_discord_locale(
        str(interaction.guild_locale) if interaction.guild_locale else None
    )


def origin_of_interaction(interaction: discord.Interaction[discord.Client]) -> Origin:
    """Where an interaction came from, for the question log (the user id is hashed there)."""
    return Origin(ORIGIN, interaction.guild_id, interaction.channel_id, interaction.user.id)


def origin_of_message(message: discord.Message) -> Origin:
    """Where a message came from, for the question log."""
    guild_id = message.guild.id if message.guild is not None else None
    return Origin(ORIGIN, guild_id, message.channel.id, message.author.id)
