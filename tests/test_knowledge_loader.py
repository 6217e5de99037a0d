"""Loading and validation: every kind of bad input gets a clear message naming file and line."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge import KnowledgeError, load_base
from bot.knowledge.yamlfile import MAX_FILE_BYTES
from tests.helpers import MINIMAL, write_base

MINIMAL_FACTS = MINIMAL["facts.yaml"]


def problems_of(path: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_base(path)
    return [str(p) for p in info.value.problems]


def test_minimal_base_loads(tmp_path: Path) -> None:
    base = load_base(write_base(tmp_path / "kb"))
    assert base.counts()["facts"] == 1
    assert base.questions["how-many"].cited_facts() == ["count"]


# One fixture per kind of error: (file to replace, its text, the file named, the line, words in the message)
CASES = {
    "syntax error": (
        "facts.yaml",
        "facts:\n  - id: x\n    statement: [unclosed\n",
        "facts.yaml",
        4,
        "starts on line 3",
    ),
    "bad indentation": ("facts.yaml", "facts:\n  - id: x\n   topic: main\n", "facts.yaml", 3, "syntax"),
    "wrong type": (
        "facts.yaml",
        "facts:\n  - id: c\n    topic: main\n    statement: s\n    value: v\n    amount: lots\n"
        "    sources: [{source: agency}]\n",
        "facts.yaml",
        6,
        "must be a number",
    ),
    "missing field": (
        "facts.yaml",
        "facts:\n  - id: count\n    topic: main\n    value: v\n    sources: [{source: agency}]\n",
        "facts.yaml",
        2,
        "missing required field `statement`",
    ),
    "unknown field": (
        "facts.yaml",
        "facts:\n  - id: count\n    topic: main\n    statement: s\n    vaule: at least 5\n"
        "    sources: [{source: agency}]\n",
        "facts.yaml",
        5,
        "did you mean 'value'",
    ),
    "impossible date": (
        "facts.yaml",
        "facts:\n  - id: count\n    topic: main\n    statement: s\n    value: at least 5 things\n"
        "    date: 2025-02-30\n    sources: [{source: agency}]\n",
        "facts.yaml",
        6,
        "not a real day",
    ),
    "qualifier dropped": (
        "facts.yaml",
        "facts:\n  - id: count\n    topic: main\n    statement: s\n    value: 5 things\n    amount: 5\n"
        "    qualifier: at least\n    sources: [{source: agency}]\n",
        "facts.yaml",
        2,
        "qualifier 'at least' must appear",
    ),
    "unknown source": (
        "facts.yaml",
        "facts:\n  - id: count\n    topic: main\n    statement: s\n    value: at least 5 things\n"
        "    sources: [{source: nobody}]\n",
        "facts.yaml",
        6,
        "'nobody' is not a known source id",
    ),
    "unknown fact in answer": (
        "questions.yaml",
        "questions:\n  - id: q\n    question: What?\n    answer: '{nope} happened.'\n",
        "questions.yaml",
        4,
        "'nope', which is not a known fact id",
    ),
    "answer cites nothing": (
        "questions.yaml",
        "questions:\n  - id: q\n    question: What?\n    answer: Something.\n",
        "questions.yaml",
        4,
        "cites no fact",
    ),
    "duplicate id": (
        "questions.yaml",
        "questions:\n  - id: q\n    question: What?\n    answer: '{count}'\n"
        "  - id: q\n    question: Who?\n    answer: '{count}'\n",
        "questions.yaml",
        5,
        "already used",
    ),
    "same question twice": (
        "questions.yaml",
        "questions:\n  - id: a\n    question: How many things?\n    answer: '{count}'\n"
        "  - id: b\n    question: how many THINGS\n    answer: '{count}'\n",
        "questions.yaml",
        6,
        "is also in entry 'a'",
    ),
    "empty text": (
        "questions.yaml",
        "questions:\n  - id: q\n    question: '   '\n    answer: '{count}'\n",
        "questions.yaml",
        3,
        "is empty",
    ),
    "duplicate key": (
        "questions.yaml",
        "questions:\n  - id: q\n    question: A?\n    question: B?\n    answer: '{count}'\n",
        "questions.yaml",
        4,
        "appears twice",
    ),
    "alias": (
        "questions.yaml",
        "questions:\n  - &a\n    id: q\n    question: A?\n    answer: '{count}'\n  - *a\n",
        "questions.yaml",
        None,
        "aliases",
    ),
    "bad id": (
        "questions.yaml",
        "questions:\n  - id: Bad Id\n    question: A?\n    answer: '{count}'\n",
        "questions.yaml",
        2,
        "lower-case letters, digits and hyphens",
    ),
    "not a list": ("questions.yaml", "questions:\n  id: q\n", "questions.yaml", 1, "must be a list"),
    "unknown section": ("extra.yaml", "factz:\n  - id: x\n", "extra.yaml", 1, "did you mean 'facts'"),
    "empty file": ("extra.yaml", "# nothing yet\n", "extra.yaml", None, "empty"),
    "synonym in two groups": (
        "vocab.yaml",
        "synonyms:\n  - [thing, gizmo]\n  - [widget, gizmo]\n",
        "vocab.yaml",
        3,
        "can mean only one thing",
    ),
    "synonyms the stemmer merges": (
        "vocab.yaml",
        "synonyms:\n  - [government, regime]\n  - [president, governing]\n",
        "vocab.yaml",
        3,
        "reads the same as 'government'",
    ),
    "future date": (
        "facts.yaml",
        "facts:\n  - id: count\n    topic: main\n    statement: s\n    value: at least 5 things\n"
        "    date: 2027-01-01\n    sources: [{source: agency}]\n",
        "facts.yaml",
        6,
        "after the story's as-of date",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES), ids=sorted(CASES))
def test_each_error_names_file_and_line(tmp_path: Path, case: str) -> None:
    name, text, file, line, words = CASES[case]
    root = write_base(tmp_path / "kb", **{name.replace(".yaml", "_yaml"): text})
    found = problems_of(root)
    matching = [p for p in found if words in p]
    assert matching, f"no problem mentions {words!r}: {found}"
    assert any(file in p for p in matching)
    if line is not None:
        assert any(f"{file}:{line}:" in p for p in matching), matching


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    facts = (
        "facts:\n  - id: count\n    topic: nowhere\n    statement: s\n    value: at least 5 things\n"
        "    sources: [{source: nobody}]\n"
    )
    questions = "questions:\n  - id: q\n    question: What?\n    answer: '{count} and {missing}'\n"
    found = problems_of(write_base(tmp_path / "kb", facts_yaml=facts, questions_yaml=questions))
    text = "\n".join(found)
    assert "unknown topic 'nowhere'" in text
    assert "'nobody' is not a known source id" in text
    assert "'missing', which is not a known fact id" in text


def test_not_utf8(tmp_path: Path) -> None:
    root = write_base(tmp_path / "kb")
    (root / "latin1.yaml").write_bytes("facts:\n  - id: x\n    statement: Tocor\xf3n\n".encode("latin-1"))
    found = problems_of(root)
    assert any("latin1.yaml:3:" in p and "not UTF-8" in p for p in found), found


def test_directory_without_yaml(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert any("no .yaml files" in p for p in problems_of(tmp_path / "empty"))


def test_missing_path(tmp_path: Path) -> None:
    assert any("no such file" in p for p in problems_of(tmp_path / "nope"))


def test_file_over_size_limit(tmp_path: Path) -> None:
    root = write_base(tmp_path / "kb")
    (root / "huge.yaml").write_text("# " + "x" * (MAX_FILE_BYTES + 10), encoding="utf-8")
    assert any("huge.yaml" in p and "limit" in p for p in problems_of(root))


def test_billion_laughs_refused_fast_with_bounded_memory(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    root = write_base(tmp_path / "kb")
    (root / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    tracemalloc.start()
    started = time.perf_counter()
    found = problems_of(root)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert any("bomb.yaml" in p and "aliases" in p for p in found)
    assert peak < 50 * 1024 * 1024  # 9^10 strings would need gigabytes
    assert elapsed < 10  # generous: the point is "not exponential", not a speed test


def test_deep_nesting_refused(tmp_path: Path) -> None:
    root = write_base(tmp_path / "kb")
    (root / "deep.yaml").write_text("facts: " + "[" * 200 + "]" * 200 + "\n", encoding="utf-8")
    assert any("deep.yaml" in p and "nested too deeply" in p for p in problems_of(root))


def test_check_command_reports_counts_and_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    assert main(["check", str(write_base(tmp_path / "ok"))]) == 0
    assert "1 story, 1 sources, 1 facts, 1 Q&A entries" in capsys.readouterr().out
    broken = write_base(tmp_path / "bad", facts_yaml="facts:\n  - id: [\n")
    assert main(["check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "facts.yaml:" in err and "Traceback" not in err


# --- broken answer placeholders are errors (issue 13, item 10) ---------------------------------

BROKEN_PLACEHOLDERS = {
    "{count.year}": "'.year' is not something a placeholder can show",
    "{Count}": "did you mean '{count}'",
    "{ count }": "did you mean '{count}'",
    "{count:value}": "did you mean '{count.value}'",
    "{count_x}": "did you mean '{count-x}'",
    "{count.date": "is not closed",
    "{": "a lone '{'",
}


@pytest.mark.parametrize("placeholder", sorted(BROKEN_PLACEHOLDERS), ids=sorted(BROKEN_PLACEHOLDERS))
def test_broken_placeholder_is_an_error(tmp_path: Path, placeholder: str) -> None:
    questions = (
        "questions:\n  - id: how-many\n    question: How many things happened?\n"
        f"    answer: '{{count}} happened; see {placeholder} here.'\n"
    )
    found = problems_of(write_base(tmp_path / "kb", questions_yaml=questions))
    shown = placeholder if placeholder != "{" else "'{'"
    matching = [p for p in found if shown in p and BROKEN_PLACEHOLDERS[placeholder] in p]
    assert matching, found
    assert matching[0].startswith("kb/questions.yaml:4: [how-many]"), matching  # file, line, entry


# --- one run reports schema and cross-reference problems, at the field (item 11) ----------------

ONE_RUN_FACTS = """\
facts:
  - id: count
    topic: main
    statement: At least 5 things happened.
    vaule: at least 5 things
    sources:
      - source: nobody
  - id: other
    topic: main
    statement: Six.
    value: at least 6 things
    sources:
      - source: agency
        via: [nowhere]
  - id: broken
    topic: main
    sources: [{source: agency}]
