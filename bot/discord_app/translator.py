"""Slash commands in the user's language: discord.py's `app_commands.Translator`, fed from bot/locale.

Discord shows each command's name, description and options in the client's language when the
definitions carry localisations. The translator is asked once per string and locale at sync time;
Spanish (es-ES and es-419) reads `commands:` in bot/locale/es.yaml.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.locale import command_text, from_discord_locale


class FactTranslator(app_commands.Translator):
    """Translates command names, descriptions and options from the locale files."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The string in `locale`'s language, or None to keep the English."""
        language = from_discord_locale(str(locale))
        if language is None or language == "en":
            return None
        return command_text(language, string.message)
