"""Engine snapshots: a hit skips loading, any change is a miss, and a bad cache never breaks loading."""

from __future__ import annotations

import io
import logging
import os
import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import bot.snapshot as snapshot
from bot.engine import Engine
from bot.knowledge import KnowledgeError
from bot.knowledge import load_base as knowledge_load_base
from bot.questionlog import Origin
from bot.service import FactService
from bot.snapshot import (
    KEY_FILE_NAME,
    MAGIC,
    SnapshotCache,
    cache_dir_from_env,
    load_engine,
    seal,
    snapshot_key,
    snapshot_name,
)
from tests.helpers import MINIMAL, copy_real_base, write_base

QUESTIONS = [
    "how many ppl got out on new years day",
    "How many did the government say it freed on Christmas?",
    "who won the 2024 election",
    "what's the weather in caracas",
]


def at(cache: Path) -> SnapshotCache:
    """The cache in `cache`, its key in a data directory beside it (not inside it)."""
    return SnapshotCache(cache, cache.parent / "data" / KEY_FILE_NAME)


def secret_of(cache: Path) -> bytes:
    return bytes.fromhex(at(cache).key_file.read_text().strip())


def payload_of(target: Path) -> bytes:
    """The pickle inside a snapshot file (after the magic line and the 32-byte tag)."""
    return target.read_bytes()[len(MAGIC) + 32 :]


def resign(target: Path, cache: Path, content: object) -> None:
    """Replace a snapshot's content with `content`, correctly signed: as if the secret had leaked."""
    key = snapshot_key(Path(str(target.parent.parent / "kb")))
    assert key is not None
    target.write_bytes(seal(secret_of(cache), key, pickle.dumps(content)))


def snapshots(cache: Path) -> list[Path]:
    return sorted(cache.glob("engine-*.snapshot"))


def set_count(kb: Path, n: int) -> None:
    """Edit the minimal base's one figure to `n`, consistently."""
    text = MINIMAL["facts.yaml"]
    for old in ("at least 5 things", "At least 5 things", "amount: 5"):
        text = text.replace(old, old.replace("5", str(n)))
    (kb / "facts.yaml").write_text(text)


def refuse_to_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any real load fail the test: what follows must come from a snapshot."""

    def boom(*_: object, **__: object) -> None:
        raise AssertionError("the base was loaded instead of taken from the snapshot")

    monkeypatch.setattr("bot.snapshot.load_base", boom)


def test_a_snapshot_answers_exactly_like_the_engine_it_was_taken_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb, cache = copy_real_base(tmp_path / "knowledge"), tmp_path / "cache"
    built = load_engine(kb, cache=at(cache))
    assert len(snapshots(cache)) == 1
    assert (cache.stat().st_mode & 0o777) == 0o700
    refuse_to_load(monkeypatch)
    restored = load_engine(kb, cache=at(cache))
    assert restored is not built
    for question in QUESTIONS:
        assert restored.answer(question).to_json() == built.answer(question).to_json()


def test_any_edit_is_a_miss_and_the_new_content_is_answered(tmp_path: Path) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    assert "At least 5" in load_engine(kb, cache=at(cache)).answer("How many things happened?").text
    set_count(kb, 6)
    assert "At least 6" in load_engine(kb, cache=at(cache)).answer("How many things happened?").text
    assert len(snapshots(cache)) == 2  # the old one stays: an undo is a hit again


def test_a_renamed_or_added_file_changes_the_key(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    before = snapshot_key(kb)
    (kb / "facts.yaml").rename(kb / "facts-2025.yaml")
    renamed = snapshot_key(kb)
    (kb / "extra.yaml").write_text("synonyms:\n  - [thing, gizmo]\n")
    assert len({before, renamed, snapshot_key(kb)}) == 3


def test_a_code_or_library_change_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    load_engine(kb, cache=at(cache))
    monkeypatch.setattr(snapshot, "_code_key", lambda: "another version of factbot")
    load_engine(kb, cache=at(cache))
    assert len(snapshots(cache)) == 2


def test_a_broken_base_raises_and_is_never_snapshotted(tmp_path: Path) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    load_engine(kb, cache=at(cache))
    (kb / "facts.yaml").write_text("facts:\n  - id: [broken\n")
    with pytest.raises(KnowledgeError) as caught:
        load_engine(kb, cache=at(cache))
    assert any("facts.yaml" in p.file for p in caught.value.problems)
    assert len(snapshots(cache)) == 1  # only the working base's


def test_a_save_during_the_load_never_mixes_contents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot is keyed by the bytes the loader parsed, not by a second look at the files."""
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    real = knowledge_load_base

    def load_then_save(path: Path) -> object:
        base = real(path)
        set_count(kb, 7)  # an editor saves after the loader read the files
        return base

    monkeypatch.setattr("bot.snapshot.load_base", load_then_save)
    assert "At least 5" in load_engine(kb, cache=at(cache)).answer("How many things happened?").text
    monkeypatch.setattr("bot.snapshot.load_base", real)
    assert "At least 7" in load_engine(kb, cache=at(cache)).answer("How many things happened?").text
    set_count(kb, 5)  # back to what was loaded first: its snapshot, with its figure
    refuse_to_load(monkeypatch)
    assert "At least 5" in load_engine(kb, cache=at(cache)).answer("How many things happened?").text


