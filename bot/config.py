"""Settings for every command, read from the environment and an optional `.env` file.

Every variable is documented in `.env.example`. A malformed or out-of-range value, and a `.env` that
cannot be read as UTF-8 text, raise `ConfigError` naming the variable (or file) and what was
expected, so every command can print one line instead of a traceback, at start-up rather than when
the value is first used. A `FACTBOT_*` variable that is not a setting is reported with the closest
real name ("did you mean"). The token is never part of any message, repr or log line.
"""

from __future__ import annotations

import difflib
import io
import logging
import math
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

from dotenv import dotenv_values

from bot.clustersettings import parse_database_url, parse_shard_ids  # cluster (issue 15)
from bot.questionlog import DEFAULT_DB_PATH, MAX_RETENTION_DAYS, Database, QuestionLog, is_postgres
from bot.snapshot import KEY_FILE_NAME, OFF_VALUES, SnapshotCache, cache_dir_from_env

log = logging.getLogger(__name__)

_T = TypeVar("_T")

DEFAULT_STATE_DIR: Final = Path("data")
"""Where the salt and the command-tree hash live when the question log is off."""

PORTAL_URL: Final = "https://discord.com/developers/applications"
TOKEN_HELP: Final = (
    f"Get one at {PORTAL_URL} → your application → Bot → Reset Token, and put it in .env as "
    "DISCORD_TOKEN=...; no privileged intent is needed (enable Message Content Intent on that page "
    "only if you set FACTBOT_MESSAGE_CONTENT=true)."
)

# A bot token is three base64url parts: the bot's id, a timestamp, an HMAC. Discord decides whether it
# is valid; this only catches what is obviously not a token (a client secret, a quoted value, "Bot ...").
_TOKEN_SHAPE: Final = re.compile(r"^[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{25,}$")
_LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})
_DEFAULT_RETENTION: Final[int | None] = 90
MAX_WATCH_SECONDS: Final = 86_400
"""A day: an interval beyond it is better served by /reload, and timers stay far from overflow."""
MAX_SHARDS: Final = 1_000
"""One process runs every shard; at Discord's 2,500 servers a shard that is 2.5 million servers."""
MAX_COOLDOWN_RATE: Final = 1_000
MAX_COOLDOWN_SECONDS: Final = 86_400
_SNOWFLAKE_MAX: Final = 2**63 - 1
"""Discord ids are 64-bit; SQLite and Discord's API take them as signed 64-bit integers."""

SETTINGS: Final = (
    "DISCORD_TOKEN",
    "FACTBOT_DEV_GUILD_ID",
    "FACTBOT_ANSWER_CHANNEL_IDS",
    "FACTBOT_MESSAGE_CONTENT",
    "FACTBOT_COOLDOWN",
    "FACTBOT_SHARDED",
    "FACTBOT_SHARD_COUNT",
    "FACTBOT_KNOWLEDGE_PATH",
    "FACTBOT_WATCH_SECONDS",
    "FACTBOT_CACHE_DIR",
    "FACTBOT_DB_PATH",
    "FACTBOT_LOG_SALT",
    "FACTBOT_RETENTION_DAYS",
    "FACTBOT_LOG_LEVEL",
    # --- cluster (issue 15) ---
    "FACTBOT_DATABASE_URL",
    "FACTBOT_SHARD_IDS",
)
"""Every variable factbot reads (all documented in `.env.example`)."""


