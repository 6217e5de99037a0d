"""Settings for every command, read from the environment and an optional `.env` file.

`Settings` is the validated value every part of factbot is configured with; `EnvConfig` is the same
model read by pydantic-settings (as python-discord's bot reads its `EnvConfig`): each field is the
variable `FACTBOT_<FIELD>` (the token is `DISCORD_TOKEN`), `.env` fills in what the environment lacks,
and the special values ("off", "forever", a cooldown "5/30", comma-separated Discord ids) are parsed
by the validators below. Adding a setting is adding one field (and documenting it in `.env.example`).

A malformed or out-of-range value, and a `.env` that cannot be read as UTF-8 text, raise
`ConfigError` naming the variable (or file) and what was expected, so every command can print one
line instead of a traceback, at start-up rather than when the value is first used. A `FACTBOT_*`
variable that is not a setting is reported with the closest real name ("did you mean"). The token is
a `SecretStr`: never part of any message, repr or log line.

This module imports no other part of factbot but `bot.clustersettings` (plain parsers that import
nothing else): `bot.app` builds the question log, the snapshot cache and the service from these
settings.
"""

from __future__ import annotations

import difflib
import io
import logging
import math
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings.sources import PydanticBaseSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from bot.clustersettings import MAX_SHARD_ID, is_postgres, parse_database_url, parse_shard_ids
from bot.paths import default_cache_dir

log = logging.getLogger(__name__)

ENV_PREFIX: Final = "FACTBOT_"
TOKEN_VARIABLE: Final = "DISCORD_TOKEN"
DEFAULT_STATE_DIR: Final = Path("data")
"""Where the salt and the command-tree hash live when the question log is off."""
DEFAULT_DB_PATH: Final = Path("data/questions.sqlite3")
"""The question log's default file (the same as `bot.questionlog.DEFAULT_DB_PATH`; a test checks)."""
MAX_RETENTION_DAYS: Final = 36_500
"""A century: what the question log accepts (`bot.questionlog.MAX_RETENTION_DAYS`; a test checks)."""
OFF_VALUES: Final = frozenset({"off", "none", "no", "false", "0"})
"""What turns an optional setting off (FACTBOT_CACHE_DIR, FACTBOT_DB_PATH, FACTBOT_COOLDOWN)."""

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
MAX_WATCH_SECONDS: Final = 86_400
"""A day: an interval beyond it is better served by /reload, and timers stay far from overflow."""
MAX_SHARDS: Final = MAX_SHARD_ID + 1
"""1,000: at Discord's 2,500 servers a shard that is 2.5 million servers, in one process or several."""
MAX_COOLDOWN_RATE: Final = 1_000
MAX_COOLDOWN_SECONDS: Final = 86_400
_SNOWFLAKE_MAX: Final = 2**63 - 1
"""Discord ids are 64-bit; SQLite and Discord's API take them as signed 64-bit integers."""


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


# --- validators: each takes the raw text (already stripped, never empty) or a value given in code ---
# A value that is not text passes through to pydantic's own type check, so `Settings(cooldown=...)`
# in code and tests is validated as a value, not parsed.


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def _bool(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"expected true or false, not {raw!r}")


def _whole(raw: str, low: int, high: int, what: str = "a whole number") -> int:
    # isdecimal and a length cap before int(): "١٢" and a 5,000-digit number are not settings
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 12 or not low <= int(raw) <= high:
        raise ValueError(f"expected {what} from {low} to {high}, not {_shown(raw)}")
    return int(raw)