"""
ONE_RUN_QUESTIONS = """\
questions:
  - id: how-many
    question: How many things happened?
    answer: "{count} happened; {other} and {broken} too."
    facts: [missing]
"""


def test_schema_and_cross_reference_problems_in_one_run_at_the_field(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb", facts_yaml=ONE_RUN_FACTS, questions_yaml=ONE_RUN_QUESTIONS)
    found = problems_of(kb)
    text = "\n".join(found)
    assert "kb/facts.yaml:5: [count] fact: unknown field `vaule` (did you mean 'value'?)" in text
    # the entry with the misspelt field still has its references checked, at the field's line
    assert "kb/facts.yaml:7: [count] source 'nobody' is not a known source id" in text
    assert "kb/facts.yaml:14: [other] `via` 'nowhere' is not a known source id" in text
    assert "kb/facts.yaml:15: [broken] fact: missing required field `statement`" in text
    assert "kb/questions.yaml:5: [how-many] the answer refers to 'missing'" in text
    # no echo of the schema problems: 'broken' exists (with a problem), and 'count' lost its value
    # only because its `value` was misspelt
    assert "'broken', which is not a known fact id" not in text
    assert "has no `value`" not in text


def test_a_file_that_cannot_be_parsed_does_not_flood_the_report(tmp_path: Path) -> None:
    kb = write_base(tmp_path / "kb", facts_yaml="facts:\n  - id: count\n   topic: main\n")
    found = problems_of(kb)
    assert len(found) == 1 and "syntax error" in found[0], found  # not "'count' is not a known fact"


# --- invisible characters (item 12, the check part) ---------------------------------------------


def test_bidi_zero_width_and_control_characters_are_flagged(tmp_path: Path) -> None:
    facts = (
        'facts:\n  - id: count\n    topic: main\n    statement: "At least 78 things\\e[31m happened."\n'
        '    value: "at least \\u202E78\\u202C things"\n    amount: 78\n'
        "    sources: [{source: agency}]\n"
    )
    questions = (
        "questions:\n  - id: how-many\n    question: How many things happened?\n"
        '    alternates: ["How many\\u200B things?"]\n    answer: "{count} happened."\n'
    )
    found = problems_of(write_base(tmp_path / "kb", facts_yaml=facts, questions_yaml=questions))
    text = "\n".join(found)
    assert "kb/facts.yaml:5: [count] invisible characters U+202E (RIGHT-TO-LEFT OVERRIDE), U+202C" in text
    assert "kb/facts.yaml:4: [count] invisible character U+001B" in text
    assert "kb/questions.yaml:4: [how-many] invisible character U+200B (ZERO WIDTH SPACE)" in text


def test_tabs_newlines_and_no_break_spaces_are_fine(tmp_path: Path) -> None:
    facts = MINIMAL_FACTS.replace(
        "statement: At least 5 things happened.", 'statement: "At\\tleast 5\\u00a0things\\nhappened."'
    )
    assert load_base(write_base(tmp_path / "kb", facts_yaml=facts)).facts["count"]


# --- issue 14: a bad said_on date is not an id problem --------------------------------------------


def test_bad_said_on_date_is_described_as_a_date(tmp_path: Path) -> None:
    facts = MINIMAL_FACTS.replace(
        "      - source: agency\n", "      - source: agency\n        said_on: 2025-02-30\n"
    )
    found = problems_of(write_base(tmp_path / "kb", facts_yaml=facts))
    assert any("said_on" in p and "not a real day" in p for p in found), found
    assert not any("ids use lower-case" in p for p in found), found


def test_a_broken_story_does_not_make_every_topic_unknown(tmp_path: Path) -> None:
    found = problems_of(write_base(tmp_path / "kb", story_yaml="story:\n  - not a mapping\n"))
    assert len(found) == 1 and "each story must be a mapping" in found[0], found


def test_a_question_in_two_entries_is_shown_at_the_alternate(tmp_path: Path) -> None:
    questions = (
        "questions:\n  - id: how-many\n    question: How many things happened?\n"
        '    answer: "{count} happened on {count.date}."\n'
        "  - id: number\n    question: What was the number?\n    alternates:\n"
        "      - Number of things?\n      - how many things happened\n    answer: '{count}'\n"
    )
    found = problems_of(write_base(tmp_path / "kb", questions_yaml=questions))
    assert any(p.startswith("kb/questions.yaml:9: [number]") and "also in entry" in p for p in found), found


DOUBLED_QUESTIONS = """\
questions:
  - id: how-many
    question: How many things happened?
    answer: "It was at {count} in all."
  - id: what-happened
    question: What happened?
    answer: >-
      {count} things, says {count.source}.
    translations:
      es:
        answer: "Pasaron {count} cosas, dice {count.source}."
  - id: fine
    question: Did things happen?
    answer: "Yes: {count}, on {count.date}."
