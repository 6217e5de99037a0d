"""Settings, the rate limit, the renderer's limits and the buttons' custom_ids, without a bot."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest
from discord.ext import commands
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import clustersettings, config, questionlog
from bot.config import SETTINGS, ConfigError, Cooldown, Settings, check_token, resolve_log_salt
from bot.discord_app import render
from bot.discord_app.client import create_bot, invite_url, shard_label
from bot.discord_app.context import context_of
from bot.discord_app.throttle import Throttle
from bot.discord_app.views import (
    ASK_TEMPLATE,
    FEEDBACK_TEMPLATE,
    TIMELINE_TEMPLATE,
    AskButton,
    FeedbackButton,
    TimelineQuery,
    answer_reply,
    topic_from_token,
)
from bot.engine import Answer, Engine, Suggestion
from bot.knowledge import PartialDate
from bot.knowledge.problems import Problem
from bot.questionlog import ProcessRow
from bot.service import FactService, ReloadResult
from tests.world import FAKE_TOKEN, KNOWLEDGE, REPO

# --- settings ----------------------------------------------------------------------------------------


def test_settings_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "DISCORD_TOKEN": FAKE_TOKEN,
            "FACTBOT_DEV_GUILD_ID": "123456789012345678",
            "FACTBOT_ANSWER_CHANNEL_IDS": "111111111111111111, 222222222222222222,",
            "FACTBOT_MESSAGE_CONTENT": "yes",
            "FACTBOT_KNOWLEDGE_PATH": "kb",
            "FACTBOT_DB_PATH": "/var/lib/factbot/q.sqlite3",
            "FACTBOT_LOG_SALT": "pepper",
            "FACTBOT_RETENTION_DAYS": "forever",
            "FACTBOT_LOG_LEVEL": "debug",
            "FACTBOT_SHARDED": "true",
            "FACTBOT_SHARD_COUNT": "4",
            "FACTBOT_COOLDOWN": "3/10",
            "FACTBOT_CACHE_DIR": "/var/cache/factbot",
        },
        env_file=None,
    )
    assert s.cache_dir == Path("/var/cache/factbot")
    assert s.dev_guild_id == 123456789012345678
    assert s.answer_channel_ids == {111111111111111111, 222222222222222222}
    assert s.message_content and s.sharded and s.shard_count == 4
    assert s.knowledge_path == Path("kb") and s.db_path == Path("/var/lib/factbot/q.sqlite3")
    assert s.retention_days is None and s.log_level == "DEBUG" and s.cooldown == Cooldown(3, 10.0)
    assert s.command_hash_path == Path("/var/lib/factbot/command-tree.json")
    assert FAKE_TOKEN not in repr(s) and "pepper" not in repr(s)


def test_settings_defaults() -> None:
    s = Settings.from_env({"DISCORD_TOKEN": FAKE_TOKEN}, env_file=None)
    assert s.dev_guild_id is None and not s.answer_channel_ids and not s.message_content
    assert s.db_path == Path("data/questions.sqlite3") and s.retention_days == 90
    assert s.cooldown == Cooldown(5, 30.0) and not s.sharded and s.log_level == "INFO"
    assert (
        Settings.from_env({"DISCORD_TOKEN": FAKE_TOKEN, "FACTBOT_DB_PATH": "off"}, env_file=None).db_path
        is None
    )
    assert not Settings.from_env(
        {"FACTBOT_COOLDOWN": "off"}, env_file=None, require_token=False
    ).cooldown.enabled
    assert (
        Settings.from_env({"FACTBOT_CACHE_DIR": "off"}, env_file=None, require_token=False).cache_dir is None
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("FACTBOT_DEV_GUILD_ID", "my-server", "Copy ID"),
        ("FACTBOT_ANSWER_CHANNEL_IDS", "123456789012345678,general", "'general'"),
        ("FACTBOT_MESSAGE_CONTENT", "maybe", "true or false"),
        ("FACTBOT_RETENTION_DAYS", "0", "forever"),
        ("FACTBOT_LOG_LEVEL", "LOUD", "DEBUG"),
        ("FACTBOT_SHARD_COUNT", "2", "FACTBOT_SHARDED"),
        ("FACTBOT_COOLDOWN", "5 per minute", "5/30"),
    ],
)
def test_malformed_settings_name_the_variable_and_what_is_expected(
    name: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"DISCORD_TOKEN": FAKE_TOKEN, name: value}, env_file=None)
    assert info.value.variable == name
    assert str(info.value).startswith(f"{name}: ") and expected in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("FACTBOT_RETENTION_DAYS", "1000000", "from 1 to 36500"),
        ("FACTBOT_RETENTION_DAYS", "9" * 5000, "from 1 to 36500"),
        ("FACTBOT_WATCH_SECONDS", "1e20", "from 1 to 86400"),
        ("FACTBOT_WATCH_SECONDS", "nan", "from 1 to 86400"),
        ("FACTBOT_DEV_GUILD_ID", "99999999999999999999", "Discord id"),  # 20 digits, beyond 64 bits
        ("FACTBOT_DEV_GUILD_ID", "123456789012345678901", "Discord id"),  # 21 digits
        ("FACTBOT_DEV_GUILD_ID", "１２３４５６７８９０１２３４５６７８", "Discord id"),  # full-width digits
        ("FACTBOT_ANSWER_CHANNEL_IDS", "123456789012345678,18446744073709551616", "Discord id"),
        ("FACTBOT_COOLDOWN", "5/99999999", "at most 1000 questions per 86400 s"),
        ("FACTBOT_COOLDOWN", "100000/30", "at most 1000 questions"),
    ],
)
def test_out_of_range_settings_are_refused_at_start_up(name: str, value: str, expected: str) -> None:
    """Values that passed before and failed later: logging off, a dead watcher, ids Discord refuses."""
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"DISCORD_TOKEN": FAKE_TOKEN, name: value}, env_file=None)
    assert info.value.variable == name and expected in str(info.value)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


@pytest.mark.parametrize("count", ["1001", "1000000000000000000000", "0"])
def test_an_oversized_shard_count_is_refused(count: str) -> None:
    with pytest.raises(ConfigError, match="FACTBOT_SHARD_COUNT: expected a number of shards from 1 to 1000"):
        Settings.from_env(
            {"DISCORD_TOKEN": FAKE_TOKEN, "FACTBOT_SHARDED": "true", "FACTBOT_SHARD_COUNT": count},
            env_file=None,
        )


def test_the_largest_values_that_make_sense_are_accepted() -> None:
    s = Settings.from_env(
        {
            "DISCORD_TOKEN": FAKE_TOKEN,
            "FACTBOT_RETENTION_DAYS": "36500",
            "FACTBOT_WATCH_SECONDS": "86400",
            "FACTBOT_DEV_GUILD_ID": str(2**63 - 1),
            "FACTBOT_SHARDED": "true",
            "FACTBOT_SHARD_COUNT": "1000",
        },
        env_file=None,
    )
    assert (s.retention_days, s.watch_seconds, s.dev_guild_id, s.shard_count) == (
        36500,
        86400,
        2**63 - 1,
        1000,
    )


def test_the_defaults_match_the_question_log() -> None:
    """config.py does not import the question log, so the two copies of these are checked here."""
    assert config.DEFAULT_DB_PATH == questionlog.DEFAULT_DB_PATH
    assert config.MAX_RETENTION_DAYS == questionlog.MAX_RETENTION_DAYS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0-3", (0, 1, 2, 3)),
        ("0,2,5", (0, 2, 5)),
        (" 5, 0 ,2 ", (0, 2, 5)),
        ("0,2,2", (0, 2)),
        ("0-1,1-2", (0, 1, 2)),
        ("7", (7,)),
        ("999-999", (999,)),
    ],
)
def test_shard_ids_are_a_range_or_a_list(value: str, expected: tuple[int, ...]) -> None:
    s = Settings.from_env(
        {"FACTBOT_SHARD_COUNT": "1000", "FACTBOT_SHARD_IDS": value}, env_file=None, require_token=False
    )
    assert s.shard_ids == expected and s.sharded, "a slice of the shards implies sharding"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FACTBOT_SHARD_IDS": "0-3"}, "needs FACTBOT_SHARD_COUNT"),
        ({"FACTBOT_SHARDED": "true", "FACTBOT_SHARD_IDS": "0-3"}, "needs FACTBOT_SHARD_COUNT"),
        ({"FACTBOT_SHARD_COUNT": "8", "FACTBOT_SHARD_IDS": "3-0"}, "expected shard ids such as 0-3"),
        ({"FACTBOT_SHARD_COUNT": "8", "FACTBOT_SHARD_IDS": "0-1000"}, "0 to 999"),
        ({"FACTBOT_SHARD_COUNT": "8", "FACTBOT_SHARD_IDS": "a-b"}, "'a-b'"),
        ({"FACTBOT_SHARD_COUNT": "8", "FACTBOT_SHARD_IDS": "0,,1"}, "0 to 999"),
        (
            {"FACTBOT_SHARDED": "true", "FACTBOT_SHARD_COUNT": "4", "FACTBOT_SHARD_IDS": "2-4"},
            "shard 4 is not below FACTBOT_SHARD_COUNT=4",
        ),
    ],
)
def test_bad_shard_ids_are_one_line(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env, env_file=None, require_token=False)
    assert info.value.variable == "FACTBOT_SHARD_IDS" and expected in str(info.value), str(info.value)
    assert "\n" not in str(info.value)


def test_a_bad_shard_count_is_named_before_the_shard_ids() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(
            {"FACTBOT_SHARD_COUNT": "0", "FACTBOT_SHARD_IDS": "0-1"}, env_file=None, require_token=False
        )
    assert info.value.variable == "FACTBOT_SHARD_COUNT", str(info.value)


def test_config_imports_neither_the_question_log_nor_the_snapshot_cache() -> None:
    """The builders live in bot/app.py; config.py takes only the leaf parsers of bot/clustersettings.py."""
    code = (
        "import sys\n"
        "import bot.config\n"
        "names = ('bot.questionlog', 'bot.snapshot', 'psycopg')\n"
        "print(sorted(m for m in sys.modules if m.startswith(names)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_the_shard_limits_agree() -> None:
    """The shard ids' parser (bot/clustersettings.py) and the shard count share one limit."""
    assert config.MAX_SHARDS == clustersettings.MAX_SHARD_ID + 1 == 1000


