"""The running bot's state: the working engine, its safe reload, and the question log.

Front ends (Discord, terminal) ask through `FactService`, so a reload can swap the engine
between two questions without either of them noticing: a question is answered entirely by
the engine it started with, old or new, never by a half-built one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.engine import Answer, Engine
from bot.knowledge import DEFAULT_PATH, KnowledgeError, Problem, fingerprint
from bot.questionlog import Origin, QuestionLog
from bot.snapshot import SnapshotCache, load_engine

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload did: on failure nothing changed and `problems` says why."""

    ok: bool
    summary: str
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0


def knowledge_fingerprint(path: Path | None) -> tuple[tuple[str, str], ...]:
    """What the knowledge files hold now: each file's name and SHA-256, and every reason a file
    cannot be read (`bot.knowledge.fingerprint`).

    By content, not (size, modification time): an edit that keeps both is still seen. Reading is
    cheap at this base's size (the 10,000-entry benchmark base, 5 MB, takes about 20 ms) and
    bounded by the loader's caps: a file over them is not read. A file that cannot be read is one
    entry among the others, so the rest are still watched.
    """
    return fingerprint(path if path is not None else DEFAULT_PATH)


def process_name() -> str:
    """This process among a cluster's: host, pid and a random tag (pids repeat across machines)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def base_version(fingerprint: tuple[tuple[str, str], ...]) -> str:
    """A short name for what a set of knowledge files holds: 12 hex digits of a SHA-256 over every
    file's name and digest. Two processes whose files are the same show the same version."""
    text = "\n".join(f"{name}\t{digest}" for name, digest in fingerprint)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