"""


def test_a_word_doubled_beside_a_placeholder_is_a_warning_with_file_line_and_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = write_base(tmp_path / "kb", questions_yaml=DOUBLED_QUESTIONS)
    base = load_base(kb)  # a warning: the base still loads
    found = sorted(str(w) for w in base.warnings)
    assert found == [
        "kb/questions.yaml:4: [how-many] the answer has 'at' next to {count}, whose text already starts "
        "with it: it reads “at at least 5 things” (drop one of them)",
        "kb/questions.yaml:7: [what-happened] the answer has 'things' next to {count}, whose text already "
        "ends with it: it reads “at least 5 things things” (drop one of them)",
    ], found
    assert main(["check", str(kb)]) == 0
    err = capsys.readouterr().err
    assert "2 warnings:" in err and "“at at least 5 things”" in err and "kb/questions.yaml:4:" in err


def test_a_doubled_word_in_a_translation_is_placed_at_its_line(tmp_path: Path) -> None:
    facts = MINIMAL_FACTS + "    translations:\n      es:\n        value: al menos 5 cosas\n"
    kb = write_base(tmp_path / "kb", facts_yaml=facts, questions_yaml=DOUBLED_QUESTIONS)
    spanish = [str(w) for w in load_base(kb).warnings if "es answer" in str(w)]
    assert spanish == [
        "kb/questions.yaml:11: [what-happened] the es answer has 'cosas' next to {count}, whose text "
        "already ends with it: it reads “al menos 5 cosas cosas” (drop one of them)"
    ]
