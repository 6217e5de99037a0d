"""Snapshots of a built engine on disk: a restart, or a reload of files that did not change, skips
parsing, validating and indexing.

A snapshot is keyed by everything the built engine depends on: the bytes of every knowledge file,
factbot's own source code, the Python version and the versions of the libraries that parse, stem
and index. Any change to one of them is a miss, and the base is loaded and checked in full; so a
snapshot only ever stands for files that loaded without a problem under the same code.

The cache is an optimisation and never a source of failure: a snapshot that is missing, corrupt,
truncated, from another version, unsigned or not safely stored is ignored (and replaced); a directory
that cannot be written is logged and the engine is built as if there were no cache.

Nothing read from the cache can run code. Snapshots are pickles, so before a byte of one is
unpickled it must prove it was written by this installation:

* **Authenticated.** Each snapshot carries an HMAC-SHA256 over its bytes and the key it stands for,
  with a secret that never leaves the data directory (`<state dir>/snapshot.key`, mode 0600, created
  atomically by linking a finished temporary file into place). The file name is derived from the
  same secret, so nothing about it can be guessed either. A file whose tag does not match is never
  unpickled.
* **Safely stored.** The cache directory is opened component by component from `/` with
  `O_NOFOLLOW`, each directory checked on its open descriptor (`fstat`): owned by this user or root,
  and writable by nobody else (an ancestor may be world-writable only with the sticky bit, like
  `/tmp`, where nobody can rename what is not theirs). The snapshot itself is opened with
  `O_NOFOLLOW` relative to that descriptor and checked the same way: a regular file, this user's,
  written by nobody else. Nothing can be swapped between the check and the read. The secret is read
  the same way and must be readable by nobody else.
* **Restricted.** Even an authentic snapshot is unpickled by an unpickler that knows only factbot's
  own engine and knowledge classes and a few plain containers, so a leaked secret still cannot make
  the bot call anything else.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import hmac
import io
import logging
import os
import pickle
import secrets
import stat
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from bot.engine import Engine
from bot.knowledge import DEFAULT_PATH, display_path, find_files, load_base
from bot.paths import default_cache_dir

log = logging.getLogger(__name__)

FORMAT: Final = 2
"""Bumped when the snapshot layout changes in a way the code fingerprint would not show."""
MAGIC: Final = b"factbot engine snapshot v2\n"
_TAG_BYTES: Final = 32  # HMAC-SHA256
SUFFIX: Final = ".snapshot"
KEY_FILE_NAME: Final = "snapshot.key"
STALE_TMP_SECONDS: Final = 3600
KEEP: Final = 4
"""Snapshots kept per directory (most recently used first): a few bases can take turns."""
OFF_VALUES: Final = frozenset({"off", "none", "no", "false", "0"})
"""What turns an optional setting off (FACTBOT_CACHE_DIR, FACTBOT_DB_PATH, FACTBOT_COOLDOWN)."""
_LIBRARIES: Final = ("pydantic", "pydantic-core", "rapidfuzz", "snowballstemmer", "PyStemmer", "PyYAML")
_PACKAGE: Final = Path(__file__).resolve().parent


def cache_dir_from_env(environ: Mapping[str, str] | None = None) -> Path | None:
    """`FACTBOT_CACHE_DIR` as a directory, None when it says "off", else the default."""
    env = os.environ if environ is None else environ
    raw = env.get("FACTBOT_CACHE_DIR", "").strip()
    if raw.lower() in OFF_VALUES:
        return None
    return Path(raw).expanduser() if raw else default_cache_dir(env)


@dataclass(frozen=True, slots=True)
class SnapshotCache:
    """Where engine snapshots are kept, and the file with the secret that signs them.

    Keep `key_file` out of `directory` (the default puts it in the data directory, beside the
    question log's salt): a copied or restored cache then carries no means to forge a snapshot.
    """

    directory: Path
    key_file: Path


def load_engine(path: Path | str | None = None, *, cache: SnapshotCache | None = None) -> Engine:
    """The engine for the base at `path`, from a snapshot when one matches, else built and snapshotted.

    Raises KnowledgeError exactly as `load_base` does: a base with problems is never snapshotted,
    and a snapshot is never used for files whose bytes differ from the ones it was built from.
    """
    root = Path(path) if path is not None else DEFAULT_PATH
    key = snapshot_key(root) if cache is not None else None
    if cache is None or key is None:
        return Engine(load_base(root))
    secret = _read_secret(cache.key_file)  # none yet: nothing in the cache can be ours
    engine = _read(cache.directory, secret, key) if secret is not None else None
    if engine is not None:
        return engine
    engine = Engine(load_base(root))
    # keyed by the bytes the loader parsed, not by a second look at the files: a save during the
    # load makes a snapshot of what was loaded, under that content's own key
    built_key = _key(engine.base.digests)
    if built_key is not None:
        _write(cache, built_key, engine)
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


def snapshot_name(secret: bytes, key: str) -> str:
    """The file name of the snapshot for `key`: derived from the secret, so it cannot be guessed."""
    return "engine-" + hmac.new(secret, b"name\0" + key.encode(), hashlib.sha256).hexdigest()[:32] + SUFFIX


def _tag(secret: bytes, key: str, payload: bytes) -> bytes:
    """What proves a snapshot was written here for `key`: a swap of two real snapshots fails too."""
    return hmac.new(secret, MAGIC + key.encode() + b"\0" + payload, hashlib.sha256).digest()


def seal(secret: bytes, key: str, payload: bytes) -> bytes:
    """A snapshot file's bytes: the magic line, the tag, the pickle."""
    return MAGIC + _tag(secret, key, payload) + payload


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


class Untrusted(Exception):
    """A cache file or directory that must not be read: why, in words."""


def _read(directory: Path, secret: bytes, key: str) -> Engine | None:
    target = directory / snapshot_name(secret, key)
    try:
        data = read_trusted(target)
    except FileNotFoundError:
        return None
    except (Untrusted, OSError) as exc:  # a link, a FIFO, another owner, an unsafe folder: not read
        log.warning("ignoring engine snapshot %s: %s", target, exc)
        return None
    try:
        header = len(MAGIC) + _TAG_BYTES
        if not data.startswith(MAGIC) or len(data) < header:
            raise ValueError("not a factbot snapshot")
        payload = data[header:]
        if not hmac.compare_digest(data[len(MAGIC) : header], _tag(secret, key, payload)):
            raise ValueError("not signed with this installation's key")  # never unpickled
        with _gc_paused():
            stored = _EngineUnpickler(io.BytesIO(payload)).load()
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
        os.utime(target, follow_symlinks=False)  # most recently used: kept when older ones are pruned
    log.debug("engine from snapshot %s", target)
    return engine


def _write(cache: SnapshotCache, key: str, engine: Engine) -> None:
    cache_dir = cache.directory
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(open_trusted_dir(cache_dir))  # never write where we would refuse to read
        secret = _read_secret(cache.key_file, create=True)
        if secret is None:
            return  # said why
        target = cache_dir / snapshot_name(secret, key)
        with _gc_paused():
            payload = pickle.dumps((FORMAT, key, engine), protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".engine-", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(seal(secret, key, payload))
            os.replace(tmp, target)  # atomic: a reader sees the old snapshot or the whole new one
        except BaseException:
            _remove(Path(tmp))
            raise
    except Exception as exc:  # a cache must never stop the bot: unwritable, full, unpicklable, unsafe
        log.warning("could not write an engine snapshot in %s (%s); answering without one", cache_dir, exc)
        return
    _prune(cache_dir, keep=target)


def _prune(cache_dir: Path, keep: Path) -> None:
    try:
        snapshots = sorted(
            cache_dir.glob("engine-*" + SUFFIX), key=lambda p: p.lstat().st_mtime, reverse=True
        )
    except OSError:
        return
    for old in [p for p in snapshots if p != keep][KEEP - 1 :]:
        _remove(old)
    with suppress(OSError):
        for legacy in cache_dir.glob("engine-*.pickle"):  # unsigned, from before FORMAT 2: never read
            _remove(legacy)
    # left by a process killed while writing; an hour is far longer than any write takes
    with suppress(OSError):
        for tmp in cache_dir.glob(".engine-*.tmp"):
            if time.time() - tmp.lstat().st_mtime > STALE_TMP_SECONDS:
                _remove(tmp)


# --- the secret ----------------------------------------------------------------------------------


def _read_secret(key_file: Path, *, create: bool = False) -> bytes | None:
    """The installation's snapshot secret; created (atomically) when `create` and there is none.

    None, after a warning, when it cannot be read or made safely: then there are no snapshots.
    """
    try:
        text = read_trusted(key_file, private=True).decode("ascii").strip()
        secret = bytes.fromhex(text)
        if len(secret) < 32:
            raise ValueError("too short")
        return secret
    except FileNotFoundError:
        if not create:
            return None
    except (Untrusted, OSError, ValueError) as exc:
        log.warning("not using engine snapshots: the key %s cannot be used (%s)", key_file, exc)
        return None
    try:
        return _create_secret(key_file)
    except (Untrusted, OSError, ValueError) as exc:
        log.warning("not using engine snapshots: cannot create the key %s (%s)", key_file, exc)
        return None


def _create_secret(key_file: Path) -> bytes:
    """Write a new secret to a private temporary file, then link it into place: a reader never sees
    half a key, and of two processes creating it at once, one wins and both use its key."""
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(open_trusted_dir(key_file.parent))
    fd, tmp = tempfile.mkstemp(dir=key_file.parent, prefix=".snapshot-key-", suffix=".tmp")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
        with suppress(FileExistsError):  # another process was first: use its key
            os.link(tmp, key_file)
    finally:
        _remove(Path(tmp))
    return bytes.fromhex(read_trusted(key_file, private=True).decode("ascii").strip())


# --- reading files nobody else could have put there ------------------------------------------------

_O_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY: Final = getattr(os, "O_DIRECTORY", 0)
_O_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK: Final = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted in the cache must not hang the bot
_POSIX: Final = hasattr(os, "getuid") and _O_NOFOLLOW != 0 and os.open in os.supports_dir_fd


def _check_owner(st: os.stat_result, what: str, *, others_may_write_sticky: bool) -> None:
    if st.st_uid not in (os.getuid(), 0):
        raise Untrusted(f"{what} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o022:
        if others_may_write_sticky and st.st_mode & stat.S_ISVTX and stat.S_ISDIR(st.st_mode):
            return  # like /tmp: others may add entries, but cannot rename or remove ours
        raise Untrusted(f"{what} is writable by others (mode {stat.S_IMODE(st.st_mode):04o})")


def open_trusted_dir(directory: Path) -> int:
    """A descriptor for `directory`, reached from `/` one component at a time without following a
    link, each checked on its descriptor: owned by this user or root, writable by nobody else (the
    sticky-bit exception applies to ancestors only). Raises Untrusted or OSError."""
    if not _POSIX:
        return os.open(directory, os.O_RDONLY)  # no owners or O_NOFOLLOW here: the HMAC alone guards
    real = Path(os.path.realpath(directory))  # links resolved now; any swapped in later are refused
    fd = os.open("/", os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
    try:
        parts = real.parts[1:]
        _check_owner(os.fstat(fd), "/", others_may_write_sticky=bool(parts))
        walked = Path("/")
        for n, part in enumerate(parts):
            walked = walked / part
            try:
                child = os.open(part, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise Untrusted(f"{walked} was replaced by a link or a file while being opened") from exc
                raise
            os.close(fd)
            fd = child
            last = n == len(parts) - 1
            _check_owner(os.fstat(fd), str(walked), others_may_write_sticky=not last)
            if last and os.fstat(fd).st_uid != os.getuid():
                raise Untrusted(f"{walked} is not this user's")
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_trusted(path: Path, *, private: bool = False) -> bytes:
    """The bytes of `path`, read only if nobody but this user could have written it.

    The file is opened with O_NOFOLLOW relative to its directory's checked descriptor (see
    `open_trusted_dir`), then checked on its own descriptor: a regular file, this user's, not
    writable by others, and with `private`, not readable by them either. Raises FileNotFoundError,
    Untrusted or OSError.
    """
    dir_fd = open_trusted_dir(path.parent)
    try:
        if not _POSIX:
            return path.read_bytes()
        try:
            fd = os.open(path.name, os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC | _O_NONBLOCK, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise Untrusted("it is a symbolic link") from exc
            raise
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise Untrusted("not a regular file")
            if st.st_uid != os.getuid():
                raise Untrusted(f"written by another user (uid {st.st_uid})")
            if st.st_mode & (0o077 if private else 0o022):
                who = "readable or writable" if private else "writable"
                raise Untrusted(f"{who} by others (mode {stat.S_IMODE(st.st_mode):04o})")
            return handle.read()
    finally:
        os.close(dir_fd)


# --- unpickling only what an engine is made of -----------------------------------------------------

_CONTAINERS: Final = frozenset(
    {
        ("builtins", name)
        for name in ("list", "dict", "set", "frozenset", "tuple", "bytes", "str", "int", "float", "bool")
    }
    | {("collections", name) for name in ("defaultdict", "OrderedDict", "Counter", "deque")}
    # numpy arrays (embeddings): rebuilt from bytes, a dtype and a shape. An object array cannot come
    # from a buffer, and _reconstruct's contents pass through this same find_class.
    | {(module, "_frombuffer") for module in ("numpy._core.numeric", "numpy.core.numeric")}
    | {(module, "_reconstruct") for module in ("numpy._core.multiarray", "numpy.core.multiarray")}
    | {("numpy", "dtype"), ("numpy", "ndarray")}
)
_ENGINE_PACKAGES: Final = ("bot.engine.", "bot.knowledge.")
_STDLIB: Final = frozenset({"builtins", "collections"})


class _EngineUnpickler(pickle.Unpickler):
    """Finds only factbot's engine and knowledge classes, plain containers and numpy arrays; refuses
    the rest.

    Even a snapshot with a valid tag cannot name `os.system`, `builtins.eval` or any other callable:
    the classes allowed build data from data.
    """

    def find_class(self, module: str, name: str) -> Any:
        """The class `module.name` if an engine may contain it, else UnpicklingError."""
        if (module, name) in _CONTAINERS and (module.split(".")[0] in _STDLIB or module in sys.modules):
            return super().find_class(module, name)  # numpy only when the engine already uses it
        if module.startswith(_ENGINE_PACKAGES) and name.isidentifier():
            found = getattr(sys.modules.get(module), name, None)  # only modules already imported
            if isinstance(found, type) and found.__module__ == module:
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of an engine")


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
