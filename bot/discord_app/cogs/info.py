"""/sources and /about: what the bot knows, from whom, how current it is, and how to ask."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import render
from bot.discord_app.context import AnyBot, AppContext, context_of, language_of_interaction

Interaction = discord.Interaction[discord.Client]


class InfoCog(commands.Cog, name="Info"):
    """Answers /sources and /about."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    @app_commands.command(
        name="sources", description="Who the bot's facts come from, and when they said them."
    )
    async def sources(self, interaction: Interaction) -> None:
        """List every source with what it says and when."""
        embed = render.sources_embed(
            self.ctx.service.engine.base, language_of_interaction(interaction) or "en"
        )
        await interaction.response.send_message(embed=embed, allowed_mentions=render.NO_MENTIONS)

    @app_commands.command(
        name="about", description="What this bot covers, how current it is, and how to ask."
    )
    async def about(self, interaction: Interaction) -> None:
        """The story, its as-of date, how to ask, and the size of the base."""
        engine = self.ctx.service.engine
        me = interaction.client.user
        language = engine.language_for("", fallback=language_of_interaction(interaction))
        scope = engine.scope_in(language)
        service = self.ctx.service
        embed = render.about_embed(
            engine.base, scope, me.display_name if me else "FactBot", language, service.base_version
        )
        await interaction.response.send_message(embed=embed, allowed_mentions=render.NO_MENTIONS)


async def setup(bot: AnyBot) -> None:
    """Extension entry point."""
    await bot.add_cog(InfoCog(context_of(bot)))