@pytest.mark.parametrize(
    "url",
    [
        "data/questions.sqlite3",
        "/var/lib/factbot/q.sqlite3",
        "postgresql://factbot:s3cret@db.internal:5432/factbot",
        "postgresql:///factbot?password=s3cret",  # no host: libpq's local socket
        "postgres://localhost/factbot",
    ],
)
def test_a_database_url_is_a_sqlite_path_or_a_postgresql_url(url: str) -> None:
    s = Settings.from_env(
        {"FACTBOT_DATABASE_URL": url, "FACTBOT_LOG_SALT": "salt"}, env_file=None, require_token=False
    )
    assert s.database_url == url
    assert "s3cret" not in repr(s), "a password in the URL stays out of reprs and logs"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root:hunter2@db/factbot", "not a mysql:// URL"),
        ("sqlite:////var/lib/factbot/q.sqlite3?key=hunter2", "not a sqlite:// URL"),
        ("postgresql+psycopg://factbot:hunter2@localhost/factbot", "not a postgresql+psycopg:// URL"),
    ],
)
def test_a_bad_database_url_is_one_line_without_the_password(url: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"FACTBOT_DATABASE_URL": url}, env_file=None, require_token=False)
    message = str(info.value)
    assert info.value.variable == "FACTBOT_DATABASE_URL" and expected in message, message
    assert "expected postgresql://" in message and "a SQLite file path" in message, message
    assert "hunter2" not in message and "\n" not in message


