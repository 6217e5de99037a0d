"""The command line as people and scripts use it: real processes, real output."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot import cli
from bot.engine import Engine
from bot.questionlog import Origin, QuestionLog
from tests.helpers import REPO


def run(*args: str, stdin: str | None = None, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **env_vars}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def subcommands() -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_help_lists_every_subcommand() -> None:
    out = run("--help").stdout
    names = subcommands()
    assert {"check", "ask", "check-claims", "chat", "timeline", "misses", "calibrate", "run", "sync"} <= set(
        names
    )
    for command in names:
        assert command in out


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_subcommand_has_a_handler_and_an_example(command: str) -> None:
    parser = subcommands()[command]
    assert callable(parser.get_default("func")), "dispatched with set_defaults(func=...)"
    text = parser.format_help()
    assert "Example" in text and f"python -m bot {command}" in text, text


def test_ask_does_not_import_discord() -> None:
    """`ask` and the other terminal commands never pay the ~0.3 s discord.py costs to import."""
    code = (
        "import sys\n"
        "from bot import cli\n"
        "status = cli.main(['ask', 'how many ppl got out on new years day'])\n"
        "sys.stdout.flush()\n"
        "print('discord' in sys.modules, sorted(m for m in sys.modules if m.startswith('bot.discord_app')))\n"
        "raise SystemExit(status)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr
    answer, _, modules = done.stdout.rstrip("\n").rpartition("\n")
    assert "87" in answer, "it did answer"
    assert modules == "False []", modules


def test_ask_json_from_standard_input_one_line_per_question() -> None:
    questions = [
        "How many political prisoners were released on January 1?",
        "",
        "tell me a joke",
        "¿cuántos murieron?",
    ]
    result = run("ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(questions)
    first = lines[0]
    assert first["answered"] and "87" in first["text"] and first["citations"][0]["source"]
    assert set(first) >= {"answered", "text", "citations", "confidence", "entry", "suggestions"}
    assert not lines[1]["answered"] and not lines[2]["answered"]


def test_ask_one_question_prints_text() -> None:
    result = run("ask", "how many died in the protests")
    assert result.returncode == 0
    assert "28 people" in result.stdout and "Source" in result.stdout


def test_timeline_json_and_bad_dates() -> None:
    result = run("timeline", "--from", "2025-12", "--json")
    events = json.loads(result.stdout)
    assert events and all(e["date"] >= "2025-12" for e in events)
    bad = run("timeline", "--from", "2025-13")
    assert bad.returncode == 1 and "Bad date" in bad.stdout and "Traceback" not in bad.stderr
    short = run("timeline", "--budget", "120")
    assert len(short.stdout.rstrip("\n")) <= 120


def test_check_reports_counts() -> None:
    result = run("check")
    assert result.returncode == 0 and result.stdout.startswith("OK: 1 story")


def test_chat_answers_and_runs_commands(tmp_path: Path) -> None:
    env_db = tmp_path / "q.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO), "FACTBOT_DB_PATH": str(env_db), "FACTBOT_LOG_SALT": "t"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="how many died in the protests\n/timeline 2013\n/quit\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "28 people" in result.stdout and "2013 — Maduro" in result.stdout


def test_the_same_question_gets_the_same_answer_in_every_process() -> None:
    """String hashing is randomised per process; no score may depend on a set's order."""
    items = yaml.safe_load((REPO / "tests" / "data" / "heldout2_questions.yaml").read_text(encoding="utf-8"))
    questions = "\n".join(item["q"] for item in items) + "\n"
    outputs = [
        run("ask", "--json", stdin=questions, PYTHONHASHSEED=seed, FACTBOT_CACHE_DIR="off").stdout
        for seed in ("1", "2")
    ]
    assert outputs[0].count("\n") == questions.count("\n")
    assert outputs[0] == outputs[1]


# --- SIGTERM: nothing answered is lost ------------------------------------------------------------


def _spawn(args: list[str], tmp_path: Path, **env_vars: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "FACTBOT_LOG_SALT": "t", **env_vars}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )


