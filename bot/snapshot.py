"""Snapshots of a built engine on disk: a restart, or a reload of files that did not change, skips
parsing, validating and indexing.

A snapshot is keyed by everything the built engine depends on: the bytes of every knowledge file,
factbot's own source code, the Python version and the versions of the libraries that parse, stem
and index. Any change to one of them is a miss, and the base is loaded and checked in full; so a
snapshot only ever stands for files that loaded without a problem under the same code.

The cache is an optimisation and never a source of failure: a snapshot that is missing, corrupt,
truncated, from another version or not safely owned is ignored (and replaced); a directory that
cannot be written is logged once and the engine is built as if there were no cache.

Snapshots are pickles, and unpickling runs code, so only files this user wrote into a directory
that others cannot write are read (see `_trusted`).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Final

from bot.engine import Engine
from bot.knowledge import DEFAULT_PATH, display_path, find_files, load_base

log = logging.getLogger(__name__)

FORMAT: Final = 1
"""Bumped when the snapshot layout changes in a way the code fingerprint would not show."""
STALE_TMP_SECONDS: Final = 3600
KEEP: Final = 4
"""Snapshots kept per directory (most recently used first): a few bases can take turns."""
OFF_VALUES: Final = frozenset({"off", "none", "no", "false", "0"})
"""What turns an optional setting off (FACTBOT_CACHE_DIR, FACTBOT_DB_PATH, FACTBOT_COOLDOWN)."""
_LIBRARIES: Final = ("pydantic", "pydantic-core", "rapidfuzz", "snowballstemmer", "PyStemmer", "PyYAML")
_PACKAGE: Final = Path(__file__).resolve().parent


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """`$XDG_CACHE_HOME/factbot`, else `~/.cache/factbot`; None when there is no home to put it in."""
    env = os.environ if environ is None else environ
    root = env.get("XDG_CACHE_HOME", "").strip()
    if root:
        return Path(root) / "factbot"
    try:
        return Path.home() / ".cache" / "factbot"
    except (RuntimeError, KeyError):  # no HOME and no passwd entry (`env -i`, some containers)
        return None


def cache_dir_from_env(environ: Mapping[str, str] | None = None) -> Path | None:
    """`FACTBOT_CACHE_DIR` as a directory, None when it says "off", else the default."""
    env = os.environ if environ is None else environ
    raw = env.get("FACTBOT_CACHE_DIR", "").strip()
    if raw.lower() in OFF_VALUES:
        return None
    return Path(raw).expanduser() if raw else default_cache_dir(env)


def load_engine(path: Path | str | None = None, *, cache_dir: Path | None = None) -> Engine:
    """The engine for the base at `path`, from a snapshot when one matches, else built and snapshotted.

    Raises KnowledgeError exactly as `load_base` does: a base with problems is never snapshotted,
    and a snapshot is never used for files whose bytes differ from the ones it was built from.
    """
    root = Path(path) if path is not None else DEFAULT_PATH
    key = snapshot_key(root) if cache_dir is not None else None
    if cache_dir is None or key is None:
        return Engine(load_base(root))
    target = _target(cache_dir, key)
    engine = _read(target, key)
    if engine is not None:
        return engine
    engine = Engine(load_base(root))
    # keyed by the bytes the loader parsed, not by a second look at the files: a save during the
    # load makes a snapshot of what was loaded, under that content's own key
    built_key = _key(engine.base.digests)
    if built_key is not None:
        _write(cache_dir, _target(cache_dir, built_key), built_key, engine)
    return engine


def snapshot_key(root: Path) -> str | None:
    """A digest of the knowledge files' names and bytes and of the code that builds the engine;
    None when there is nothing to key on (no files, an unreadable file, no source to fingerprint)."""
    files, problems = find_files(root)
    if problems or not files:
        return None
    try:
        digests = {display_path(f, root): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    except OSError:
        return None
    return _key(digests)


def _key(digests: Mapping[str, str]) -> str | None:
    code = _code_key()
    if code is None or not digests:
        return None
    digest = hashlib.sha256(code.encode())
    for name in sorted(digests):
        digest.update(f"\0{name}\0{digests[name]}".encode())
    return digest.hexdigest()


def _target(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"engine-{key[:32]}.pickle"


@lru_cache(maxsize=1)
def _code_key() -> str | None:
    """What else a built engine depends on: factbot's source, Python, and the libraries' versions.

    None (no snapshots) when factbot's source cannot be read: without it, a new version could not be
    told from an old one.
    """
    digest = hashlib.sha256(
        f"format {FORMAT}; python {sys.version}; pickle {pickle.HIGHEST_PROTOCOL}".encode()
    )
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"; {name} {version}".encode())
    sources = 0
    for source in sorted(_PACKAGE.rglob("*.py")):
        try:
            content = source.read_bytes()
        except OSError:  # an editor's lock file (".#matcher.py"), a dangling link: not source
            continue
        digest.update(str(source.relative_to(_PACKAGE)).encode())
        digest.update(content)
        sources += 1
    return digest.hexdigest() if sources else None


def _read(target: Path, key: str) -> Engine | None:
    if not target.is_file():
        return None
    if not _trusted(target):
        log.warning("ignoring engine snapshot %s: not owned by this user, or writable by others", target)
        return None
    try:
        with _gc_paused():
            stored = pickle.loads(target.read_bytes())
        if not (isinstance(stored, tuple) and len(stored) == 3 and stored[:2] == (FORMAT, key)):
            raise ValueError("written for other files or by another version")
        engine = stored[2]
        if not isinstance(engine, Engine):
            raise TypeError(f"holds a {type(engine).__name__}, not an engine")
    except Exception as exc:  # corrupt, truncated, foreign: rebuild; never fail on a cache
        log.warning(
            "ignoring engine snapshot %s (%s: %s); building the engine", target, type(exc).__name__, exc
        )
        _remove(target)
        return None
    with suppress(OSError):
        os.utime(target)  # most recently used: kept when older snapshots are pruned
    log.debug("engine from snapshot %s", target)
    return engine


def _write(cache_dir: Path, target: Path, key: str, engine: Engine) -> None:
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".engine-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out, _gc_paused():
                pickle.dump((FORMAT, key, engine), out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)  # atomic: a reader sees the old snapshot or the whole new one
        except BaseException:
            _remove(Path(tmp))
            raise
    except Exception as exc:  # a cache must never stop the bot: unwritable, full, unpicklable
        log.warning("could not write an engine snapshot in %s (%s); answering without one", cache_dir, exc)
        return
    _prune(cache_dir, keep=target)


def _prune(cache_dir: Path, keep: Path) -> None:
    try:
        snapshots = sorted(cache_dir.glob("engine-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in [p for p in snapshots if p != keep][KEEP - 1 :]:
        _remove(old)
    # left by a process killed while writing; an hour is far longer than any write takes
    with suppress(OSError):
        for tmp in cache_dir.glob(".engine-*.tmp"):
            if time.time() - tmp.stat().st_mtime > STALE_TMP_SECONDS:
                _remove(tmp)


def _trusted(target: Path) -> bool:
    """Written by this user, and neither the file nor its directory writable by anyone else."""
    if not hasattr(os, "getuid"):  # Windows: no owner bits to check
        return True
    try:
        for item in (target, target.parent):
            st = item.stat()
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return False
    except OSError:
        return False
    return True


def _remove(path: Path) -> None:
    with suppress(OSError):
        path.unlink(missing_ok=True)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """(Un)pickling touches a million objects; the cyclic collector would scan them over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