def test_the_token_is_a_secret() -> None:
    s = Settings.from_env({"DISCORD_TOKEN": FAKE_TOKEN}, env_file=None)
    assert s.token.get_secret_value() == FAKE_TOKEN
    assert FAKE_TOKEN not in repr(s) and FAKE_TOKEN not in str(s) and FAKE_TOKEN not in s.model_dump_json()


def test_a_misspelt_setting_gets_a_did_you_mean() -> None:
    s = Settings.from_env(
        {"DISCORD_TOKEN": FAKE_TOKEN, "FACTBOT_RETENTON_DAYS": "30", "FACTBOT_WHATEVER": "1"}, env_file=None
    )
    assert s.retention_days == 90  # ignored, as before, but no longer silently
    ignored = "is not a factbot setting and is ignored"
    assert s.notices == (
        f"FACTBOT_RETENTON_DAYS {ignored} (did you mean FACTBOT_RETENTION_DAYS?)",
        f"FACTBOT_WHATEVER {ignored} (see .env.example for the settings)",
    )
    assert set(s.notices) <= set(s.warnings())  # logged at start-up by `run`


def test_a_setting_in_lower_case_is_read_and_not_warned_about() -> None:
    """pydantic-settings matches names case-insensitively; the misspelling warning agrees with it."""
    s = Settings.from_env({"factbot_log_level": "debug"}, env_file=None, require_token=False)
    assert s.log_level == "DEBUG" and s.notices == ()


