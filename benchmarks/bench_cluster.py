"""The question log shared by two processes: PostgreSQL beside SQLite, in one run.

Two processes each ask N/2 questions (default N = 2,000) into ONE database: a PostgreSQL server
(a throwaway one, started as tests/postgres.py starts it but with fsync on, as in production; or
`--url`) and one SQLite file (WAL, synchronous=NORMAL, as the bot opens it). Two loads:

* burst: every question recorded as fast as the process can, then `close()`: throughput is questions
  committed per second, from the first record to the last commit in either process;
* paced: `--rate` questions a second per process, the load of a busy bot: the log-write latency
  is how long a question waits from `record_question` to its commit (p50, p95, max).

Each child records the time of every commit by wrapping the writer's batch write (a private method:
this is a measurement, not an API). Run by hand (not a test):

    .venv/bin/python benchmarks/bench_cluster.py [--n 2000] [--rate 250] [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from anywhere: `bot` and `tests` are the checkout's


def child(database: str, name: str, n: int, rate: float, start_at: float) -> None:
    """One process: record `n` questions (at `rate` a second, 0: as fast as possible), print JSON."""
    from bot.questionlog import Origin, QuestionLog
    from bot.questionlog import writer as writer_module

    sent: dict[str, float] = {}
    waits: list[float] = []
    committed_at = [0.0]
    original = writer_module.QuestionLog._write_batch

    def timed(self: Any, conn: Any, batch: Any) -> None:
        original(self, conn, batch)
        now = time.time()
        committed_at[0] = now
        for item in batch:
            question = getattr(item, "question", None)
            if question in sent and getattr(item, "outcome", None) is not None:
                waits.append(now - sent[question])

    writer_module.QuestionLog._write_batch = timed  # type: ignore[method-assign]
    log = QuestionLog(database, salt="bench", retention_days=None)
    assert log.open(timeout=30), log.last_error
    while time.time() < start_at:  # both processes start together
        time.sleep(0.001)
    began = time.time()
    for i in range(n):
        if rate:
            due = began + i / rate
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
        question = f"{name} question {i}: how many were freed in Cuba?"
        sent[question] = time.time()
        log.record_question(
            question,
            Origin("discord", guild_id=1, channel_id=2, user_id=i % 50),
            outcome="declined",
            confidence=0.2,
            best_entry=None,
            best_question=None,
        )
    log.close(timeout=60)
    print(json.dumps({"began": began, "done": committed_at[0], "waits": waits, "lost": log.not_logged}))


def run_pair(database: str, n: int, rate: float) -> dict[str, float]:
    """Two children into one database; their combined figures."""
    start_at = time.time() + 2.0  # time for both to import and connect
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", database, name, str(n // 2), str(rate), str(start_at)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for name in ("alpha", "beta")
    ]
    results = [json.loads(proc.communicate(timeout=600)[0]) for proc in procs]
    waits = sorted(w for r in results for w in r["waits"])
    began = min(r["began"] for r in results)
    done = max(r["done"] for r in results)
    return {
        "committed": len(waits),
        "lost": sum(r["lost"] for r in results),
        "per_second": len(waits) / (done - began),
        "p50_ms": statistics.median(waits) * 1000,
        "p95_ms": waits[int(len(waits) * 0.95) - 1] * 1000,
        "max_ms": waits[-1] * 1000,
    }


def main() -> None:
    """Both databases, both loads, one table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="questions in all, half from each process")
    parser.add_argument("--rate", type=float, default=250.0, help="paced load: questions/s per process")
    parser.add_argument("--url", help="an existing PostgreSQL database (default: start a throwaway server)")
    args = parser.parse_args()

    from tests.postgres import PostgresServer

    server = None
    url = args.url
    if url is None:
        server = PostgresServer(durable=True)
        server.start()
    try:
        rows = []
        for load, rate in (("burst", 0.0), (f"paced {args.rate:g}/s per process", args.rate)):
            with tempfile.TemporaryDirectory() as tmp:
                targets = {
                    "SQLite (one file, WAL)": str(Path(tmp) / "questions.sqlite3"),
                    "PostgreSQL 15": url or (server.create_database() if server else ""),
                }
                for label, database in targets.items():
                    rows.append((label, load, run_pair(database, args.n, rate)))
        print(f"{args.n} questions from 2 processes into one database; {os.cpu_count()} cores")
        print("| database | load | committed | lost | questions/s | p50 ms | p95 ms | max ms |")
        print("|---|---|---|---|---|---|---|---|")
        for label, load, r in rows:
            print(
                f"| {label} | {load} | {r['committed']:.0f} | {r['lost']:.0f} | {r['per_second']:,.0f} |"
                f" {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} |"
            )
    finally:
        if server is not None:
            server.cleanup()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
    else:
        main()
