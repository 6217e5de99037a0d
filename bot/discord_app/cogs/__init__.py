"""One extension per concern; each ends with `async def setup(bot)`, loaded by the bot's setup_hook."""
