"""Apps → "Check with factbot": the claims in any message, each with a verdict against the sources.

The message's text arrives inside the interaction (its `resolved` data), so no privileged intent
is needed. The reply is public when it found something to check: a correction with sources helps
everyone who read the claim, and it answers the claim, not the person (their message is linked,
never quoted in full, and nobody is pinged). When the message holds nothing checkable, the reply
is ephemeral: one polite line for the one who asked, and no noise in the channel.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import render
from bot.discord_app.context import (
    AnyBot,
    AppContext,
    context_of,
    language_of_interaction,
    origin_of_interaction,
)
from bot.engine.claims import checkable

Interaction = discord.Interaction[discord.Client]
MENU_NAME = "Check with factbot"


class FactCheckCog(commands.Cog, name="Fact check"):
    """The message context-menu command that checks a message's claims."""

    def __init__(self, bot: AnyBot, ctx: AppContext) -> None:
        self.bot = bot
        self.ctx = ctx
        # context menus cannot be defined inside a cog with a decorator: register it by hand
        self.menu = app_commands.ContextMenu(name=MENU_NAME, callback=self.check_message)
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        """Take the menu away with the cog."""
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def check_message(self, interaction: Interaction, message: discord.Message) -> None:
        """Reply with a verdict for each checkable claim in the message, with its sources."""
        client_language = language_of_interaction(interaction)
        if await self.ctx.refused(interaction, client_language):
            return
        service = self.ctx.service
        engine = service.engine  # one engine for the whole message, even during a /reload
        origin = origin_of_interaction(interaction)
        answers = checkable(
            message.content or "",
            lambda claim: service.ask(claim, origin, engine=engine, fallback=client_language),
        )
        if not answers:
            await interaction.response.send_message(
                render.nothing_to_check(engine.language_for(message.content or "", fallback=client_language)),
                ephemeral=True,
                allowed_mentions=render.NO_MENTIONS,
            )
            return
        embeds = render.claim_embeds(answers, engine.base, message.jump_url)
        await interaction.response.send_message(embeds=embeds, allowed_mentions=render.NO_MENTIONS)


async def setup(bot: AnyBot) -> None:
    """Extension entry point."""
    await bot.add_cog(FactCheckCog(bot, context_of(bot)))
