"""/ask: a question answered from the fact base, with autocomplete, "did you mean" and feedback buttons."""

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
from bot.discord_app.views import answer_reply

Interaction = discord.Interaction[discord.Client]


class AskCog(commands.Cog, name="Ask"):
    """Answers /ask."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    @app_commands.command(
        name="ask", description="Ask a question about the story; answers cite their sources."
    )
    @app_commands.describe(
        question="Your question, e.g. How many prisoners were released on 1 January?",
        language="The language of the answer (default: the language of your question)",
    )
    @app_commands.choices(
        language=[
            app_commands.Choice(name="English", value="en"),
            app_commands.Choice(name="Español", value="es"),
        ]
    )
    async def ask(
        self,
        interaction: Interaction,
        question: app_commands.Range[str, 1, render.QUESTION_MAX_LENGTH],
        language: app_commands.Choice[str] | None = None,
    ) -> None:
        """Answer (or honestly decline) a question, citing figures, dates and sources."""
        client_language = language_of_interaction(interaction)
        if await self.ctx.refused(interaction, client_language):
            return
        # Matching is CPU-only and about a millisecond, well within the 3 s to respond: no defer needed.
        # The engine is read once so a concurrent /reload cannot mix two bases in one answer.
        engine = self.ctx.service.engine
        answer = self.ctx.service.ask(
            question,
            origin_of_interaction(interaction),
            engine=engine,
            language=language.value if language else None,
            fallback=client_language,
        )
        reply = answer_reply(answer, engine.base, asked=question)
        await interaction.response.send_message(**reply.kwargs())

    @ask.autocomplete("question")
    async def ask_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Known questions closest to what has been typed so far."""
        return render.autocomplete_choices(self.ctx.service.engine.complete(current, render.CHOICES_LIMIT))


async def setup(bot: AnyBot) -> None:
    """Extension entry point."""
    await bot.add_cog(AskCog(context_of(bot)))