def test_a_save_between_the_lookup_and_the_load_is_keyed_by_what_was_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    real_key = snapshot.snapshot_key

    def key_then_save(root: Path) -> str | None:
        key = real_key(root)
        set_count(kb, 7)  # saved after the lookup, before the loader reads the files
        return key

    monkeypatch.setattr(snapshot, "snapshot_key", key_then_save)
    assert "At least 7" in load_engine(kb, cache=at(cache)).answer("How many things happened?").text
    monkeypatch.setattr(snapshot, "snapshot_key", real_key)
    set_count(kb, 5)  # the content the lookup saw: no snapshot may hold the 7 for it
    assert "At least 5" in load_engine(kb, cache=at(cache)).answer("How many things happened?").text


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b"not a pickle at all"), id="garbage"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), id="truncated"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(
            lambda p: resign(p, p.parent, (snapshot.FORMAT, "other key", pickle.loads(payload_of(p))[2])),
            id="other-key",
        ),
        pytest.param(lambda p: resign(p, p.parent, {"not": "an engine"}), id="wrong-shape"),
        pytest.param(lambda p: p.write_bytes(payload_of(p)), id="unsigned"),
    ],
)
def test_a_damaged_snapshot_is_replaced_not_trusted(
    tmp_path: Path, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    load_engine(kb, cache=at(cache))
    (target,) = snapshots(cache)
    damage(target)  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        engine = load_engine(kb, cache=at(cache))
    assert "At least 5" in engine.answer("How many things happened?").text
    assert "ignoring engine snapshot" in caplog.text
    assert isinstance(pickle.loads(payload_of(target))[2], Engine)  # rebuilt and rewritten


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_snapshot_others_can_write_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    load_engine(kb, cache=at(cache))
    (target,) = snapshots(cache)
    target.chmod(0o666)
    calls = loads_counted(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        load_engine(kb, cache=at(cache))
    assert calls and "writable by others" in caplog.text


def test_an_unwritable_cache_only_costs_the_snapshot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kb = write_base(tmp_path / "kb")
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        engine = load_engine(kb, cache=at(blocker / "cache"))
    assert engine.answer("How many things happened?").answered
    assert "could not write an engine snapshot" in caplog.text


def test_old_snapshots_are_pruned(tmp_path: Path) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    for n in range(6, 6 + snapshot.KEEP + 2):
        set_count(kb, n)
        load_engine(kb, cache=at(cache))
    assert len(snapshots(cache)) == snapshot.KEEP
    current = snapshot_key(kb)
    assert current is not None and any(
        p.name == snapshot_name(secret_of(cache), current) for p in snapshots(cache)
    )


def test_no_cache_dir_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    kb = write_base(tmp_path / "kb")
    load_engine(kb, cache=None)
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"FACTBOT_CACHE_DIR": "off"}, None),
        ({"FACTBOT_CACHE_DIR": " OFF "}, None),
        ({"FACTBOT_CACHE_DIR": "/srv/factbot/cache"}, Path("/srv/factbot/cache")),
        ({"XDG_CACHE_HOME": "/var/cache/me"}, Path("/var/cache/me/factbot")),
        ({"HOME": "/home/ed"}, Path("/home/ed/.cache/factbot")),
    ],
)
def test_cache_dir_from_env(
    environ: dict[str, str], expected: Path | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", environ.get("HOME", "/home/ed"))
    assert cache_dir_from_env(environ) == expected


def test_a_reload_of_unchanged_files_comes_from_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = copy_real_base(tmp_path / "knowledge")
    service = FactService.load(kb, cache=at(tmp_path / "cache"))
    first = service.engine
    refuse_to_load(monkeypatch)
    result = service.reload()
    assert result.ok, result.problems
    assert service.engine is not first
    assert service.ask("how many were freed on 1 january", Origin("terminal")).answered


def test_no_home_means_no_cache_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert cache_dir_from_env({}) is None


def test_an_unreadable_source_file_does_not_stop_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor's lock file (a dangling link named like a module) is not source: skip it."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "engine.py").write_text("x = 1\n")
    (package / ".#engine.py").symlink_to(tmp_path / "nowhere")
    monkeypatch.setattr(snapshot, "_PACKAGE", package)
    snapshot._code_key.cache_clear()
    try:
        assert snapshot._code_key() is not None
        kb = write_base(tmp_path / "kb")
        assert load_engine(kb, cache=at(tmp_path / "cache")).answer("How many things happened?").answered
    finally:
        snapshot._code_key.cache_clear()


def test_without_source_to_fingerprint_there_are_no_snapshots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed without .py files, a new version could not be told from an old one: no cache."""
    monkeypatch.setattr(snapshot, "_PACKAGE", tmp_path / "empty")
    snapshot._code_key.cache_clear()
    try:
        kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
        assert load_engine(kb, cache=at(cache)).answer("How many things happened?").answered
        assert not snapshots(cache)
    finally:
        snapshot._code_key.cache_clear()


def test_a_snapshot_that_cannot_be_pickled_is_only_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise TypeError("cannot pickle '_thread.lock' object")

    monkeypatch.setattr("bot.snapshot.pickle.dumps", refuse)
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        assert load_engine(kb, cache=at(cache)).answer("How many things happened?").answered
    assert "could not write an engine snapshot" in caplog.text
    assert not list(cache.iterdir())  # no half-written temporary file left behind


# --- nothing read from the cache can run code --------------------------------------------------


class Payload:
    """What an attacker would plant: unpickling it runs code (here, it creates a marker file)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


def loads_counted(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every real load of the base: a refused snapshot means the base is loaded."""
    calls: list[object] = []
    real = knowledge_load_base

    def counted(*a: object) -> object:
        calls.append(a)
        return real(*a)  # type: ignore[arg-type]

    monkeypatch.setattr("bot.snapshot.load_base", counted)
    return calls


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_planted_pickle_never_runs_its_payload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Owned by this user, mode 600, under every name the bot could read: not one byte is unpickled."""
    kb, cache, marker = write_base(tmp_path / "kb"), tmp_path / "cache", tmp_path / "PWNED"
    load_engine(kb, cache=at(cache))  # a real snapshot and a real secret exist
    key = snapshot_key(kb)
    assert key is not None
    evil = pickle.dumps(Payload(marker))
    planted = [
        cache / f"engine-{key[:32]}.pickle",  # the name the previous version read, unsigned
        *snapshots(cache),  # the real name, holding a bare pickle
    ]
    for path in planted:
        path.write_bytes(evil)
        path.chmod(0o600)
    calls = loads_counted(monkeypatch)
    engine = load_engine(kb, cache=at(cache))
    assert not marker.exists()
    assert calls, "the planted file was refused and the base loaded"
    assert engine.answer("How many things happened?").answered


@pytest.mark.parametrize("tag", [b"\0" * 32, b"forged by a guess at the key!!!!"], ids=["zeros", "guess"])
def test_a_snapshot_with_a_forged_tag_is_never_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tag: bytes
) -> None:
    kb, cache, marker = write_base(tmp_path / "kb"), tmp_path / "cache", tmp_path / "PWNED"
    load_engine(kb, cache=at(cache))
    (target,) = snapshots(cache)
    target.write_bytes(MAGIC + tag + pickle.dumps(Payload(marker)))
    calls = loads_counted(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        load_engine(kb, cache=at(cache))
    assert not marker.exists() and calls
    assert "not signed with this installation's key" in caplog.text


def test_even_a_correctly_signed_payload_cannot_call_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """If the secret leaked, the unpickler still knows only the engine's own classes."""
    kb, cache, marker = write_base(tmp_path / "kb"), tmp_path / "cache", tmp_path / "PWNED"
    load_engine(kb, cache=at(cache))
    (target,) = snapshots(cache)
    resign(target, cache, (snapshot.FORMAT, snapshot_key(kb), Payload(marker)))
    calls = loads_counted(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        load_engine(kb, cache=at(cache))
    assert not marker.exists() and calls
    assert "builtins.exec is not part of an engine" in caplog.text


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_symlinked_snapshot_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    load_engine(kb, cache=at(cache))
    key = snapshot_key(kb)
    assert key is not None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for target in [*snapshots(cache)]:
        moved = elsewhere / target.name
        target.rename(moved)
        target.symlink_to(moved)  # a genuine snapshot, but reached through a link
        (cache / f"engine-{key[:32]}.pickle").symlink_to(moved)  # the name the previous version read
    calls = loads_counted(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        load_engine(kb, cache=at(cache))
    assert calls, "the link was not followed: the base was loaded"
    assert "symbolic link" in caplog.text


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o775, 0o777], ids=["group-writable", "world-writable"])
def test_a_cache_below_a_folder_others_can_write_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, mode: int
) -> None:
    """Whoever can write an ancestor can swap the private cache folder below it for their own."""
    kb, shared = write_base(tmp_path / "kb"), tmp_path / "shared"
    cache = shared / "me" / "cache"
    store = SnapshotCache(cache, tmp_path / "data" / KEY_FILE_NAME)
    load_engine(kb, cache=store)
    assert snapshots(cache)
    shared.chmod(mode)
    try:
        calls = loads_counted(monkeypatch)
        with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
            load_engine(kb, cache=store)
        assert calls, "the snapshot was not read"
        assert f"{shared} is writable by others" in caplog.text
    finally:
        shared.chmod(0o755)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_sticky_world_writable_ancestor_like_tmp_is_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb, shared = write_base(tmp_path / "kb"), tmp_path / "tmp-like"
    shared.mkdir()
    shared.chmod(0o1777)  # others may add entries but not rename ours
    store = SnapshotCache(shared / "me" / "cache", tmp_path / "data" / KEY_FILE_NAME)
    load_engine(kb, cache=store)
    refuse_to_load(monkeypatch)
    assert load_engine(kb, cache=store).answer("How many things happened?").answered


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_in_place_of_a_snapshot_neither_hangs_nor_is_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    load_engine(kb, cache=at(cache))
    (target,) = snapshots(cache)
    target.unlink()
    os.mkfifo(target, 0o600)
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        assert load_engine(kb, cache=at(cache)).answer("How many things happened?").answered
    assert "not a regular file" in caplog.text


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_the_secret_is_private_created_once_and_refused_when_others_can_read_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "data" / KEY_FILE_NAME
    with ThreadPoolExecutor(8) as pool:  # processes racing to create it all end up with one key
        secrets = list(pool.map(lambda _: snapshot._read_secret(key_file, create=True), range(8)))
    assert len(set(secrets)) == 1 and secrets[0] is not None and len(secrets[0]) == 32
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == [KEY_FILE_NAME]  # no temporary left
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    store = SnapshotCache(cache, key_file)
    load_engine(kb, cache=store)
    key_file.chmod(0o644)
    calls = loads_counted(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        load_engine(kb, cache=store)
    assert calls and "readable or writable by others" in caplog.text


def test_the_file_name_depends_on_the_secret(tmp_path: Path) -> None:
    """Nothing about a snapshot's name can be guessed from the knowledge files alone."""
    kb = write_base(tmp_path / "kb")
    load_engine(kb, cache=SnapshotCache(tmp_path / "cache", tmp_path / "one" / KEY_FILE_NAME))
    load_engine(kb, cache=SnapshotCache(tmp_path / "cache", tmp_path / "two" / KEY_FILE_NAME))
    names = [p.name for p in snapshots(tmp_path / "cache")]
    key = snapshot_key(kb)
    assert key is not None and len(names) == 2 and not any(key[:16] in n for n in names)


def test_numpy_arrays_load_but_no_other_numpy_callable_does() -> None:
    """An engine may hold embeddings; the unpickler rebuilds arrays and nothing else numpy offers."""
    np = pytest.importorskip("numpy")
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    restored = snapshot._EngineUnpickler(io.BytesIO(pickle.dumps(array, protocol=5))).load()
    assert (restored == array).all() and restored.dtype == array.dtype
    evil = pickle.dumps(np.load)  # a numpy function that reads files (and could unpickle them)
    with pytest.raises(pickle.UnpicklingError, match="not part of an engine"):
        snapshot._EngineUnpickler(io.BytesIO(evil)).load()
