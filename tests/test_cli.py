"""The command line as people and scripts use it: real processes, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

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


def test_help_lists_every_subcommand() -> None:
    out = run("--help").stdout
    for command in ("check", "ask", "chat", "timeline", "misses", "run", "sync"):
        assert command in out
    assert "Example" in run("timeline", "--help").stdout or "Examples" in run("timeline", "--help").stdout


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
