"""Discord front end speed: N /ask interactions through simcord (discord.py's real code path, no network).

Two figures:
* sequential: one /ask after another through simcord's actor (`member.slash`), each settled before
  the next: the per-interaction cost of the whole path (gateway parse, command tree, engine, render,
  HTTP payload, question log);
* concurrent: all N INTERACTION_CREATE events dispatched before the bot handles the first, then
  settled together (simcord refuses overlapping actor verbs, so they are emitted one layer down).

Run by hand (not a test):  .venv/bin/python benchmarks/bench_discord.py [--n 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import simcord
from simcord import interactions as sc_interactions
from simcord.results import InteractionResult

from bot.config import Cooldown, Settings
from bot.discord_app import create_bot
from bot.questionlog import QuestionLog, read_stats
from bot.service import FactService

QUESTIONS = (
    "How many political prisoners were released on 1 January?",
    "¿cuántos presos políticos fueron liberados el 1 de enero?",
    "Which prison were the 87 released from?",
    "how many ppl got out on new years day",
    "What is the weather in Caracas?",
)
TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789"


def emit_ask(env: Any, guild: Any, channel: Any, user_id: int, question: str) -> InteractionResult:
    """Dispatch one /ask without waiting for the bot (the payload simcord's actor would emit)."""
    root = env.backend.find_command("ask", guild.id, type=1)
    data = {
        "id": root["id"],
        "name": "ask",
        "type": 1,
        "options": [{"name": "question", "type": 3, "value": question}],
    }
    record, payload = sc_interactions.base_payload(
        env.backend, type=2, channel_id=channel.id, guild_id=guild.id, user_id=user_id, data=data
    )
    env.backend.emit("INTERACTION_CREATE", payload)
    return InteractionResult(env, record)


async def bench(n: int, workdir: Path) -> None:
    """Run both measurements and print the figures."""
    settings = Settings(
        token=TOKEN,
        db_path=workdir / "questions.sqlite3",
        log_salt="bench",
        cooldown=Cooldown(0, 0.0),  # measuring throughput, not the rate limit
    )
    qlog = QuestionLog(workdir / "questions.sqlite3", salt="bench")
    qlog.open()
    service = FactService.load(None, qlog)
    bot = create_bot(settings, service)
    try:
        async with simcord.run(bot) as env:
            guild = env.create_guild("Bench")
            channel = guild.create_text_channel("general")
            members = [guild.add_member(env.create_user(f"reader{i}")) for i in range(10)]
            for q in QUESTIONS:  # warm-up: first-call costs out of the way
                await members[0].slash(channel, "ask", question=q)

            latencies = []
            started = time.perf_counter()
            for i in range(n):
                t0 = time.perf_counter()
                result = await members[i % 10].slash(channel, "ask", question=QUESTIONS[i % len(QUESTIONS)])
                latencies.append(time.perf_counter() - t0)
                assert result.acknowledged
            sequential = time.perf_counter() - started

            started = time.perf_counter()
            results = [
                emit_ask(env, guild, channel, members[i % 10].id, QUESTIONS[i % len(QUESTIONS)])
                for i in range(n)
            ]
            await env.settle(timeout=120)
            concurrent = time.perf_counter() - started
            answered = sum(1 for r in results if r.acknowledged and r.response is not None)
    finally:
        qlog.close()
    logged = read_stats(workdir / "questions.sqlite3").total

    latencies.sort()
    median_ms = statistics.median(latencies) * 1000
    p95_ms = latencies[max(int(0.95 * n) - 1, 0)] * 1000
    print(f"{n} /ask interactions through simcord {simcord.__version__} (discord.py's real code path)")
    print(
        f"  sequential : {sequential:6.2f} s total, {n / sequential:7.0f}/s, "
        f"median {median_ms:.2f} ms, p95 {p95_ms:.2f} ms per interaction"
    )
    print(f"  concurrent : {concurrent:6.2f} s total, {n / concurrent:7.0f}/s, answered {answered}/{n}")
    print(f"  question log: {logged} rows (expected {2 * n + len(QUESTIONS)})")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=500, help="interactions per measurement (default 500)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bench(args.n, Path(tmp)))


if __name__ == "__main__":
    main()