def test_every_documented_setting_is_known() -> None:
    documented = set(re.findall(r"^(?:# )?([A-Z][A-Z_]+)=", (REPO / ".env.example").read_text(), re.M))
    assert documented == set(SETTINGS)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("DISCORD_TOKEN=x\n".encode("utf-16-le"), "NUL bytes"),  # UTF-16 without a byte-order mark
        ("DISCORD_TOKEN=x\n".encode("utf-16"), "UTF-16"),
        (b"FACTBOT_LOG_SALT=\xff\xfe\n", "not UTF-8"),
    ],
)
def test_a_dot_env_that_is_not_utf8_is_one_config_error(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        Settings.from_env({}, env_file=env_file, require_token=False)
    assert (
        info.value.variable == str(env_file) and expected in str(info.value) and "\n" not in str(info.value)
    )


@pytest.mark.parametrize(
    "token", ["", "Bot " + FAKE_TOKEN, '"' + FAKE_TOKEN + '"', "short.token.x", "a" * 70]
)
def test_bad_tokens_are_explained_without_echoing_them(token: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_token(token)
    message = str(info.value)
    assert message.startswith("DISCORD_TOKEN: ") and "Reset Token" in message and "\n" not in message
    if token:
        assert token not in message


def test_dotenv_fills_in_but_never_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"DISCORD_TOKEN={FAKE_TOKEN}\nFACTBOT_LOG_LEVEL=ERROR\nFACTBOT_COOLDOWN=2/5\n")
    s = Settings.from_env({"FACTBOT_LOG_LEVEL": "WARNING"}, env_file=env_file)
    assert (s.token.get_secret_value(), s.log_level, s.cooldown) == (FAKE_TOKEN, "WARNING", Cooldown(2, 5.0))

    for name in [n for n in os.environ if n.startswith("FACTBOT_") or n == "DISCORD_TOKEN"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FACTBOT_LOG_LEVEL", "DEBUG")
    s = Settings.from_env(env_file=env_file)  # the real path: pydantic-settings reads os.environ, then .env
    assert (s.token.get_secret_value(), s.log_level) == (FAKE_TOKEN, "DEBUG")
    assert "DISCORD_TOKEN" not in os.environ, "reading .env changes nothing global"


def test_a_missing_salt_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    s = Settings(db_path=tmp_path / "db" / "q.sqlite3")
    salt = resolve_log_salt(s)
    assert len(salt) == 64 and resolve_log_salt(s) == salt
    assert (tmp_path / "db" / "questions.salt").stat().st_mode & 0o777 == 0o600
    assert resolve_log_salt(Settings(log_salt="given")) == "given"


def test_answer_channels_without_the_content_intent_warn() -> None:
    assert Settings(answer_channel_ids=frozenset({1})).warnings()
    assert not Settings(answer_channel_ids=frozenset({1}), message_content=True).warnings()


# --- throttle ----------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_allows_rate_per_window_and_notifies_once() -> None:
    clock = Clock()
    throttle = Throttle(Cooldown(2, 10.0), clock)
    alice, bob = discord.Object(1), discord.Object(2)
    verdicts = [throttle.hit(alice) for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, False, False, False]
    assert [v.notify for v in verdicts] == [False, False, True, False, False]
    assert throttle.hit(bob).allowed, "per user"
    clock.now += 10
    assert throttle.hit(alice).allowed
    assert throttle.hit(alice).allowed
    assert throttle.hit(alice).notify, "a new window may notify again"


def test_throttle_off() -> None:
    throttle = Throttle(Cooldown(0, 0.0))
    assert all(throttle.hit(discord.Object(1)).allowed for _ in range(1000))


# --- renderer limits -----------------------------------------------------------------------------------

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=9000)


@settings(max_examples=60, deadline=None)
@given(
    title=text,
    description=text,
    fields=st.lists(st.tuples(text, text), max_size=40),
    footer=text,
    author=text,
)
def test_fit_embed_always_fits(
    title: str, description: str, fields: list[tuple[str, str]], footer: str, author: str
) -> None:
    embed = discord.Embed(title=title, description=description)
    for name, value in fields:
        embed.add_field(name=name, value=value)
    embed.set_footer(text=footer)
    embed.set_author(name=author)

    render.fit_embed(embed)

    assert len(embed) <= render.EMBED_TOTAL_LIMIT and len(embed.fields) <= 25
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert all(len(f.name or "") <= 256 and 0 < len(f.value or "") <= 1024 for f in embed.fields)


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(st.text(max_size=300), max_size=200), limit=st.integers(min_value=40, max_value=4096))
def test_join_within_respects_the_limit(lines: list[str], limit: int) -> None:
    joined = render.join_within(lines, limit)
    assert len(joined) <= limit
    # a line longer than the limit is cut with an ellipsis; lines that do not fit are counted
    if len("\n".join(render.truncate(line, limit) for line in lines)) > limit:
        assert "more" in joined.splitlines()[-1]