class ConfigError(ValueError):
    """A setting is missing or malformed. `str()` is one line for people; it never contains the token."""

    def __init__(self, variable: str, message: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {message}")


@dataclass(frozen=True, slots=True)
class Cooldown:
    """At most `rate` questions per `per` seconds per user; `rate == 0` turns the limit off."""

    rate: int = 5
    per: float = 30.0

    @property
    def enabled(self) -> bool:
        """False when the limit is off."""
        return self.rate > 0

    def __str__(self) -> str:
        return f"{self.rate}/{self.per:g}" if self.enabled else "off"


@dataclass(frozen=True)
class Settings:
    """Everything the Discord front end is configured with. Build with `Settings.from_env()`."""

    token: str = field(default="", repr=False)
    dev_guild_id: int | None = None
    """Commands are synced to this guild only (instantly) instead of globally."""
    answer_channel_ids: frozenset[int] = frozenset()
    """Channels where every message is treated as a question (needs `message_content`)."""
    message_content: bool = False
    """Request the privileged Message Content intent (must also be enabled in the Developer Portal)."""
    knowledge_path: Path | None = None
    """None: the packaged `knowledge/` directory."""
    db_path: Path | None = DEFAULT_DB_PATH
    """The question log; None turns logging (and /stats) off."""
    log_salt: str | None = field(default=None, repr=False)
    """Keys the hash of user ids in the log; None: generated once and kept beside the database."""
    retention_days: int | None = 90
    """Question-log rows older than this are deleted; None keeps them forever."""
    log_level: str = "INFO"
    sharded: bool = False
    """Use `AutoShardedBot` (needed from about 2,500 servers)."""
    shard_count: int | None = None
    """With `sharded`: a fixed shard count; None lets Discord recommend one."""
    cooldown: Cooldown = Cooldown()
    watch_seconds: float = 0.0
    """Check the knowledge files this often and reload when they change; 0: only on /reload."""
    cache_dir: Path | None = None
    """Where built engines are snapshotted (see `bot.snapshot`); None: no snapshots."""
    notices: tuple[str, ...] = ()
    """Problems worth a warning in every command, such as a misspelt `FACTBOT_*` variable."""
    # --- cluster (issue 15): to port into the pydantic-settings rewrite as these two fields -------
    database_url: str | None = field(default=None, repr=False)
    """FACTBOT_DATABASE_URL: `postgresql://…` shares the log (and reloads) between processes; a path
    is a SQLite file; None: `db_path` (FACTBOT_DB_PATH), as before. Kept out of repr: it may hold
    a password."""
    shard_ids: tuple[int, ...] | None = None
    """FACTBOT_SHARD_IDS: the shards this process runs (of FACTBOT_SHARD_COUNT); None: all of them."""

    @property
    def database(self) -> Database | None:
        """The question log's database: the URL when set, else the SQLite path (None: no log)."""
        if self.database_url is not None:
            return (
                self.database_url if is_postgres(self.database_url) else Path(self.database_url).expanduser()
            )
        return self.db_path

    @property
    def syncs_commands(self) -> bool:
        """Whether this process syncs the command tree: in a cluster only the one that runs shard 0,
        so that several processes starting at once do not race each other for Discord's sync."""
        return self.shard_ids is None or 0 in self.shard_ids

    # --- end of cluster settings ----------------------------------------------------------------

    @property
    def state_dir(self) -> Path:
        """The directory for the bot's small state files (salt, command-tree hash)."""
        return self.db_path.parent if self.db_path is not None else DEFAULT_STATE_DIR

    @property
    def snapshot_cache(self) -> SnapshotCache | None:
        """The engine cache, signed with a secret kept in the state directory; None when off."""
        if self.cache_dir is None:
            return None
        return SnapshotCache(self.cache_dir, self.state_dir / KEY_FILE_NAME)

    @property
    def command_hash_path(self) -> Path:
        """Where the hash of the last synced command tree is kept (see `bot.discord_app.sync`)."""
        return self.state_dir / "command-tree.json"

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        env_file: Path | str | None = ".env",
        require_token: bool = True,
    ) -> Settings:
        """Read the settings; raise ConfigError (one line, naming the variable) on a bad value.

        With `environ=None` the `.env` file is loaded into `os.environ` without overriding variables
        that are already set (as python-dotenv's `load_dotenv(override=False)` does, but reading the
        file first so that a bad one is one ConfigError), then `os.environ` is read.
        With an explicit mapping, `.env` values fill in only what the mapping lacks, and nothing global
        changes (tests use this).
        """
        from_file = read_env_file(env_file) if env_file is not None else {}
        if environ is None:
            for name, value in from_file.items():
                os.environ.setdefault(name, value)  # real variables win
            env: Mapping[str, str] = os.environ
        else:
            env = {**from_file, **environ}

        def get(name: str) -> str:
            return env.get(name, "").strip()

        token = get("DISCORD_TOKEN")
        if require_token:
            check_token(token)
        db_raw = get("FACTBOT_DB_PATH")
        knowledge_raw = get("FACTBOT_KNOWLEDGE_PATH")
        level = get("FACTBOT_LOG_LEVEL").upper() or "INFO"
        if level not in _LOG_LEVELS:
            raise ConfigError("FACTBOT_LOG_LEVEL", f"expected one of {', '.join(_LOG_LEVELS)}, not {level!r}")
        sharded = _parse(env, "FACTBOT_SHARDED", _bool, False)
        shard_count = _parse(env, "FACTBOT_SHARD_COUNT", _shard_count, None)
        # --- cluster (issue 15) ---
        shard_ids = _parse(env, "FACTBOT_SHARD_IDS", parse_shard_ids, None)
        database_url = _parse(env, "FACTBOT_DATABASE_URL", parse_database_url, None)
        if shard_ids is not None:
            if shard_count is None:
                raise ConfigError(
                    "FACTBOT_SHARD_IDS", "needs FACTBOT_SHARD_COUNT (the shards of every process)"
                )
            if max(shard_ids) >= shard_count:
                raise ConfigError(
                    "FACTBOT_SHARD_IDS",
                    f"shard {max(shard_ids)} is not below FACTBOT_SHARD_COUNT={shard_count}",
                )
            sharded = True  # a slice of the shards is sharding
        if database_url is not None and is_postgres(database_url) and not get("FACTBOT_LOG_SALT"):
            # Every process must hash user ids alike, or one user counts (and votes) once per machine.
            raise ConfigError(
                "FACTBOT_LOG_SALT",
                "must be set (the same on every process) when FACTBOT_DATABASE_URL is PostgreSQL",
            )
        # --- end of cluster settings ---
        if shard_count is not None and not sharded:
            raise ConfigError("FACTBOT_SHARD_COUNT", "only applies with FACTBOT_SHARDED=true")
        return cls(
            token=token,
            dev_guild_id=_parse(env, "FACTBOT_DEV_GUILD_ID", _snowflake, None),
            answer_channel_ids=_parse(env, "FACTBOT_ANSWER_CHANNEL_IDS", _snowflakes, frozenset()),
            message_content=_parse(env, "FACTBOT_MESSAGE_CONTENT", _bool, False),
            knowledge_path=Path(knowledge_raw).expanduser() if knowledge_raw else None,
            db_path=None if db_raw.lower() in OFF_VALUES else Path(db_raw or DEFAULT_DB_PATH).expanduser(),
            log_salt=get("FACTBOT_LOG_SALT") or None,
            retention_days=_parse(env, "FACTBOT_RETENTION_DAYS", _retention, _DEFAULT_RETENTION),
            log_level=level,
            sharded=sharded,
            shard_count=shard_count,
            cooldown=_parse(env, "FACTBOT_COOLDOWN", _cooldown, Cooldown()),
            watch_seconds=_parse(env, "FACTBOT_WATCH_SECONDS", _seconds, 0.0),
            cache_dir=cache_dir_from_env(env),
            notices=tuple(unknown_setting_warnings(env)),
            database_url=database_url,  # cluster (issue 15)
            shard_ids=shard_ids,  # cluster (issue 15)
        )

    def warnings(self) -> list[str]:
        """Settings that are valid but probably not what was meant; logged at start-up."""
        out = list(self.notices)
        if self.answer_channel_ids and not self.message_content:
            out.append(
                "FACTBOT_ANSWER_CHANNEL_IDS is set but FACTBOT_MESSAGE_CONTENT is off: Discord hides the "
                "text of ordinary messages, so the bot answers there only when mentioned"
            )
        return out


