"""A reload that reaches every process: PostgreSQL LISTEN/NOTIFY between the processes of a cluster.

When one process reloads (an admin's `/reload`, or its file watcher saw an edit), it sends one
notification on the channel `factbot_reload`; every other process listening on the same database
then loads and checks its own copy of the knowledge files (`FactService.reload_if_changed`), keeping
its working base if they do not validate. On SQLite there is no bus: a reload stays local.

The listener is a thread with a connection of its own, so nothing here touches the event loop. A lost
connection is retried with backoff; after reconnecting, the process checks its files once, since a
notification sent while it was away is not kept by the server.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Final

from bot.questionlog import redact
from bot.service import FactService, process_name

log = logging.getLogger(__name__)

CHANNEL: Final = "factbot_reload"


class ReloadBus:
    """Sends and receives reload requests through one PostgreSQL database."""

    def __init__(
        self,
        url: str,
        on_request: Callable[[], object],
        *,
        name: str | None = None,
        retry_initial: float = 0.2,
        retry_max: float = 10.0,
        poll: float = 0.25,
    ) -> None:
        """`on_request` runs on the listener thread for every request from another process (and
        once after each reconnection). `poll` bounds how long `close()` waits for the thread."""
        self.url = url
        self.name = name or process_name()
        self._on_request = on_request
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._poll = poll
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self.received = 0
        """Reload checks run so far: one per request from another process, one per reconnection."""

    @classmethod
    def for_service(cls, url: str, service: FactService, **options: Any) -> ReloadBus:
        """A bus that reloads `service` on request, and announces its own reloads."""
        options.setdefault("name", service.name)
        bus = cls(url, lambda: service.reload_if_changed(announce=False), **options)
        service.announce = bus.publish
        return bus

    @property
    def listening(self) -> bool:
        """True while the listener is connected and subscribed."""
        return self._listening.is_set()

    def wait_listening(self, timeout: float) -> bool:
        """Wait (at most `timeout` s) until the listener is subscribed; True if it is."""
        return self._listening.wait(timeout)

    def start(self) -> None:
        """Start listening (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="factbot-reload-bus", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop listening and wait for the thread (idempotent)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def publish(self, version: str) -> bool:
        """Ask every other process to reload; True if the server took the notification.

        Blocking (a short connection of its own): call it from a worker thread, as the reloads do.
        """
        import psycopg

        payload = json.dumps({"from": self.name, "version": version})
        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
        except psycopg.Error as exc:
            log.warning("could not ask the other processes to reload (%s): %s", redact(self.url), exc)
            return False
        log.info("asked the other processes to reload (base version %s)", version)
        return True

    def _run(self) -> None:
        import psycopg

        delay = self._retry_initial
        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    if not first:
                        log.info("reload bus: listening again; checking the knowledge files once")
                        self._handle()
                    first, delay = False, self._retry_initial
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=self._poll):
                            if self._from_other(note.payload):
                                self._handle()
            except psycopg.Error as exc:
                if self._listening.is_set() or first:
                    log.warning(
                        "reload bus: lost %s (%s); other processes' reloads wait until it is back",
                        redact(self.url),
                        exc,
                    )
                self._listening.clear()
                first = False
                self._stop.wait(delay)
                delay = min(delay * 2, self._retry_max)
        self._listening.clear()

    def _from_other(self, payload: str) -> bool:
        try:
            sender = json.loads(payload).get("from")
        except (ValueError, AttributeError):
            return True  # someone else's format: a request all the same
        return bool(sender != self.name)

    def _handle(self) -> None:
        self.received += 1
        try:
            self._on_request()
        except Exception:  # a failing reload must not stop the listener
            log.exception("reload bus: the requested reload failed")