@given(st.text(max_size=500))
def test_escaped_user_text_cannot_ping_or_format(raw: str) -> None:
    out = render.escape_user_text(raw, 256)
    assert len(out) <= 256 and "\n" not in out
    assert "@everyone" not in out and "@here" not in out


def test_escape_examples() -> None:
    assert render.escape_user_text("**bold** <@&123456789012345678> @everyone") == (
        "\\*\\*bold\\*\\* <@\u200b&123456789012345678> @\u200beveryone"
    )


def test_autocomplete_choices_are_capped(shared_engine: Engine) -> None:
    long = [(f"id{i}", f"{i}: {'Why ' * 40}?") for i in range(40)]
    choices = render.autocomplete_choices(long)
    assert len(choices) == 25 and all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)


def test_reload_report_lists_problems_within_limits() -> None:
    problems = [Problem(f"kb/file{i}.yaml", i, f"entry-{i}", "x" * 150) for i in range(300)]
    content, embeds = render.reload_report(ReloadResult(False, "Reload refused: 300 problems.", problems))
    assert content.startswith("❌") and len(content) <= 2000
    (embed,) = embeds
    assert embed.title == "300 problems in the knowledge base"
    assert len(embed.description or "") <= 4096 and "more (run `python -m bot check`" in (
        embed.description or ""
    )
    assert "kb/file0.yaml:0: \\[entry-0\\]" in (embed.description or "") or "kb/file0.yaml:0: [entry-0]" in (
        embed.description or ""
    )


# --- custom ids ---------------------------------------------------------------------------------------

LONGEST_ID = "a" + "-b" * 39 + "c"  # 80 characters, the schema's maximum


def test_custom_ids_fit_for_the_longest_ids() -> None:
    assert len(LONGEST_ID) == 80
    for item in (
        AskButton(LONGEST_ID, "q" * 500),
        FeedbackButton(True, LONGEST_ID),
        FeedbackButton(False, LONGEST_ID),
    ):
        assert len(item.custom_id) <= 100 and len(item.item.label or "") <= 80
    query = TimelineQuery(PartialDate(2025, 12, 25), PartialDate(2026, 1, 1), LONGEST_ID)
    custom_id = query.custom_id(999)
    assert len(custom_id) <= 100
    match = re.match(TIMELINE_TEMPLATE, custom_id)
    assert match is not None and re.match(ASK_TEMPLATE, f"factbot:ask:{LONGEST_ID}")
    assert re.match(FEEDBACK_TEMPLATE, f"factbot:fb:0:{LONGEST_ID}")


def test_a_hashed_topic_token_resolves_back(shared_engine: Engine) -> None:
    base = shared_engine.base
    topic = next(iter(base.topics()))
    assert topic_from_token(base, TimelineQuery(topic=topic).custom_id(0).rsplit(":", 1)[1]) == topic
    long_topic = LONGEST_ID
    token = TimelineQuery(topic=long_topic).custom_id(0).rsplit(":", 1)[1]
    assert token.startswith("~") and topic_from_token(base, token) == token  # unknown: kept, matches nothing


def test_knowledge_fixture_path_exists() -> None:
    assert (KNOWLEDGE / "venezuela-2026").is_dir()


# --- answer replies ------------------------------------------------------------------------------------


