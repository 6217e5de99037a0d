"""Finding and reading the knowledge files.

Every `*.yaml` file under the knowledge directory is read, and nothing is skipped without a word:
a folder that cannot be listed, a symlink loop, a dangling link or a file that cannot be opened is
an error; an editor's lock file (`.#facts.yaml`, which Emacs leaves while a buffer is modified) is
a warning. Linked folders are followed, once each.

Sizes are capped from `stat` before anything is read, and again while reading (a file can grow in
between), per file and in all, so a huge or sparse file costs neither memory nor time.

A set of files read while an editor saves several of them could mix old and new files; it is read
again until two readings agree byte for byte (`read_consistent`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bot.knowledge.problems import Problem

MAX_FILE_BYTES: Final = 8 * 1024 * 1024
MAX_TOTAL_BYTES: Final = 16 * 1024 * 1024
"""All files together: three times the 10,000-entry benchmark base."""
YAML_SUFFIXES: Final = (".yaml", ".yml")
LOCK_PREFIX: Final = ".#"
"""Emacs's lock files: `.#facts.yaml`, a dangling link, while someone edits facts.yaml."""
READ_ATTEMPTS: Final = 6
"""Readings of the whole set before a still-changing base is refused."""
SETTLE_SECONDS: Final = 0.05
"""Pause between readings that disagreed: a multi-file save usually takes milliseconds."""


@dataclass(frozen=True, slots=True)
class KnowledgeFile:
    """One file to read: where it is, how editors see its name, and its size when found."""

    path: Path
    """As found under the root (links not resolved), to open."""
    display: str
    """For messages: relative to the knowledge directory's parent."""
    size: int