def _seconds(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    expected = f"expected 0 (off) or a number of seconds from 1 to {MAX_WATCH_SECONDS}"
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{expected}, not {_shown(raw)}") from None
    if not math.isfinite(value) or value < 0 or 0 < value < 1 or value > MAX_WATCH_SECONDS:
        raise ValueError(f"{expected}, not {_shown(raw)}")
    return value


def _shard_count(raw: Any) -> Any:
    return _whole(raw, 1, MAX_SHARDS, "a number of shards") if isinstance(raw, str) else raw


def _snowflake(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    if not (raw.isascii() and raw.isdecimal()) or not 15 <= len(raw) <= 20 or int(raw) > _SNOWFLAKE_MAX:
        raise ValueError(
            f"expected a Discord id (a 17-20 digit number: enable Developer Mode, right-click → Copy ID), "
            f"not {_shown(raw)}"
        )
    return int(raw)


def _snowflakes(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    return frozenset(_snowflake(part.strip()) for part in raw.split(",") if part.strip())


def _retention(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    if raw.lower() in {"forever", "never"}:
        return None
    try:
        return _whole(raw, 1, MAX_RETENTION_DAYS)
    except ValueError:
        raise ValueError(
            f'expected a number of days from 1 to {MAX_RETENTION_DAYS}, or "forever", not {_shown(raw)}'
        ) from None


def _cooldown(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
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


def _log_level(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    level = raw.upper()
    if level not in _LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(_LOG_LEVELS)}, not {level!r}")
    return level


def _path(raw: Any) -> Any:
    return Path(raw).expanduser() if isinstance(raw, str) else raw


def _path_or_off(raw: Any) -> Any:
    if isinstance(raw, str) and raw.lower() in OFF_VALUES:
        return None
    return _path(raw)


def _database_url(raw: Any) -> Any:
    """A postgresql:// URL or a SQLite path (`bot.clustersettings`); no message repeats the value, which
    may hold a password."""
    return parse_database_url(raw) if isinstance(raw, str) else raw


def _shard_ids(raw: Any) -> Any:
    """Shard ids such as "0-3", "0,2" or "0-1,4" (`bot.clustersettings`): sorted, each once."""
    return parse_shard_ids(raw) if isinstance(raw, str) else raw


Flag = Annotated[bool, BeforeValidator(_bool)]
Snowflake = Annotated[int, BeforeValidator(_snowflake)]
# NoDecode: pydantic-settings would read a set or a dataclass from the environment as JSON; these
# are written the way people write them ("1, 2", "5/30"), and parsed by the validator instead.
Snowflakes = Annotated[frozenset[int], NoDecode, BeforeValidator(_snowflakes)]
CooldownSetting = Annotated[Cooldown, NoDecode, BeforeValidator(_cooldown)]
ShardIds = Annotated[tuple[int, ...] | None, NoDecode, BeforeValidator(_shard_ids)]
OptionalPath = Annotated[Path | None, BeforeValidator(_path_or_off)]


class Settings(BaseModel):
    """Everything factbot is configured with. Build it from the environment with `Settings.from_env()`;
    in code and tests, with keyword arguments (then nothing is read from the environment)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)

    token: SecretStr = Field(default=SecretStr(""), validation_alias=TOKEN_VARIABLE)
    dev_guild_id: Snowflake | None = None
    """Commands are synced to this guild only (instantly) instead of globally."""
    answer_channel_ids: Snowflakes = frozenset()
    """Channels where every message is treated as a question (needs `message_content`)."""
    message_content: Flag = False
    """Request the privileged Message Content intent (must also be enabled in the Developer Portal)."""
    knowledge_path: Annotated[Path | None, BeforeValidator(_path)] = None
    """None: the packaged `knowledge/` directory."""
    db_path: OptionalPath = DEFAULT_DB_PATH
    """The question log; None ("off") turns logging (and /stats) off."""
    database_url: Annotated[str | None, BeforeValidator(_database_url)] = Field(default=None, repr=False)
    """FACTBOT_DATABASE_URL: `postgresql://…` shares the log (and reloads) between processes; a path
    is a SQLite file; None: `db_path` (FACTBOT_DB_PATH), as before. Kept out of repr: it may hold
    a password."""
    log_salt: str | None = Field(default=None, repr=False, validate_default=True)
    """Keys the hash of user ids in the log; None: generated once and kept beside the database
    (required with PostgreSQL)."""
    retention_days: Annotated[int | None, BeforeValidator(_retention)] = 90
    """Question-log rows older than this are deleted; None ("forever") keeps them forever."""
    log_level: Annotated[str, BeforeValidator(_log_level)] = "INFO"
    sharded: Flag = False
    """Use `AutoShardedBot` (needed from about 2,500 servers)."""
    shard_count: Annotated[int | None, BeforeValidator(_shard_count)] = None
    """With `sharded`: a fixed shard count; None lets Discord recommend one."""
    shard_ids: ShardIds = None
    """FACTBOT_SHARD_IDS: the shards this process runs (of `shard_count`, then required); None: all
    of them. Implies `sharded`."""
    cooldown: CooldownSetting = Cooldown()
    watch_seconds: Annotated[float, BeforeValidator(_seconds)] = 0.0
    """Check the knowledge files this often and reload when they change; 0: only on /reload."""
    cache_dir: OptionalPath = None
    """Where built engines are snapshotted (see `bot.snapshot`); None: no snapshots."""

    _notices: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        """Surrounding spaces do not count, and an empty variable (`FACTBOT_SHARD_COUNT=` in
        `.env.example`) means the default, as if it were not set."""
        if not isinstance(data, dict):
            return data
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        out = {k: v for k, v in stripped.items() if v != ""}
        if out.get("shard_ids") is not None:
            out["sharded"] = True  # a slice of the shards is sharding
        return out

    @field_validator("shard_count")
    @classmethod
    def _only_when_sharded(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and not info.data.get("sharded", False):
            raise ValueError(f"only applies with {ENV_PREFIX}SHARDED=true")
        return value

    @field_validator("shard_ids")
    @classmethod
    def _a_slice_of_the_shard_count(cls, value: tuple[int, ...] | None, info: ValidationInfo) -> Any:
        if value is None or "shard_count" not in info.data:  # no ids, or the count itself is wrong
            return value
        count = info.data["shard_count"]
        if count is None:
            raise ValueError(f"needs {ENV_PREFIX}SHARD_COUNT (the shards of every process)")
        if not value:
            raise ValueError("expected at least one shard id")
        if max(value) >= count:
            raise ValueError(f"shard {max(value)} is not below {ENV_PREFIX}SHARD_COUNT={count}")
        return value

    @field_validator("log_salt")
    @classmethod
    def _salt_shared_with_postgres(cls, value: str | None, info: ValidationInfo) -> Any:
        # Every process must hash user ids alike, or one user counts (and votes) once per machine.
        if not value and is_postgres(info.data.get("database_url")):
            raise ValueError(
                f"must be set (the same on every process) when {ENV_PREFIX}DATABASE_URL is PostgreSQL"
            )
        return value

    @property
    def notices(self) -> tuple[str, ...]:
        """Problems worth a warning in every command, such as a misspelt `FACTBOT_*` variable."""
        return self._notices

    @property
    def database(self) -> Path | str | None:
        """The question log's database (`bot.questionlog.Database`): the URL when set, else the SQLite
        path (None: no log)."""
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

    @property
    def state_dir(self) -> Path:
        """The directory for the bot's small state files (salt, command-tree hash, snapshot key)."""
        return self.db_path.parent if self.db_path is not None else DEFAULT_STATE_DIR

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

        With `environ=None`, pydantic-settings reads `os.environ` and `env_file` (real variables win;
        nothing global changes). With an explicit mapping, that mapping is the whole environment and
        `env_file` fills in only what it lacks (tests use this).
        """
        from_file = read_env_file(env_file) if env_file is not None else {}  # a bad file: one line
        token = _ENVIRON.set(None if environ is None else {**from_file, **environ})
        try:
            settings = EnvConfig(_env_file=env_file)
        except ValidationError as exc:
            raise _config_error(exc) from None
        finally:
            _ENVIRON.reset(token)
        if require_token:
            check_token(settings.token.get_secret_value())
        names = [*(os.environ if environ is None else environ), *from_file]
        settings._notices = tuple(unknown_setting_warnings(names))
        return settings

    def warnings(self) -> list[str]:
        """Settings that are valid but probably not what was meant; logged at start-up."""
        out = list(self.notices)
        if self.answer_channel_ids and not self.message_content:
            out.append(
                "FACTBOT_ANSWER_CHANNEL_IDS is set but FACTBOT_MESSAGE_CONTENT is off: Discord hides the "
                "text of ordinary messages, so the bot answers there only when mentioned"
            )
        return out


def variable_of(field: str) -> str:
    """The environment variable that sets a `Settings` field: `FACTBOT_<FIELD>`, or its alias."""
    info = Settings.model_fields[field]
    alias = info.validation_alias
    return alias if isinstance(alias, str) else ENV_PREFIX + field.upper()


SETTINGS: Final = tuple(variable_of(name) for name in Settings.model_fields)
"""Every variable factbot reads (all documented in `.env.example`)."""


_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("factbot_environ", default=None)
"""Set by `Settings.from_env(mapping)` for the one construction it makes: read that, not os.environ."""


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of `os.environ`."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ  # before super().__init__, which loads the variables
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


class EnvConfig(BaseSettings, Settings):
    """`Settings` as pydantic-settings reads them: `FACTBOT_*` variables and `DISCORD_TOKEN`, from the
    environment, then `.env`. Other `FACTBOT_*` names are ignored here and warned about by `from_env`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8-sig",  # a UTF-8 byte-order mark is harmless: drop it
        extra="ignore",
        frozen=True,
    )

    cache_dir: OptionalPath = Field(default_factory=default_cache_dir)
    """Unlike in code, where no cache is the default, a command run from the environment caches."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then `.env`; or only the mapping `from_env` was given."""
        environ = _ENVIRON.get()
        if environ is not None:
            return init_settings, _MappingSource(settings_cls, environ)
        return init_settings, env_settings, dotenv_settings


def _config_error(exc: ValidationError) -> ConfigError:
    """The first problem of a ValidationError as one line naming the variable (never the value of a
    secret: the validators' messages do not repeat one, and pydantic's own messages show no input)."""
    error = exc.errors(include_url=False, include_input=False)[0]
    where = str(error["loc"][0]) if error["loc"] else ""
    variable = variable_of(where) if where in Settings.model_fields else where or "settings"
    cause = (error.get("ctx") or {}).get("error")
    return ConfigError(variable, str(cause) if isinstance(cause, ValueError) else error["msg"])


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


def unknown_setting_warnings(names: Iterable[str]) -> list[str]:
    """One warning per `FACTBOT_*` variable among `names` that is no setting, with the closest real one."""
    out = []
    prefix = ENV_PREFIX
    # compared without the prefix every name shares, or any FACTBOT_ name would look close to some setting
    suffixes = {name.removeprefix(prefix): name for name in SETTINGS}
    # upper-cased as pydantic-settings matches names (case-insensitively): factbot_log_level is read
    for name in sorted({n for n in names if n.upper().startswith(prefix) and n.upper() not in SETTINGS}):
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
