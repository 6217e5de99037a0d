"""Finding and reading the knowledge files: nothing skipped without a word, sizes capped before
and during parsing, a save seen whole, and a watcher that sees every edit."""

from __future__ import annotations

import builtins
import io
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.knowledge import KnowledgeError, load_base
from bot.knowledge.yamlfile import MAX_FILE_BYTES
from bot.service import FactService, knowledge_fingerprint
from bot.snapshot import SnapshotCache, load_engine
from tests.helpers import MINIMAL, REPO, write_base


def problems_of(path: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_base(path)
    return [str(p) for p in info.value.problems]


# --- files that cannot be read are reported (issue 13, item 9) ---------------------------------


def test_linked_story_folder_is_loaded(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "story"
    elsewhere.mkdir(parents=True)
    kb = write_base(tmp_path / "kb", facts_yaml=None, questions_yaml=None)
    (elsewhere / "facts.yaml").write_text(MINIMAL["facts.yaml"], encoding="utf-8")
    (elsewhere / "questions.yaml").write_text(MINIMAL["questions.yaml"], encoding="utf-8")
    (kb / "story").symlink_to(elsewhere, target_is_directory=True)
    base = load_base(kb)
    assert base.counts()["facts"] == 1 and base.counts()["questions"] == 1
    assert "kb/story/facts.yaml" in base.files  # named as the editor sees it, not where it points


def test_unreadable_folder_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = write_base(tmp_path / "kb", facts_yaml=None)
    (kb / "story").mkdir()
    (kb / "story" / "facts.yaml").write_text(MINIMAL["facts.yaml"], encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        # tests run as root here, where chmod 000 does not stop reading: refuse it by hand
        if Path(path).name == "story":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = problems_of(kb)
    assert any("kb/story:" in p and "cannot read the folder" in p and "Permission denied" in p for p in found)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_for_real(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    (kb / "story").mkdir()
    (kb / "story" / "more.yaml").write_text("synonyms:\n  - [a, b]\n", encoding="utf-8")
    (kb / "story").chmod(0)
    try:
        assert any("cannot read the folder" in p for p in problems_of(kb))
    finally:
        (kb / "story").chmod(0o755)


def test_symlink_loops_are_errors(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    (kb / "story").mkdir()
    (kb / "story" / "back").symlink_to(kb, target_is_directory=True)  # a folder leading back up
    (kb / "self.yaml").symlink_to("self.yaml")  # a link to itself: ELOOP
    (kb / "ping").symlink_to("pong")
    (kb / "pong").symlink_to("ping")  # a loop under a name that is not a .yaml file
    found = problems_of(kb)
    assert any("kb/story/back:" in p and "symlink loop" in p for p in found), found
    assert any("kb/self.yaml:" in p and "symlink loop" in p for p in found), found
    assert any("kb/ping:" in p and "symlink loop" in p for p in found), found


def test_same_folder_twice_is_an_error(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb", facts_yaml=None)
    (kb / "a").mkdir()
    (kb / "a" / "facts.yaml").write_text(MINIMAL["facts.yaml"], encoding="utf-8")
    (kb / "b").symlink_to(kb / "a", target_is_directory=True)
    found = problems_of(kb)
    assert any("kb/b:" in p and "the same folder as kb/a" in p for p in found), found


def test_dangling_yaml_link_is_an_error(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    (kb / "extra.yaml").symlink_to(tmp_path / "gone.yaml")
    (kb / "notes.txt").symlink_to(tmp_path / "gone.txt")  # not a knowledge file: not reported
    found = problems_of(kb)
    assert any("kb/extra.yaml:" in p and "does not exist" in p for p in found), found
    assert not any("notes.txt" in p for p in found)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_an_error(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    os.mkfifo(kb / "pipe.yaml")
    started = time.perf_counter()
    found = problems_of(kb)
    assert time.perf_counter() - started < 10  # never blocks waiting for a writer
    assert any("kb/pipe.yaml:" in p and "not a regular file" in p for p in found), found


def test_editor_lock_file_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = write_base(tmp_path / "kb")
    (kb / ".#facts.yaml").symlink_to("editor@host.4242:1767225600")  # how Emacs writes its locks
    base = load_base(kb)
    assert base.counts()["facts"] == 1
    assert [w.file for w in base.warnings] == ["kb/.#facts.yaml"]
    assert "lock file" in base.warnings[0].message
    assert main(["check", str(kb)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("OK:")
    assert "1 warning:" in captured.err and ".#facts.yaml" in captured.err


NEW_QUESTION = """
  - id: gizmos
    question: How many gizmos were handed out?
    answer: "{count} were handed out."
"""


def test_watcher_keeps_working_beside_a_lock_file_or_a_broken_link(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    service = FactService.load(kb)
    (kb / ".#questions.yaml").symlink_to("editor@host.4242:1767225600")
    questions = kb / "questions.yaml"
    questions.write_text(MINIMAL["questions.yaml"] + NEW_QUESTION, encoding="utf-8")
    result = service.reload_if_changed()
    assert result is not None and result.ok, result
    assert service.engine.base.questions["gizmos"]

    (kb / "old.yaml").symlink_to(tmp_path / "gone.yaml")  # broken: the reload is refused ...
    result = service.reload_if_changed()
    assert result is not None and not result.ok
    assert any("does not exist" in p.message for p in result.problems)
    assert service.reload_if_changed() is None  # ... once, not on every tick
    (kb / "old.yaml").unlink()  # fixed: the watcher sees it and loads the base again
    result = service.reload_if_changed()
    assert result is not None and result.ok, result


# --- size caps before and during parsing (item 13) -----------------------------------------------


def test_sparse_giant_file_is_never_read(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    with open(kb / "huge.yaml", "wb") as f:
        f.truncate(1_500_000_000)  # sparse: 1.5 GB that costs no disk
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(KnowledgeError) as info:
            load_engine(
                kb, cache=SnapshotCache(tmp_path / "cache", tmp_path / "data" / "snapshot.key")
            )  # the cache on, as by default
        fingerprint = knowledge_fingerprint(kb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 10
    assert peak < 20 * 1024 * 1024, f"{peak / 1048576:.0f} MiB"
    assert any("huge.yaml" in str(p) and "the limit is 8 MiB" in str(p) for p in info.value.problems)
    assert any("huge.yaml" in part for entry in fingerprint for part in entry)


def test_total_size_is_capped(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    size = MAX_FILE_BYTES - 1024
    count = 16 * 1024 * 1024 // size + 1  # each under the file cap; together over the 16 MiB total
    for i in range(count):
        with open(kb / f"big-{i}.yaml", "wb") as f:
            f.truncate(size)
    started = time.perf_counter()
    found = problems_of(kb)
    assert time.perf_counter() - started < 10
    assert any("add up to" in p and "16 MiB in all" in p for p in found), found


def test_a_file_that_grows_after_it_was_measured_is_cut_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.knowledge import files

    kb = write_base(tmp_path / "kb")
    real_scan = files.scan

    def scan_then_grow(root: Path) -> files.Scan:
        found = real_scan(root)
        os.truncate(kb / "facts.yaml", MAX_FILE_BYTES + 10)  # grows between the scan and the read
        return found

    monkeypatch.setattr(files, "scan", scan_then_grow)
    found = problems_of(kb)
    assert any("kb/facts.yaml:" in p and "the limit is 8 MiB" in p for p in found), found


NODE_BOMB = "[" + "0," * 2_500_000 + "0]\n"  # 5 MB, under the file cap: 2.5 million nodes


def test_node_limit_is_enforced_while_the_tree_is_built(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    (kb / "bomb.yaml").write_text("facts: " + NODE_BOMB, encoding="utf-8")
    # in a child process, to measure its own peak memory (tracemalloc would slow libyaml tenfold)
    code = (
        "import resource, sys, time\n"
        "from bot.knowledge import KnowledgeError, load_base\n"
        "started = time.perf_counter()\n"
        "try:\n"
        "    load_base(sys.argv[1])\n"
        "except KnowledgeError as exc:\n"
        "    print(exc.report())\n"
        "print('seconds', time.perf_counter() - started)\n"
        "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(kb)], capture_output=True, text=True, cwd=REPO, timeout=60
    ).stdout
    assert "bomb.yaml" in out and "YAML nodes" in out, out
    values = dict(line.split() for line in out.splitlines() if line.startswith(("seconds", "maxrss")))
    assert float(values["seconds"]) < 10, values  # refused at the limit, not after the whole tree
    # KiB. Building all 2.5 million nodes took 1.0-1.5 GB before the limit; refused at the limit it
    # peaks near 200 MB, and once, on a loaded CI machine, near 600 MB (not reproduced): the bound
    # sits between the two behaviours, not at the usual figure.
    assert int(values["maxrss"]) < 800 * 1024, values
    assert "more than 500,000 YAML nodes" in out


def test_node_limit_across_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.knowledge import loader

    kb = write_base(tmp_path / "kb")
    monkeypatch.setattr(loader, "MAX_TOTAL_NODES", 60)  # the minimal base has about 50
    (kb / "vocabulary.yaml").write_text("synonyms:\n" + "  - [a, b, c]\n" * 10, encoding="utf-8")
    found = problems_of(kb)
    assert any("too many YAML nodes in all" in p for p in found), found


def test_a_file_of_broken_entries_gets_a_bounded_report(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    (kb / "bad.yaml").write_text("facts:\n" + "  - {vaule: 1}\n" * 20_000, encoding="utf-8")
    started = time.perf_counter()
    found = problems_of(kb)
    assert time.perf_counter() - started < 10
    assert len(found) <= 250, len(found)  # not 100,000 (five per entry)
    assert any("more than 200 problems in this file" in p for p in found)


# --- a save of several files is seen whole (item 14) ---------------------------------------------

SAVED_FACTS = MINIMAL["facts.yaml"].replace("5 things", "7 things").replace("amount: 5", "amount: 7")
SAVED_QUESTIONS = MINIMAL["questions.yaml"].replace('"{count} happened', '"Now {count} happened')


def _save_during_first_read(kb: Path) -> Callable[..., Any]:
    """An `open` that, right after facts.yaml is opened the first time, saves new versions of
    facts.yaml and questions.yaml the way editors do (write aside, rename over): the handle
    already open still reads the old facts, and questions.yaml is read after the save."""
    real_open = io.open
    saved = False

    def open_(file: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal saved
        handle = real_open(file, *args, **kwargs)
        if not saved and str(file).endswith("facts.yaml") and "b" in (args[0] if args else "r"):
            saved = True
            for name, text in (("facts.yaml", SAVED_FACTS), ("questions.yaml", SAVED_QUESTIONS)):
                (kb / f".{name}.new").write_text(text, encoding="utf-8")
                os.replace(kb / f".{name}.new", kb / name)
        return handle

    return open_


def test_a_multi_file_save_during_a_load_is_seen_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = write_base(tmp_path / "kb")
    opener = _save_during_first_read(kb)
    monkeypatch.setattr(io, "open", opener)
    monkeypatch.setattr(builtins, "open", opener)
    base = load_base(kb)
    monkeypatch.undo()
    # never "Now at least 5 things": the new wording with the old figure was never on disk
    assert base.questions["how-many"].answer.startswith("Now {count}")
    assert base.facts["count"].value == "at least 7 things"


def test_a_base_that_never_stops_changing_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.knowledge import files

    kb = write_base(tmp_path / "kb")
    real = files.read_once
    calls = 0

    def changing(root: Path) -> files.Reading:
        nonlocal calls
        calls += 1
        reading = real(root)
        reading.files[0] = files.FileText(reading.files[0].display, b"# %d\n" % calls, "x")
        return reading

    monkeypatch.setattr(files, "read_once", changing)
    monkeypatch.setattr(files, "SETTLE_SECONDS", 0)
    found = problems_of(kb)
    assert any("kept changing while they were read" in p for p in found), found


# --- the watcher sees edits that keep size and modification time (item 15) ----------------------


def test_watcher_sees_an_edit_that_keeps_size_and_mtime(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb")
    service = FactService.load(kb)
    facts = kb / "facts.yaml"
    before = facts.stat()
    facts.write_text(
        MINIMAL["facts.yaml"].replace("5 things", "6 things").replace("amount: 5", "amount: 6"),
        encoding="utf-8",
    )
    os.utime(facts, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = facts.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    result = service.reload_if_changed()
    assert result is not None and result.ok
    assert service.engine.base.facts["count"].value == "at least 6 things"
    assert service.reload_if_changed() is None
