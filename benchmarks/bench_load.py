"""Cold start against a bare parse: `check` (load and validate) and load + index, each divided by
a plain `yaml.load(text, Loader=yaml.CSafeLoader)` of the same files, measured side by side.

The generated base is bench_engine.py's (10,000 Q&A entries, 50,000 phrasings, 5.4 MB in 11
files). Each round runs the three measurements one after another, in a rotating order, after a
full garbage collection; the table gives the median of the rounds and the ratios of the medians,
of wall time and, on a second row, of the process's CPU time (steadier when other work shares the
machine: a busy neighbour stretches wall time, not the CPU time a sample needs).
Issue targets: load + index <= 3x the bare parse, check <= 2x.

Run by hand (not a test):  .venv/bin/python benchmarks/bench_load.py [--entries 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from bench_engine import generate

from bot.engine import Engine
from bot.knowledge import DEFAULT_PATH, load_base
from bot.knowledge.files import scan


def run_job(job: str, root: Path) -> dict[str, float]:
    """One sample, timed in this process: the imports are done, the heap holds nothing else.
    Each figure twice: wall seconds under its name, CPU seconds under its name + " cpu"."""
    if job == "bare":  # what the issue compares against: read each file, one plain parse
        files = [f.path for f in scan(root).files]
        t, c = time.perf_counter(), time.process_time()
        for f in files:
            yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        return {"bare": time.perf_counter() - t, "bare cpu": time.process_time() - c}
    t, c = time.perf_counter(), time.process_time()
    base = load_base(root)
    loaded, loaded_cpu = time.perf_counter() - t, time.process_time() - c
    if job == "check":
        return {"check": loaded, "check cpu": loaded_cpu}
    Engine(base)
    return {
        "load+index": time.perf_counter() - t,
        "load part": loaded,
        "load+index cpu": time.process_time() - c,
        "load part cpu": loaded_cpu,
    }


def measure(root: Path, rounds: int) -> dict[str, float]:
    """Median seconds of the bare parse, of load_base (what `check` does) and of load + index, each
    sample in a fresh interpreter (a long-lived heap makes the garbage collector, and so every
    parse, slower), in a rotating order."""
    jobs = ["bare", "check", "load+index"]
    samples: dict[str, list[float]] = {}
    for r in range(rounds):
        for job in jobs[r % 3 :] + jobs[: r % 3]:
            out = subprocess.run(
                [sys.executable, __file__, "--job", job, "--root", str(root)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            for name, seconds in json.loads(out).items():
                samples.setdefault(name, []).append(seconds)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    medians["index part"] = medians["load+index"] - medians["load part"]
    medians["index part cpu"] = medians["load+index cpu"] - medians["load part cpu"]
    return medians


def cli_seconds(root: Path, rounds: int) -> tuple[float, float]:
    """Wall time of `python -m bot check ROOT` and of a bare parse in a fresh interpreter: what an
    editor waits for, imports included."""
    files = [str(f.path) for f in scan(root).files]
    bare = (
        "import sys, yaml\n"
        "for f in sys.argv[1:]:\n"
        "    yaml.load(open(f, encoding='utf-8').read(), Loader=yaml.CSafeLoader)\n"
    )
    commands = {
        "check": [sys.executable, "-m", "bot", "check", str(root)],
        "bare": [sys.executable, "-c", bare, *files],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            t = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times[name].append(time.perf_counter() - t)
    return statistics.median(times["check"]), statistics.median(times["bare"])


def row(label: str, medians: dict[str, float], cpu: bool = False) -> str:
    """One line of the table: wall times, or (`cpu`) the same samples' CPU times."""
    m = {k.removesuffix(" cpu"): v for k, v in medians.items() if k.endswith(" cpu") == cpu}
    label += " (CPU time)" if cpu else ""
    return (
        f"| {label} | {m['bare']:.2f} s | {m['check']:.2f} s | **{m['check'] / m['bare']:.2f}×** | "
        f"{m['load+index']:.2f} s ({m['load part']:.2f} + {m['index part']:.2f}) | "
        f"**{m['load+index'] / m['bare']:.2f}×** | {m['load part'] / m['bare']:.2f}× | "
        f"{m['index part'] / m['bare']:.2f}× |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cli", action="store_true", help="also time `python -m bot check` end to end")
    parser.add_argument("--job", choices=["bare", "check", "load+index"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:  # one sample, in the child process `measure` started
        print(json.dumps(run_job(args.job, args.root)))
        return
    print(
        "| base | bare CSafeLoader parse | check | check / bare | load + index (load + index) | "
        "load+index / bare | load / bare | index / bare |"
    )
    print("|---|---|---|---|---|---|---|---|")
    real = measure(DEFAULT_PATH, args.rounds)
    print(row("real", real), row("real", real, cpu=True), sep="\n", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "kb"
        generate(root, args.entries)
        label, generated = f"generated {args.entries:,}", measure(root, args.rounds)
        print(row(label, generated), row(label, generated, cpu=True), sep="\n", flush=True)
        if args.cli:
            check, bare = cli_seconds(root, args.rounds)
            print(
                f"\n`python -m bot check` {check:.2f} s, a bare parse in a fresh interpreter {bare:.2f} s: "
                f"{check / bare:.2f}× (imports included)"
            )


if __name__ == "__main__":
    main()