def _answered(proc: subprocess.Popen[str], questions: list[str], marker: str) -> list[str]:
    """Send the questions (stdin stays open) and read until each has its answer line."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("".join(q + "\n" for q in questions))
    proc.stdin.flush()
    lines: list[str] = []
    while sum(line.startswith(marker) for line in lines) < len(questions):
        line = proc.stdout.readline()
        assert line, f"output ended early: {lines!r}"
        lines.append(line)
    return lines


QUESTIONS = ["how many died in the protests", "what's the weather in caracas", "who won in 2024"]


def test_chat_flushes_the_question_log_on_sigterm_right_after_an_answer(tmp_path: Path) -> None:
    """SIGTERM (`kill`, `docker stop`) the moment the last answer is printed: every row is on disk."""
    trials = [1, 1, 30]  # questions per trial; all trials run at once, each its own log
    dbs = [tmp_path / f"t{n}" / "questions.sqlite3" for n in range(len(trials))]
    procs = [_spawn(["chat"], tmp_path, FACTBOT_DB_PATH=str(db)) for db in dbs]
    try:
        for proc, count in zip(procs, trials, strict=True):
            _answered(proc, [QUESTIONS[i % len(QUESTIONS)] for i in range(count)], "bot> ")
            proc.send_signal(signal.SIGTERM)
        results = [proc.communicate(timeout=30) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
    for proc, (_, err), db, count in zip(procs, results, dbs, trials, strict=True):
        assert proc.returncode == 128 + signal.SIGTERM, err
        assert "Traceback" not in err
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == count


def test_streaming_ask_ends_cleanly_on_sigterm_with_every_answer_printed(tmp_path: Path) -> None:
    proc = _spawn(["ask", "--json"], tmp_path)
    try:
        lines = _answered(proc, QUESTIONS * 10, "{")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err
    answers = [json.loads(line) for line in lines + out.splitlines() if line.strip()]
    assert len(answers) == 30 and answers[0]["answered"]


# --- every command reads the configured log ----------------------------------------------------


def _log_with(path: Path, *questions: str) -> Path:
    qlog = QuestionLog(path, salt="s")
    for question in questions:
        qlog.record_question(
            question,
            Origin("terminal"),
            outcome="declined",
            confidence=0.1,
            best_entry=None,
            best_question=None,
        )
    qlog.close()
    return path


def test_misses_reads_the_log_named_by_the_environment(tmp_path: Path) -> None:
    db = _log_with(tmp_path / "elsewhere" / "log.sqlite3", "how many pandas live in caracas")
    result = run("misses", "--format", "json", FACTBOT_DB_PATH=str(db))
    assert result.returncode == 0, result.stderr
    assert [g["representative"] for g in json.loads(result.stdout)] == ["how many pandas live in caracas"]


def test_misses_reads_the_log_named_in_dot_env(tmp_path: Path) -> None:
    _log_with(tmp_path / "custom" / "q.sqlite3", "is the moon made of cheese")
    (tmp_path / ".env").write_text("FACTBOT_DB_PATH=custom/q.sqlite3\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "FACTBOT_DB_PATH"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "misses"],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "is the moon made of cheese" in result.stdout


# --- settings ----------------------------------------------------------------------------------


UTF16_ENV = "FACTBOT_RETENTION_DAYS=30\n".encode("utf-16")


def test_a_utf16_dot_env_is_one_line_for_chat(tmp_path: Path) -> None:
    """The case found: chat would not start, with a traceback. A real process, a real file."""
    (tmp_path / ".env").write_bytes(UTF16_ENV)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == "factbot: .env: is saved as UTF-16; save it as UTF-8 (plain text)\n"


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run `cli.main` in tmp_path with no FACTBOT_* variables from outside; the environment is put
    back afterwards (in case a command sets one)."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("FACTBOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.setenv("FACTBOT_CACHE_DIR", "off")
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    os.environ.update(saved)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(UTF16_ENV, "is saved as UTF-16", id="utf-16"),
        pytest.param(b"FACTBOT_DB_PATH=caf\xe9.sqlite3\n", "is not UTF-8 text (byte 20", id="latin-1"),
        pytest.param(None, "is a directory", id="a-directory"),
    ],
)
@pytest.mark.parametrize(
    "command", [["chat"], ["ask", "hello"], ["misses"], ["timeline"], ["check"], ["run"]]
)
def test_an_unreadable_dot_env_is_one_line(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, expected: str, command: list[str]
) -> None:
    env_file = in_tmp / ".env"
    if content is None:
        env_file.mkdir()
    else:
        env_file.write_bytes(content)
    assert cli.main(command) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert expected in err and err.startswith("factbot: ")


def test_misses_on_a_directory_or_with_the_log_off_fails_clearly(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = in_tmp / "a-folder"
    folder.mkdir()
    assert cli.main(["misses", "--db", str(folder)]) == 1
    monkeypatch.setenv("FACTBOT_DB_PATH", str(folder))
    assert cli.main(["misses"]) == 1
    message = f"Cannot read the question log {folder}: it is a directory, not a database file."
    assert capsys.readouterr().err.splitlines() == [message, message]
    monkeypatch.setenv("FACTBOT_DB_PATH", "off")
    assert cli.main(["misses", "--format", "json"]) == 1
    assert "question log is off" in capsys.readouterr().err


def test_a_utf8_byte_order_mark_is_fine(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / ".env").write_bytes(b"\xef\xbb\xbfFACTBOT_RETENTION_DAYS=0\n")  # read, hence refused
    assert cli.main(["chat"]) == 2
    assert capsys.readouterr().err.startswith("factbot: FACTBOT_RETENTION_DAYS: expected a number of days")


def test_a_misspelt_setting_is_warned_about_with_the_right_name(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTBOT_RETENTON_DAYS", "30")
    (in_tmp / ".env").write_text("FACTBOT_DBPATH=q.sqlite3\n", encoding="utf-8")
    assert cli.main(["misses"]) == 0
    err = capsys.readouterr().err
    assert (
        "FACTBOT_RETENTON_DAYS is not a factbot setting and is ignored (did you mean FACTBOT_RETENTION_DAYS?)"
        in err
    )
    assert "FACTBOT_DBPATH is not a factbot setting and is ignored (did you mean FACTBOT_DB_PATH?)" in err


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FACTBOT_RETENTION_DAYS", "1000000"),
        ("FACTBOT_WATCH_SECONDS", "1e20"),
        ("FACTBOT_DEV_GUILD_ID", "99999999999999999999"),
        ("FACTBOT_ANSWER_CHANNEL_IDS", "123456789012345678,99999999999999999999"),
        ("FACTBOT_COOLDOWN", "5/99999999"),
    ],
)
def test_an_out_of_range_setting_is_refused_at_start_in_one_line(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert cli.main(["chat"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"factbot: {name}: expected") and len(err.strip().splitlines()) == 1, err


# --- one line instead of a traceback -----------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", [["check"], ["ask", "how many died"]])
def test_a_full_disk_on_stdout_is_one_line(command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "bot", *command],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            cwd=REPO,
            timeout=120,
        )
    assert result.returncode == 1
    # one line for it (a command's own warnings may come before), and no second complaint at exit
    assert result.stderr.splitlines()[-1] == "factbot: cannot write the output: No space left on device"
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--threshold", "-50"], "--threshold: must be from 0 to 100, not -50"),
        (["--threshold", "nan"], "--threshold: must be from 0 to 100, not nan"),
        (["--since", "9999999999999d"], "--since: '9999999999999d' reaches back before the year 1"),
        (["--since", "99999999999999999999999999d"], "reaches back before the year 1"),
    ],
)
def test_bad_misses_arguments_are_one_line(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["misses", *args])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert expected in err


def test_an_undecodable_byte_in_chat_is_logged_with_a_replacement_character(tmp_path: Path) -> None:
    """Before, a \\xff read by chat (a surrogate once decoded) switched the log off for good."""
    db = tmp_path / "q.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input=b"how many died\xff in the protests\nwho won in 2024\n/quit\n",
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "FACTBOT_DB_PATH": str(db), "FACTBOT_LOG_SALT": "t"},
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0 and b"question log" not in result.stderr, result.stderr
    with sqlite3.connect(db) as conn:
        rows = [r[0] for r in conn.execute("SELECT question FROM questions ORDER BY id")]
    assert rows == ["how many died\ufffd in the protests", "who won in 2024"]


# --- what a newcomer notices ---------------------------------------------------------------------


def test_no_subcommand_prints_the_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m bot") and "chat" in err and "timeline" in err


def test_timeline_says_that_from_is_after_to(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for extra in ([], ["--json"], ["--format", "timelinejs"]):
        assert cli.main(["timeline", "--from", "2026", "--to", "2025", *extra]) == 1
        out, err = capsys.readouterr()
        assert "Bad dates: from (2026) is after to (2025)." in out + err, extra
    assert cli.main(["timeline", "--from", "2025-12", "--to", "2025-12"]) == 0  # one month: fine


class _Terminal(io.StringIO):
    """Standard input as a terminal: a person typing."""

    def isatty(self) -> bool:
        return True


def test_ask_on_a_terminal_says_it_reads_standard_input(
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    shared_engine: Engine,
) -> None:
    monkeypatch.setattr(cli, "_engine", lambda settings: shared_engine)
    monkeypatch.setenv("FACTBOT_DB_PATH", "off")
    monkeypatch.setattr(sys, "stdin", _Terminal("how many died in the protests\n"))
    assert cli.main(["ask"]) == 0
    out, err = capsys.readouterr()
    assert err == cli.READING_STDIN + "\n" and "standard input" in err
    assert "28 people" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("how many died in the protests\n"))  # a pipe: quiet
    assert cli.main(["ask"]) == 0
    assert capsys.readouterr().err == ""