class FactService:
    """Answers questions from the current engine and logs what it could not answer."""

    def __init__(
        self,
        engine: Engine,
        knowledge_path: Path | None = None,
        questions: QuestionLog | None = None,
        cache: SnapshotCache | None = None,
    ):
        self._engine = engine
        self.knowledge_path = knowledge_path
        self.questions = questions
        self.cache = cache
        """Where engines are snapshotted on load and reload (`bot.snapshot`); None: never."""
        self._reload_lock = threading.Lock()
        self.loaded_at = time.time()
        self._fingerprint = knowledge_fingerprint(knowledge_path)
        self._version = base_version(self._fingerprint)
        self.last_reload: ReloadResult | None = None
        """The latest reload attempt (a refused one leaves the working base in place), or None."""
        self.name = process_name()
        """How this process is named among a cluster's (in /stats and the reload bus)."""
        self.shards: str | None = None
        """The shards this process runs ('0-1'), for /stats; None: every shard (or not on Discord)."""
        self.reports_presence = False
        """True for a bot (not a terminal command): it reports itself and its base version to the
        shared log at every reload and on a heartbeat (`report_presence`)."""
        self.announce: Callable[[str], object] | None = None
        """Called with the base version after every reload this process starts (/reload, the file
        watcher), so the other processes of a cluster reload too (`bot.cluster.ReloadBus`)."""

    @classmethod
    def load(
        cls,
        knowledge_path: Path | None = None,
        questions: QuestionLog | None = None,
        cache: SnapshotCache | None = None,
    ) -> FactService:
        """Load the base (raising KnowledgeError with every problem) and build the engine,
        or take it from a snapshot of the same files in `cache`."""
        return cls(load_engine(knowledge_path, cache=cache), knowledge_path, questions, cache)

    @property
    def base_version(self) -> str:
        """The version of the base answering now: a hash of the files it was loaded from."""
        return self._version

    @property
    def reload_refused(self) -> bool:
        """True when the latest reload was refused: the files on disk do not validate, and the
        working base (an older version) keeps answering."""
        return self.last_reload is not None and not self.last_reload.ok

    @property
    def engine(self) -> Engine:
        """The engine answering now. Read it once per question."""
        return self._engine

    def ask(
        self,
        question: str,
        origin: Origin,
        *,
        engine: Engine | None = None,
        language: str | None = None,
        fallback: str | None = None,
        logged: Callable[[Answer], bool] | None = None,
    ) -> Answer:
        """Answer and log the question: the one path every front end asks through. `engine` pins
        the engine read at the start of a longer job (several claims of one message); `language` is
        the asker's explicit choice, `fallback` their client's language (see `Engine.language_for`);
        `logged` says which answers are questions at all (in an answer channel, an unanswered remark
        with no "?" is talk, neither logged nor replied to)."""
        answer = (engine or self._engine).answer(question, language=language, fallback=fallback)
        if logged is None or logged(answer):
            self.record(answer, origin)
        return answer

    def record(self, answer: Answer, origin: Origin) -> None:
        """Log a question's outcome; never raises (logging degrades, answering does not)."""
        if self.questions is None:
            return
        if not answer.answered:
            outcome = "declined"
        elif answer.low_confidence:
            outcome = "low_confidence"
        else:
            outcome = "answered"
        best_entry, best_question = answer.entry_id, answer.entry_question
        if best_entry is None and answer.suggestions:
            best_entry, best_question = answer.suggestions[0].entry_id, answer.suggestions[0].question
        try:
            self.questions.record_question(
                answer.question,
                origin,
                outcome=outcome,
                confidence=answer.confidence,
                best_entry=best_entry,
                best_question=best_question,
                verdict=answer.verdict.kind.value
                if answer.verdict
                else "unchecked"
                if answer.claim
                else None,
                language=answer.language,
                untranslated=answer.untranslated,
            )
        except Exception:  # the log must never take answering down with it
            log.exception("could not log a question")

    def reload(self, *, announce: bool = True) -> ReloadResult:
        """Load and validate the base again; swap it in only if it is entirely valid. With
        `announce` (a reload started here, not one asked for by another process), tell the cluster."""
        result = self._reload()
        self.last_reload = result
        if self.reports_presence:
            self.report_presence()
        if announce and self.announce is not None:
            try:
                self.announce(self._version)
            except Exception:  # the other processes' reload must not break this one's
                log.exception("could not tell the other processes to reload")
        return result

    def _reload(self) -> ReloadResult:
        started = time.perf_counter()
        with self._reload_lock:
            fingerprint = knowledge_fingerprint(self.knowledge_path)
            self._fingerprint = fingerprint
            try:
                engine = load_engine(self.knowledge_path, cache=self.cache)
            except KnowledgeError as exc:
                log.warning("reload refused, still answering from the working base:\n%s", exc.report())
                n = len(exc.problems)
                return ReloadResult(
                    False,
                    f"Reload refused: {n} problem{'s' if n != 1 else ''}; nothing changed.",
                    exc.problems,
                    time.perf_counter() - started,
                )
            except Exception as exc:  # a bug must not replace a working base either
                log.exception("reload failed")
                problem = Problem(
                    str(self.knowledge_path or "knowledge"), None, None, f"unexpected error: {exc}"
                )
                return ReloadResult(
                    False, "Reload failed; nothing changed.", [problem], time.perf_counter() - started
                )
            self._engine = engine  # one reference assignment: atomic for every reader
            self._version = base_version(fingerprint)
            self.loaded_at = time.time()
        took = time.perf_counter() - started
        summary = f"Reloaded: {engine.base.summary_line()} (version {self._version}) in {took:.2f} s."
        log.info(summary)
        return ReloadResult(True, summary, [], took)

    def report_presence(self) -> None:
        """Tell the shared log this process is alive, and which base it answers from; never blocks."""
        if self.questions is not None:
            self.questions.record_process(
                self.name, base_version=self._version, refused=self.reload_refused, shards=self.shards
            )

    def reload_if_changed(self, *, announce: bool = True) -> ReloadResult | None:
        """Reload when the knowledge files changed since the last load or attempt; else None.

        A broken edit is tried once, not on every call: the next save changes the files again.
        Another process's reload arrives here with `announce=False`: each process loads and checks
        its own copy of the files, and says nothing back.
        """
        if knowledge_fingerprint(self.knowledge_path) == self._fingerprint:
            return None
        return self.reload(announce=announce)

    async def reload_async(self) -> ReloadResult:
        """`reload` in a worker thread, so the event loop keeps answering while the base loads."""
        return await asyncio.to_thread(self.reload)