def test_a_decline_with_suggestions_offers_them_and_points_to_timeline(shared_engine: Engine) -> None:
    qa = shared_engine.base.questions["jan1-how-many"]
    declined = Answer(
        question="how many cats?",
        answered=False,
        text="I can't answer that from my sources.\nDid you mean: " + qa.question + "?",
        confidence=0.3,
        suggestions=(Suggestion(qa.id, qa.question, 0.35),),
    )

    reply = answer_reply(declined, shared_engine.base, asked="how many cats?")

    embed = reply.embed
    assert "Did you mean:" not in (embed.description or "") and "/timeline" in (embed.description or "")
    assert [f.name for f in embed.fields] == ["Did you mean"]
    assert reply.view is not None
    assert [c.custom_id for c in reply.view.children] == [f"factbot:ask:{qa.id}"]  # type: ignore[attr-defined]


def test_an_answer_echoes_the_asked_wording_only_when_it_differs(shared_engine: Engine) -> None:
    qa = shared_engine.base.questions["jan1-how-many"]
    answer = shared_engine.answer_entry(qa.id)
    assert answer is not None
    assert answer_reply(answer, shared_engine.base, asked=qa.question.upper()).embed.author.name is None
    assert answer_reply(answer, shared_engine.base, asked="how many freed?").embed.author.name == (
        "Asked: how many freed?"
    )


def test_a_decline_does_not_repeat_its_title_as_its_first_sentence(shared_engine: Engine) -> None:
    for language in ("en", "es"):
        declined = shared_engine.answer("what is the weather in caracas", language=language)
        assert not declined.answered
        embed = render.answer_embed(declined, shared_engine.base)
        title, description = embed.title or "", embed.description or ""
        assert title and not description.casefold().startswith(title.casefold()), (title, description)
        assert declined.body.startswith(title)  # the terminal's one paragraph keeps its opening
        assert description.splitlines()[0] in declined.body  # what follows is still said


def test_figures_lists_amounts_not_names_places_or_a_date_twice(shared_engine: Engine) -> None:
    def figures(entry: str) -> list[str]:
        answer = shared_engine.answer_entry(entry)
        assert answer is not None
        field = [
            f.value for f in render.answer_embed(answer, shared_engine.base).fields if f.name == "Figures"
        ]
        return (field[0] or "").splitlines() if field else []

    assert figures("jan1-how-many") == ["**at least 87 people** — 1 January 2026"]  # not the prison
    assert figures("protest-deaths") == ["**28 people** — 2024"]  # not "July 2024 — July 2024"
    assert figures("election-official-winner") == []  # a name and a date: nothing to list


def test_the_asked_line_never_shows_a_raw_mention(shared_engine: Engine) -> None:
    qa = shared_engine.base.questions["jan1-how-many"]
    answer = shared_engine.answer_entry(qa.id)
    assert answer is not None
    for asked in ("<@123456789012345678> how many freed?", "how many <@!123456789012345678> freed?"):
        name = answer_reply(answer, shared_engine.base, asked=asked).embed.author.name or ""
        assert "<@" not in name and "123456789012345678" not in name, name
        assert name.startswith("Asked: how many") and name.endswith("freed?")
    assert answer_reply(answer, shared_engine.base, asked="<@123456789012345678>").embed.author.name is None


def test_starting_the_bot_logs_no_voice_warnings(
    shared_engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """discord.py warns at every start that PyNaCl and davey are missing: the bot has no voice."""
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)  # as in a fresh process
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.WARNING, logger="discord"):
        create_bot(Settings(token=FAKE_TOKEN), FactService(shared_engine))
        logging.getLogger("discord.client").warning("something else")  # other warnings still pass
    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "voice will NOT be supported" in m], messages
    assert "something else" in messages


