"""Syncing the slash-command definitions with Discord, only when they changed.

Global syncs are rate-limited and take a while to reach every client, so the bot does not sync on
every start. It hashes the JSON payload `CommandTree.sync` would send and keeps the hash per
(application, scope) in `<state dir>/command-tree.json`; when the hash is unchanged there is nothing
to do. With a development guild set, commands are copied to that guild and synced there (instant),
and nothing is synced globally. `python -m bot sync` forces a sync (`force=True`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import discord
from discord import app_commands

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What a sync did: `synced` is False when the definitions were unchanged (nothing sent)."""

    scope: str
    """"global" or "guild <id>"."""
    synced: bool
    commands: tuple[str, ...]
    digest: str


def tree_payload(
    tree: app_commands.CommandTree[discord.Client], guild: discord.abc.Snowflake | None
) -> list[object]:
    """The command definitions as `tree.sync(guild=...)` sends them (without translations)."""
    return [command.to_dict(tree) for command in tree.get_commands(guild=guild)]


def tree_digest(tree: app_commands.CommandTree[discord.Client], guild: discord.abc.Snowflake | None) -> str:
    """A stable hash of the definitions: key order and whitespace do not matter."""
    payload = json.dumps(tree_payload(tree, guild), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _read_state(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s (%s); commands will be synced", path, exc)
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_state(path: Path, state: dict[str, str]) -> None:
    """Replace the file atomically, so a crash never leaves half a JSON document."""
    tmp: str | None = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".command-tree.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except OSError as exc:
        # Not fatal: the next start will simply sync again.
        log.warning("could not record the command-tree hash in %s: %s", path, exc)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


async def sync_commands(
    bot: discord.Client,
    tree: app_commands.CommandTree[discord.Client],
    state_path: Path,
    *,
    dev_guild_id: int | None = None,
    force: bool = False,
    scope: str = "auto",
) -> SyncOutcome:
    """Sync the tree if its definitions changed since the last sync recorded in `state_path`.

    `scope`: "auto" (the dev guild when set, else global), "global" or "guild". Must run after login
    (the application id is part of the key, so two bots sharing a data directory do not mix up).
    """
    if scope not in {"auto", "global", "guild"}:
        raise ValueError(f"unknown scope {scope!r}")
    if scope == "guild" and dev_guild_id is None:
        raise ValueError("scope 'guild' needs a guild id (FACTBOT_DEV_GUILD_ID)")
    use_guild = dev_guild_id is not None and scope != "global"
    guild = discord.Object(id=dev_guild_id) if use_guild and dev_guild_id is not None else None
    if guild is not None:
        # Guild commands appear instantly; global ones may take up to an hour to propagate.
        tree.copy_global_to(guild=guild)
    label = f"guild {guild.id}" if guild is not None else "global"
    digest = tree_digest(tree, guild)
    key = f"{bot.application_id}:{label}"
    state = _read_state(state_path)
    names = tuple(sorted(c.name for c in tree.get_commands(guild=guild)))
    if not force and state.get(key) == digest:
        log.info("command definitions unchanged (%s); not syncing", label)
        return SyncOutcome(label, False, names, digest)
    synced = await tree.sync(guild=guild)
    state[key] = digest
    _write_state(state_path, state)
    log.info("synced %d commands (%s): %s", len(synced), label, ", ".join(c.name for c in synced))
    return SyncOutcome(label, True, tuple(sorted(c.name for c in synced)), digest)
