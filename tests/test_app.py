"""The composition root: what `bot.app` builds from the settings, and what it leaves alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot.app import App, snapshot_cache
from bot.config import Settings
from bot.questionlog import Origin, read_stats
from tests.world import KNOWLEDGE


def test_the_app_builds_the_log_the_cache_and_the_service(tmp_path: Path) -> None:
    settings = Settings(
        knowledge_path=KNOWLEDGE,
        db_path=tmp_path / "data" / "questions.sqlite3",
        log_salt="test-salt",
        cache_dir=tmp_path / "cache",
    )
    with App.start(settings) as app:
        assert app.questions is not None and app.questions.healthy
        assert app.cache is not None and app.cache.key_file == tmp_path / "data" / "snapshot.key"
        service = app.service()
        assert service.questions is app.questions and service.cache is app.cache
        assert service.ask("How many were released on 1 January?", Origin("terminal")).answered
    # leaving the app flushed and closed the log: the question is on disk
    assert read_stats(tmp_path / "data" / "questions.sqlite3").total == 1


def test_off_means_no_log_and_no_cache() -> None:
    settings = Settings(db_path=None, cache_dir=None)
    app = App.start(settings)
    assert app.questions is None and app.cache is None and snapshot_cache(settings) is None
    app.close()  # nothing to close: no error


def test_a_chat_on_a_broken_base_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "kb"
    broken.mkdir()
    (broken / "story.yaml").write_text("story: [unclosed\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FACTBOT_DB_PATH", str(tmp_path / "data" / "questions.sqlite3"))
    monkeypatch.setenv("FACTBOT_CACHE_DIR", "off")

    assert cli.main(["chat", "--knowledge", str(broken)]) == 1
    assert "story.yaml:" in capsys.readouterr().err
    assert not (tmp_path / "data").exists(), "the log is opened only once the engine has loaded"