def test_the_package_licence_is_an_spdx_expression() -> None:
    """A TOML table makes setuptools print its "project.license as a TOML table is deprecated" banner
    at every install; a string needs setuptools 77 or later (PEP 639)."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "MIT"
    (requirement,) = [r for r in pyproject["build-system"]["requires"] if r.startswith("setuptools")]
    minimum = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", requirement)
    assert minimum is not None and int(minimum.group(1)) >= 77, requirement


def test_invite_url_asks_for_commands_and_the_needed_permissions() -> None:
    url = invite_url(123)
    assert "client_id=123" in url and "scope=bot+applications.commands" in url
    assert "permissions=274877991936" in url


# --- cluster settings (issue 15) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "ids"), [("0-3", (0, 1, 2, 3)), ("0,2", (0, 2)), (" 2 , 0-1 ", (0, 1, 2)), ("5", (5,))]
)
def test_shard_ids_are_a_slice_of_the_shard_count(
    raw: str, ids: tuple[int, ...], shared_engine: Engine
) -> None:
    s = Settings.from_env(
        {"DISCORD_TOKEN": FAKE_TOKEN, "FACTBOT_SHARD_IDS": raw, "FACTBOT_SHARD_COUNT": "8"}, env_file=None
    )
    assert s.shard_ids == ids and s.sharded and s.shard_count == 8
    assert s.syncs_commands is (0 in ids)
    bot = create_bot(s, FactService(shared_engine, KNOWLEDGE), sync_on_start=True)
    assert isinstance(bot, commands.AutoShardedBot) and bot.shard_ids == list(ids)
    assert context_of(bot).sync_on_start is (0 in ids)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FACTBOT_SHARD_IDS": "0-1"}, "FACTBOT_SHARD_IDS: needs FACTBOT_SHARD_COUNT"),
        ({"FACTBOT_SHARD_IDS": "2-4", "FACTBOT_SHARD_COUNT": "4"}, "shard 4 is not below"),
        ({"FACTBOT_SHARD_IDS": "3-1", "FACTBOT_SHARD_COUNT": "4"}, "expected shard ids such as 0-3"),
        ({"FACTBOT_SHARD_IDS": "one", "FACTBOT_SHARD_COUNT": "4"}, "expected shard ids such as 0-3"),
        ({"FACTBOT_DATABASE_URL": "mysql://u:secret@h/db"}, "expected postgresql://"),
        ({"FACTBOT_DATABASE_URL": "postgresql://u:secret@h/db"}, "FACTBOT_LOG_SALT: must be set"),
    ],
)
def test_bad_cluster_settings_are_one_line_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        Settings.from_env({"DISCORD_TOKEN": FAKE_TOKEN, **env}, env_file=None)
    assert "secret" not in str(raised.value), "a URL's password is never repeated"


def test_the_database_is_the_url_else_the_sqlite_path(tmp_path: Path) -> None:
    pg = Settings.from_env(
        {
            "DISCORD_TOKEN": FAKE_TOKEN,
            "FACTBOT_DATABASE_URL": "postgresql://bot:secret@db.example:5432/factbot",
            "FACTBOT_LOG_SALT": "s",
        },
        env_file=None,
    )
    assert pg.database == "postgresql://bot:secret@db.example:5432/factbot"
    assert "secret" not in repr(pg)
    path = Settings.from_env(
        {"DISCORD_TOKEN": FAKE_TOKEN, "FACTBOT_DATABASE_URL": str(tmp_path / "q.sqlite3")}, env_file=None
    )
    assert path.database == tmp_path / "q.sqlite3"
    # With no FACTBOT_DATABASE_URL nothing changes: FACTBOT_DB_PATH, as before.
    plain = Settings.from_env({"DISCORD_TOKEN": FAKE_TOKEN, "FACTBOT_DB_PATH": "x/q.sqlite3"}, env_file=None)
    assert plain.database == Path("x/q.sqlite3") and plain.shard_ids is None and plain.syncs_commands


def test_stats_lists_the_processes_by_version_and_warns_when_they_differ() -> None:
    seen = datetime(2026, 1, 1, tzinfo=UTC)
    a = ProcessRow("host-a:1:aa", "3f9a61c0b2de", False, "0-1", seen)
    b = ProcessRow("host-b:2:bb", "3f9a61c0b2de", False, "2-3", seen)
    same = render.processes_text([a, b], this_process=a.name)
    assert same.splitlines()[0] == "2 processes, all on version 3f9a61c0b2de"
    assert "host-a:1:aa, shards 0-1, this one" in same
    c = ProcessRow("host-c:3:cc", "0123456789ab", True, "4-5", seen)
    differ = render.processes_text([a, b, c])
    assert differ.splitlines()[0] == "⚠️ 3 processes on 2 versions:"
    assert differ.splitlines()[1].startswith("**3f9a61c0b2de**: host-a")
    assert "host-c:3:cc, shards 4-5, its files do not validate" in differ.splitlines()[2]


@pytest.mark.parametrize(
    ("ids", "label"), [((0,), "0"), ((0, 1, 2, 3), "0-3"), ((0, 2), "0,2"), ((5, 0, 1), "0-1,5")]
)
def test_shard_labels_read_as_the_setting_is_written(ids: tuple[int, ...], label: str) -> None:
    assert shard_label(ids) == label