@dataclass(slots=True)
class Scan:
    """The files under a root in load order, and every reason some could not be taken."""

    files: list[KnowledgeFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FileText:
    """A file's bytes as read, and their SHA-256 (what the engine cache keys on)."""

    display: str
    data: bytes
    digest: str


@dataclass(slots=True)
class Reading:
    """The bytes of every readable file, plus the problems and warnings of finding and reading them."""

    files: list[FileText] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def same_as(self, other: Reading) -> bool:
        """Byte for byte the same files, and the same problems."""
        return [(f.display, f.data) for f in self.files] == [
            (f.display, f.data) for f in other.files
        ] and self.problems == other.problems


def display_path(file: Path, root: Path) -> str:
    """The path as an editor recognises it: relative to the knowledge directory's parent."""
    try:
        return str(file.relative_to(root.parent))
    except ValueError:
        return str(file)


def _mib(size: int) -> str:
    """A size for people: "7.5 MiB"."""
    return f"{size / 1048576:.1f} MiB"


def _too_big(size: int) -> str:
    """The message for a file over the per-file cap."""
    return (
        f"the file is {_mib(size)}; the limit is {MAX_FILE_BYTES // 1048576} MiB: split it into several files"
    )


def scan(root: Path) -> Scan:
    """Find the knowledge files under `root` (a directory or one file), with sizes checked."""
    result = Scan()
    name = str(root)
    try:
        st = root.stat()
    except OSError as exc:
        if exc.errno == errno.ENOENT and not root.is_symlink():
            result.problems.append(Problem(name, None, None, "no such file or directory"))
        else:
            result.problems.append(Problem(name, None, None, _unreadable(root, exc)))
        return result
    if stat.S_ISDIR(st.st_mode):
        key = (st.st_dev, st.st_ino)
        _walk(root, root, key, {key: root}, set(), result)
        if not (result.files or result.problems or result.warnings):
            result.problems.append(
                Problem(name, None, None, "no .yaml files here: is this the knowledge directory?")
            )
    elif stat.S_ISREG(st.st_mode):
        _add_file(root, display_path(root, root), st, result)
    else:
        result.problems.append(Problem(name, None, None, "not a regular file or a directory"))
    total = sum(f.size for f in result.files)
    if total > MAX_TOTAL_BYTES:
        # refused before anything is parsed: the cost of a base this size is the point of the cap
        result.problems.append(
            Problem(
                name,
                None,
                None,
                f"the knowledge files add up to {_mib(total)}; the limit is "
                f"{MAX_TOTAL_BYTES // 1048576} MiB in all: remove or shorten some (nothing was loaded)",
            )
        )
        result.files = []
    return result


def _walk(
    folder: Path,
    root: Path,
    key: tuple[int, int],
    seen: dict[tuple[int, int], Path],
    ancestors: set[tuple[int, int]],
    result: Scan,
) -> None:
    """Add the files under `folder` (whose device and inode are `key`) in name order, following
    linked folders once each; `ancestors` are the folders above it, to tell a loop."""
    ancestors = ancestors | {key}
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        result.problems.append(
            Problem(
                display_path(folder, root),
                None,
                None,
                f"cannot read the folder ({exc.strerror or exc}): none of its files are loaded",
            )
        )
        return
    for entry in entries:
        path = Path(entry.path)
        display = display_path(path, root)
        is_yaml = entry.name.endswith(YAML_SUFFIXES)
        if is_yaml and entry.name.startswith(LOCK_PREFIX):
            result.warnings.append(
                Problem(
                    display,
                    None,
                    None,
                    f"an editor's lock file (is someone editing {entry.name[len(LOCK_PREFIX) :]}?): "
                    "not loaded",
                )
            )
            continue
        try:
            st = entry.stat()  # follows links
        except OSError as exc:
            # a dangling link that is not named like a knowledge file is not one; a loop or an
            # unreadable link target might hide a folder of them, so it is reported
            if exc.errno == errno.ENOENT and not is_yaml:
                continue
            result.problems.append(Problem(display, None, None, _unreadable(path, exc)))
            continue
        if stat.S_ISDIR(st.st_mode):
            target = (st.st_dev, st.st_ino)
            if target in ancestors:
                result.problems.append(
                    Problem(
                        display,
                        None,
                        None,
                        f"a symlink loop: this folder leads back to {display_path(seen[target], root)}; "
                        "not followed",
                    )
                )
            elif target in seen:
                result.problems.append(
                    Problem(
                        display,
                        None,
                        None,
                        f"the same folder as {display_path(seen[target], root)}: its files would be "
                        "read twice; remove one of them",
                    )
                )
            else:
                seen[target] = path
                _walk(path, root, target, seen, ancestors, result)
        elif is_yaml:
            _add_file(path, display, st, result)


def _add_file(path: Path, display: str, st: os.stat_result, result: Scan) -> None:
    """Take a file named like a knowledge file, or say why not (not regular, too big)."""
    if not stat.S_ISREG(st.st_mode):
        result.problems.append(Problem(display, None, None, "not a regular file: cannot load it"))
    elif st.st_size > MAX_FILE_BYTES:
        result.problems.append(Problem(display, None, None, _too_big(st.st_size)))
    else:
        result.files.append(KnowledgeFile(path, display, st.st_size))


def _unreadable(path: Path, exc: OSError) -> str:
    """Why `path` cannot be followed or read, in an editor's words."""
    if exc.errno == errno.ELOOP:
        return "a symlink loop: the link never reaches a file; fix or remove it"
    if exc.errno == errno.ENOENT:
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return f"a link to {target}, which does not exist: fix or remove the link"
    return f"cannot read it: {exc.strerror or exc}"


def _nonblocking(path: str, flags: int) -> int:
    """`open`'s opener: O_NONBLOCK added."""
    # a file swapped for a FIFO after the scan must not hang the load
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, at most `limit` of them: raises ValueError when it holds more (it may
    have grown since it was measured), OSError when it cannot be read."""
    with open(path, "rb", opener=_nonblocking) as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file: cannot load it")
        # the size it has now, plus a byte to notice growth: reading `limit` at once would
        # allocate the whole limit for every file, however small
        chunks = [f.read(min(st.st_size, limit) + 1)]
        got = len(chunks[0])
        while got <= limit and (chunk := f.read(min(1 << 20, limit + 1 - got))):
            chunks.append(chunk)
            got += len(chunk)
    if got > limit:
        raise ValueError(_too_big(max(got, st.st_size)))
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_once(root: Path) -> Reading:
    """One reading of every knowledge file, within the caps."""
    found = scan(root)
    reading = Reading(problems=found.problems, warnings=found.warnings)
    total = 0
    for file in found.files:
        try:
            data = read_bounded(file.path, min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - total))
        except ValueError as exc:
            reading.problems.append(Problem(file.display, None, None, str(exc)))
            continue
        except OSError as exc:
            reading.problems.append(
                Problem(file.display, None, None, f"cannot read the file: {exc.strerror or exc}")
            )
            continue
        total += len(data)
        reading.files.append(FileText(file.display, data, hashlib.sha256(data).hexdigest()))
    return reading


def read_consistent(root: Path) -> Reading:
    """Every knowledge file as one consistent set: read until two readings in a row agree.

    Two equal readings prove the set was on disk as read at the moment between them (each file was
    unchanged from its first reading to its second), so a save of several files is seen whole or
    not at all, never half.
    """
    previous = read_once(root)
    for attempt in range(READ_ATTEMPTS - 1):
        current = read_once(root)
        if current.same_as(previous):
            return current
        previous = current
        time.sleep(SETTLE_SECONDS * (attempt + 1))
    previous.problems.append(
        Problem(
            str(root),
            None,
            None,
            f"the knowledge files kept changing while they were read ({READ_ATTEMPTS} readings): "
            "load again when the save is finished",
        )
    )
    return previous


def fingerprint(root: Path) -> tuple[tuple[str, str], ...]:
    """What the knowledge files hold now: each file's name and content hash, and every reason a
    file cannot be read. Any edit changes it, even one that keeps the size and modification time;
    a broken file changes only its own part, so the others are still watched."""
    reading = read_once(root)
    return tuple(
        [(f.display, f.digest) for f in reading.files] + [("problem", str(p)) for p in reading.problems]
    )
