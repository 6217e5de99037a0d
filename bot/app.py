"""The composition root: the one place that turns settings into the objects the front ends use.

`App.start(settings)` builds the question log and the engine cache from the settings; `app.service()`
loads the engine (or takes it from a snapshot) and wraps it in the `FactService` that the Discord bot,
the terminal chat and the command line all ask through. Nothing below this module builds a question
log, a snapshot cache or a service from settings by itself, so a backend is wired in here once: with
FACTBOT_DATABASE_URL on PostgreSQL the log is shared between processes, and `app.join_cluster(service)`
starts the `ReloadBus` that carries every process's reloads to the others.

Nothing here imports discord: the commands that need it import `bot.discord_app` themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final

from bot.cluster import ReloadBus
from bot.config import Settings, resolve_log_salt
from bot.engine import Engine
from bot.questionlog import QuestionLog, is_postgres
from bot.service import FactService
from bot.snapshot import KEY_FILE_NAME, SnapshotCache, load_engine

log = logging.getLogger(__name__)

EXIT_OK: Final = 0
EXIT_KNOWLEDGE: Final = 1
"""The knowledge base has problems (they are printed)."""
EXIT_CONFIG: Final = 2
"""A setting, an argument or the token is wrong (said in one line)."""
EXIT_UNAVAILABLE: Final = 3
"""Discord could not be reached."""


def load_settings(
    *, env_file: Path | str | None = ".env", knowledge: Path | None = None, require_token: bool = False
) -> Settings:
    """The settings from the environment and `env_file`, with a `--knowledge` path applied on top.

    Raises ConfigError (one line, naming the variable or the file).
    """
    settings = Settings.from_env(env_file=env_file, require_token=require_token)
    if knowledge is not None:
        settings = settings.model_copy(update={"knowledge_path": knowledge})
    return settings


def snapshot_cache(settings: Settings) -> SnapshotCache | None:
    """The engine cache, signed with a secret kept in the state directory; None when off."""
    if settings.cache_dir is None:
        return None
    return SnapshotCache(settings.cache_dir, settings.state_dir / KEY_FILE_NAME)


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


@dataclass
class App:
    """The settings and what they build, handed to a front end; closes the reload bus and the question
    log on exit.

    Use as a context manager (`with App.start(settings) as app: ...`) so the log is flushed and closed
    however the front end ends.
    """

    settings: Settings
    questions: QuestionLog | None = None
    cache: SnapshotCache | None = None
    bus: ReloadBus | None = None
    """Set by `join_cluster` when the database is PostgreSQL."""

    @classmethod
    def start(cls, settings: Settings, *, log_questions: bool = True) -> App:
        """Build the cache and, with `log_questions`, open the question log.

        Raises OSError when the log's salt file cannot be written.
        """
        app = cls(settings, None, snapshot_cache(settings))
        if log_questions:
            app.open_log()
        return app

    def open_log(self) -> None:
        """Open the question log as configured, if it is not open yet (the chat opens it once the
        engine has loaded, so a broken base leaves no files behind). Raises OSError when the log's
        salt file cannot be written."""
        if self.questions is None:
            self.questions = open_question_log(self.settings)

    def engine(self) -> Engine:
        """The engine for the configured knowledge, from a snapshot when one matches. Raises
        KnowledgeError with every problem of the base."""
        return load_engine(self.settings.knowledge_path, cache=self.cache)

    def service(self, engine: Engine | None = None) -> FactService:
        """The service every front end asks through, over `engine` (default: loaded now)."""
        return FactService(
            engine if engine is not None else self.engine(),
            self.settings.knowledge_path,
            self.questions,
            self.cache,
        )

    def join_cluster(self, service: FactService) -> ReloadBus | None:
        """With PostgreSQL, start the reload bus for `service`: every process's reloads reach the others
        (LISTEN/NOTIFY on the same database). None on SQLite, where a reload stays local."""
        database = self.settings.database
        if self.bus is None and is_postgres(database):
            self.bus = ReloadBus.for_service(str(database), service)
            self.bus.start()
        return self.bus

    def close(self) -> None:
        """Stop the reload bus, then flush and close the question log (everything answered is on disk
        afterwards)."""
        if self.bus is not None:
            self.bus.close()
            self.bus = None
        if self.questions is not None:
            self.questions.close()

    def __enter__(self) -> App:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
