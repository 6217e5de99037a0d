"""Engine snapshots: a hit skips loading, any change is a miss, and a bad cache never breaks loading."""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import pytest

import bot.snapshot as snapshot
from bot.engine import Engine
from bot.knowledge import KnowledgeError
from bot.questionlog import Origin
from bot.service import FactService
from bot.snapshot import cache_dir_from_env, load_engine, snapshot_key
from tests.helpers import MINIMAL, copy_real_base, write_base

QUESTIONS = [
    "how many ppl got out on new years day",
    "How many did the government say it freed on Christmas?",
    "who won the 2024 election",
    "what's the weather in caracas",
]


def snapshots(cache: Path) -> list[Path]:
    return sorted(cache.glob("engine-*.pickle"))


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

    monkeypatch.setattr(snapshot, "load_base", boom)


def test_a_snapshot_answers_exactly_like_the_engine_it_was_taken_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb, cache = copy_real_base(tmp_path / "knowledge"), tmp_path / "cache"
    built = load_engine(kb, cache_dir=cache)
    assert len(snapshots(cache)) == 1
    assert (cache.stat().st_mode & 0o777) == 0o700
    refuse_to_load(monkeypatch)
    restored = load_engine(kb, cache_dir=cache)
    assert restored is not built
    for question in QUESTIONS:
        assert restored.answer(question).to_json() == built.answer(question).to_json()


def test_any_edit_is_a_miss_and_the_new_content_is_answered(tmp_path: Path) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    assert "At least 5" in load_engine(kb, cache_dir=cache).answer("How many things happened?").text
    set_count(kb, 6)
    assert "At least 6" in load_engine(kb, cache_dir=cache).answer("How many things happened?").text
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
    load_engine(kb, cache_dir=cache)
    monkeypatch.setattr(snapshot, "_code_key", lambda: "another version of factbot")
    load_engine(kb, cache_dir=cache)
    assert len(snapshots(cache)) == 2


def test_a_broken_base_raises_and_is_never_snapshotted(tmp_path: Path) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    load_engine(kb, cache_dir=cache)
    (kb / "facts.yaml").write_text("facts:\n  - id: [broken\n")
    with pytest.raises(KnowledgeError) as caught:
        load_engine(kb, cache_dir=cache)
    assert any("facts.yaml" in p.file for p in caught.value.problems)
    assert len(snapshots(cache)) == 1  # only the working base's


def test_a_save_during_the_load_never_mixes_contents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot is keyed by the bytes the loader parsed, not by a second look at the files."""
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    real = snapshot.load_base

    def load_then_save(path: Path) -> object:
        base = real(path)
        set_count(kb, 7)  # an editor saves after the loader read the files
        return base

    monkeypatch.setattr(snapshot, "load_base", load_then_save)
    assert "At least 5" in load_engine(kb, cache_dir=cache).answer("How many things happened?").text
    monkeypatch.setattr(snapshot, "load_base", real)
    assert "At least 7" in load_engine(kb, cache_dir=cache).answer("How many things happened?").text
    set_count(kb, 5)  # back to what was loaded first: its snapshot, with its figure
    refuse_to_load(monkeypatch)
    assert "At least 5" in load_engine(kb, cache_dir=cache).answer("How many things happened?").text


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
    assert "At least 7" in load_engine(kb, cache_dir=cache).answer("How many things happened?").text
    monkeypatch.setattr(snapshot, "snapshot_key", real_key)
    set_count(kb, 5)  # the content the lookup saw: no snapshot may hold the 7 for it
    assert "At least 5" in load_engine(kb, cache_dir=cache).answer("How many things happened?").text


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b"not a pickle at all"), id="garbage"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), id="truncated"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(
            lambda p: p.write_bytes(
                pickle.dumps((snapshot.FORMAT, "other key", pickle.loads(p.read_bytes())[2]))
            ),
            id="other-key",
        ),
        pytest.param(lambda p: p.write_bytes(pickle.dumps({"not": "an engine"})), id="wrong-shape"),
    ],
)
def test_a_damaged_snapshot_is_replaced_not_trusted(
    tmp_path: Path, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    load_engine(kb, cache_dir=cache)
    (target,) = snapshots(cache)
    damage(target)  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        engine = load_engine(kb, cache_dir=cache)
    assert "At least 5" in engine.answer("How many things happened?").text
    assert "ignoring engine snapshot" in caplog.text
    assert isinstance(pickle.loads(target.read_bytes())[2], Engine)  # rebuilt and rewritten


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_snapshot_others_can_write_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    load_engine(kb, cache_dir=cache)
    (target,) = snapshots(cache)
    target.chmod(0o666)
    calls: list[object] = []
    real = snapshot.load_base
    monkeypatch.setattr(snapshot, "load_base", lambda *a: calls.append(a) or real(*a))
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        load_engine(kb, cache_dir=cache)
    assert calls and "writable by others" in caplog.text


def test_an_unwritable_cache_only_costs_the_snapshot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kb = write_base(tmp_path / "kb")
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        engine = load_engine(kb, cache_dir=blocker / "cache")
    assert engine.answer("How many things happened?").answered
    assert "could not write an engine snapshot" in caplog.text


def test_old_snapshots_are_pruned(tmp_path: Path) -> None:
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    for n in range(6, 6 + snapshot.KEEP + 2):
        set_count(kb, n)
        load_engine(kb, cache_dir=cache)
    assert len(snapshots(cache)) == snapshot.KEEP
    current = snapshot_key(kb)
    assert current is not None and any(current[:32] in p.name for p in snapshots(cache))


def test_no_cache_dir_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    kb = write_base(tmp_path / "kb")
    load_engine(kb, cache_dir=None)
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
    service = FactService.load(kb, cache_dir=tmp_path / "cache")
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
        assert load_engine(kb, cache_dir=tmp_path / "cache").answer("How many things happened?").answered
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
        assert load_engine(kb, cache_dir=cache).answer("How many things happened?").answered
        assert not snapshots(cache)
    finally:
        snapshot._code_key.cache_clear()


def test_a_snapshot_that_cannot_be_pickled_is_only_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise TypeError("cannot pickle '_thread.lock' object")

    monkeypatch.setattr(snapshot.pickle, "dump", refuse)
    kb, cache = write_base(tmp_path / "kb"), tmp_path / "cache"
    with caplog.at_level(logging.WARNING, logger="bot.snapshot"):
        assert load_engine(kb, cache_dir=cache).answer("How many things happened?").answered
    assert "could not write an engine snapshot" in caplog.text
    assert not list(cache.iterdir())  # no half-written temporary file left behind
