"""The Discord front end. Named `discord_app` so it never shadows the `discord` package."""

from bot.discord_app.client import create_bot

__all__ = ["create_bot"]