def read_env_file(path: Path | str) -> dict[str, str]:
    """The variables set in a `.env` file ({} when there is none); ConfigError, in one line, when it
    cannot be read or is not UTF-8 text (the usual culprit: an editor that saved it as UTF-16)."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise ConfigError(str(file), "is a directory, not a settings file") from None
    except OSError as exc:
        raise ConfigError(str(file), f"cannot be read ({exc.strerror or exc})") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(str(file), "is saved as UTF-16; save it as UTF-8 (plain text)")
    try:
        text = raw.decode("utf-8-sig")  # a UTF-8 byte-order mark is harmless: drop it
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(file), f"is not UTF-8 text (byte {exc.start + 1} cannot be read); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise ConfigError(str(file), "contains NUL bytes (saved as UTF-16?); save it as UTF-8")
    return {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}


def unknown_setting_warnings(env: Mapping[str, str]) -> list[str]:
    """One warning per `FACTBOT_*` variable that is no setting, with the closest real one."""
    out = []
    prefix = "FACTBOT_"
    # compared without the prefix every name shares, or any FACTBOT_ name would look close to some setting
    suffixes = {name.removeprefix(prefix): name for name in SETTINGS}
    for name in sorted(n for n in env if n.upper().startswith(prefix) and n not in SETTINGS):
        close = difflib.get_close_matches(name.upper().removeprefix(prefix), suffixes, n=1, cutoff=0.6)
        hint = f"did you mean {suffixes[close[0]]}?" if close else "see .env.example for the settings"
        out.append(f"{name} is not a factbot setting and is ignored ({hint})")
    return out


def check_token(token: str) -> None:
    """Raise ConfigError (with how to get a token) if the token is missing or obviously malformed."""
    if not token:
        raise ConfigError("DISCORD_TOKEN", "not set. " + TOKEN_HELP)
    if token.lower().startswith("bot "):
        raise ConfigError("DISCORD_TOKEN", 'remove the "Bot " prefix; give the token alone. ' + TOKEN_HELP)
    if not _TOKEN_SHAPE.match(token):
        # Never echo the value: a half-pasted token is still a secret.
        raise ConfigError(
            "DISCORD_TOKEN",
            "does not look like a bot token (three dot-separated parts, no quotes or spaces; "
            "the application's Client Secret is not the token). " + TOKEN_HELP,
        )


def resolve_log_salt(settings: Settings) -> str:
    """The salt for hashing user ids: FACTBOT_LOG_SALT, else one generated once and kept on disk.

    A generated salt is stored in `<state dir>/questions.salt` (mode 600) so hashes stay comparable
    across restarts; a new salt would count every returning user as new.
    """
    if settings.log_salt:
        return settings.log_salt
    path = settings.state_dir / "questions.salt"
    try:
        existing = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    salt = secrets.token_hex(32)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the log's directory: private
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(salt + "\n")
    log.warning("FACTBOT_LOG_SALT is not set; generated one in %s (keep that file with the database)", path)
    return salt


# --- parsers: each raises ValueError with what was expected; _parse adds the variable name ------------


def _parse(env: Mapping[str, str], name: str, parser: Callable[[str], _T], default: _T) -> _T:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return parser(raw)
    except ValueError as exc:
        raise ConfigError(name, str(exc)) from None


def _bool(raw: str) -> bool:
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"expected true or false, not {raw!r}")


def _seconds(raw: str) -> float:
    expected = f"expected 0 (off) or a number of seconds from 1 to {MAX_WATCH_SECONDS}"
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{expected}, not {raw!r}") from None
    if not math.isfinite(value) or value < 0 or 0 < value < 1 or value > MAX_WATCH_SECONDS:
        raise ValueError(f"{expected}, not {raw!r}")
    return value


def _whole(raw: str, low: int, high: int, what: str = "a whole number") -> int:
    # isdecimal and a length cap before int(): "١٢" and a 5,000-digit number are not settings
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 12 or not low <= int(raw) <= high:
        raise ValueError(f"expected {what} from {low} to {high}, not {_shown(raw)}")
    return int(raw)


def _shard_count(raw: str) -> int:
    return _whole(raw, 1, MAX_SHARDS, "a number of shards")


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def _snowflake(raw: str) -> int:
    if not (raw.isascii() and raw.isdecimal()) or not 15 <= len(raw) <= 20 or int(raw) > _SNOWFLAKE_MAX:
        raise ValueError(
            f"expected a Discord id (a 17-20 digit number: enable Developer Mode, right-click → Copy ID), "
            f"not {_shown(raw)}"
        )
    return int(raw)


def _snowflakes(raw: str) -> frozenset[int]:
    return frozenset(_snowflake(part.strip()) for part in raw.split(",") if part.strip())


def _retention(raw: str) -> int | None:
    if raw.lower() in {"forever", "never"}:
        return None
    try:
        return _whole(raw, 1, MAX_RETENTION_DAYS)
    except ValueError:
        raise ValueError(
            f'expected a number of days from 1 to {MAX_RETENTION_DAYS}, or "forever", not {_shown(raw)}'
        ) from None


def _cooldown(raw: str) -> Cooldown:
    if raw.lower() in OFF_VALUES:
        return Cooldown(0, 0.0)
    match = re.fullmatch(r"\s*([0-9]{1,6})\s*/\s*([0-9]{1,6}(?:\.[0-9]+)?)\s*s?\s*", raw)
    if (
        not match
        or not 1 <= int(match.group(1)) <= MAX_COOLDOWN_RATE
        or not 0 < float(match.group(2)) <= MAX_COOLDOWN_SECONDS
    ):
        raise ValueError(
            f'expected questions/seconds such as "5/30" (at most {MAX_COOLDOWN_RATE} questions per '
            f'{MAX_COOLDOWN_SECONDS} s), or "off", not {_shown(raw)}'
        )
    return Cooldown(int(match.group(1)), float(match.group(2)))


def open_question_log(settings: Settings) -> QuestionLog | None:
    """The question log as configured (None when FACTBOT_DB_PATH=off and no FACTBOT_DATABASE_URL);
    a failing log only warns.

    Raises OSError when the salt file cannot be written.
    """
    database = settings.database
    if database is None:
        return None
    qlog = QuestionLog(database, salt=resolve_log_salt(settings), retention_days=settings.retention_days)
    if not qlog.open():
        if qlog.healthy:  # e.g. another process holds the file: records wait in memory meanwhile
            log.warning("the question log is not open yet (%s); it keeps trying", qlog.last_error)
        else:
            log.warning("the question log is not recording (%s); answering continues", qlog.last_error)
    return qlog
