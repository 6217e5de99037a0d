"""Engine speed: per-question latency and load+index time, on the real base and on a generated
base of 10,000 Q&A entries (50,000 phrasings), against plain rapidfuzz.process.extractOne(WRatio).

Load + index is measured cold (parse, validate, index), and as a restart takes it: the extra cost
of writing the engine snapshot after a cold load, and a start from that snapshot (bot.snapshot).

Run by hand (not a test):  .venv/bin/python benchmarks/bench_engine.py [--entries 10000]
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.engine import Engine
from bot.knowledge import load_base
from bot.snapshot import KEY_FILE_NAME, SnapshotCache, load_engine

SYLLABLES = (
    "ba be bi bo bu ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru "
    "sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu dor mar tel quin"
)
STEMS = SYLLABLES.split()
OPENERS = ["How many", "When did", "Who", "Where did", "Why did", "What"]


def word(rng: random.Random) -> str:
    return "".join(rng.choice(STEMS) for _ in range(rng.randint(2, 4)))


def generate(root: Path, entries: int, seed: int = 7) -> list[str]:
    """Write a synthetic base; return sample questions (perturbed phrasings) to ask it."""
    rng = random.Random(seed)
    vocab = sorted({word(rng) for _ in range(6000)})  # sorted: the same base on every run
    root.mkdir(parents=True, exist_ok=True)
    (root / "story.yaml").write_text(
        "story:\n  id: synthetic\n  title: Synthetic\n  summary: Generated for benchmarks.\n"
        "  as_of: 2026-01-01\n  topics:\n    - id: main\n      label: Main\n"
        "sources:\n  - id: agency\n    name: Agency\n    kind: news_agency\n    published: 2026-01-01\n",
        encoding="utf-8",
    )
    questions: list[str] = []
    per_file = 1000
    for start in range(0, entries, per_file):
        facts, qas = ["facts:"], ["questions:"]
        for i in range(start, min(start + per_file, entries)):
            topic = rng.sample(vocab, 4)
            amount = rng.randint(2, 99999)
            facts.append(
                f"  - id: f{i}\n    topic: main\n    statement: {' '.join(topic)} reached {amount}.\n"
                f"    value: more than {amount}\n    amount: {amount}\n    qualifier: more than\n"
                f"    date: 2025-{rng.randint(1, 12):02d}\n    sources: [{{source: agency}}]"
            )
            phrasings = [
                f"{rng.choice(OPENERS)} {' '.join(rng.sample(topic, 3))} {word(rng)} {i}?" for _ in range(5)
            ]
            alts = "\n".join(f"      - {p}" for p in phrasings[1:])
            qas.append(
                f"  - id: q{i}\n    question: {phrasings[0]}\n    alternates:\n{alts}\n"
                f"    answer: '{{f{i}}} on {{f{i}.date}}.'"
            )
            if rng.random() < 0.02:
                q = phrasings[rng.randint(0, 4)].replace("?", "").lower()
                chars = list(q)
                j = rng.randrange(len(chars))
                chars[j] = rng.choice("abcdefghijklmnopqrstuvwxyz")  # a typo
                questions.append("".join(chars))
        (root / f"part-{start // per_file:03d}.yaml").write_text(
            "\n".join(facts + qas) + "\n", encoding="utf-8"
        )
    questions += [f"what is the {word(rng)} of {word(rng)}" for _ in range(50)]  # out of scope
    return questions


def percentiles(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=100)
    return qs[49], qs[94]


def timed(fn: Callable[[str], object], questions: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - t) * 1000)
    return out


def bench(label: str, path: Path | None, questions: list[str], rounds: int, cache: Path) -> None:
    gc.collect()
    t = time.perf_counter()
    base = load_base(path)
    loaded = time.perf_counter() - t
    engine = Engine(base)
    built = time.perf_counter() - t
    # a restart with the same files: the first load writes the snapshot, the second reads it
    snapshots = SnapshotCache(cache, cache.parent / KEY_FILE_NAME)
    t = time.perf_counter()
    load_engine(path, cache=snapshots)
    first = time.perf_counter() - t
    gc.collect()
    t = time.perf_counter()
    load_engine(path, cache=snapshots)
    warm = time.perf_counter() - t
    # memory in a separate pass: tracemalloc slows everything it watches
    gc.collect()
    tracemalloc.start()
    Engine(load_base(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    phrasings = [p for qa in base.questions.values() for p in qa.phrasings()]
    engine.answer("warm up")
    ours = timed(engine.answer, questions, rounds)
    plain = timed(lambda q: process.extractOne(q, phrasings, scorer=fuzz.WRatio), questions, rounds)
    p50, p95 = percentiles(ours)
    b50, b95 = percentiles(plain)
    print(
        f"| {label} | {len(base.questions):,} / {len(phrasings):,} | {p50:.3f} | {p95:.3f} | "
        f"{b50:.3f} | {b95:.3f} | {b95 / p95:.1f}× | {loaded:.2f} + {built - loaded:.2f} s | "
        f"{first:.2f} s | {warm:.2f} s | {peak / 1048576:.0f} MiB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    real_questions = [q for qa in load_base().questions.values() for q in qa.phrasings()]
    rng = random.Random(3)
    real_questions = [q.lower().replace("?", "") for q in real_questions] + [
        "how mnay ppl died in the protests",
        "what's the weather in caracas",
        "tell me a joke",
        "how many prisoners were released in cuba last year",
        "cuantos presos liberaron en navidad",
    ]
    rng.shuffle(real_questions)
    print(
        "| base | entries / phrasings | p50 ms | p95 ms | WRatio p50 ms | WRatio p95 ms | "
        "p95 WRatio/ours | load + index (cold) | first start, writing the snapshot | from snapshot | "
        "peak alloc (load+index) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        bench("real", None, real_questions, args.rounds, Path(tmp) / "cache-real")
        questions = generate(Path(tmp) / "kb", args.entries)
        bench(f"generated {args.entries:,}", Path(tmp) / "kb", questions, 1, Path(tmp) / "cache")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmax RSS of the whole run: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
