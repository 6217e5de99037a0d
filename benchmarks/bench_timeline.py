"""Timeline picture speed: render time of the real base's picture (whole and filtered), of the
largest picture drawn (20 events, the most one shows), and of a cached picture as /timeline gets it
(through PictureCache and its worker thread); also the TimelineJS export. Target: p95 ≤ 300 ms.

Run by hand (not a test):  .venv/bin/python benchmarks/bench_timeline.py [--runs 40]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import PIL

from bot.knowledge import KnowledgeBase, load_base
from bot.knowledge.dates import PartialDate
from bot.timeline import EVERYTHING, TimelineFilter
from bot.timeline_image import MAX_EVENTS, PictureCache, TimelinePicture, render_timeline
from bot.timeline_labels import ENGLISH
from bot.timelinejs import timelinejs

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
TARGET_MS = 300.0


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per call, `runs` calls."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p50_p95(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), qs[94]


def ms(value: float) -> str:
    """Whole milliseconds, or three decimals below one."""
    return f"{value:.3f}" if value < 1 else f"{value:.0f}"


def big_base(root: Path, extra: int) -> KnowledgeBase:
    """The real base plus `extra` dated events, so the picture holds its maximum of events."""
    knowledge = Path(shutil.copytree(KNOWLEDGE, root / "knowledge"))
    entries = "".join(
        f"\n  - id: bench-{i:03d}\n    date: 2025-10-{i % 28 + 1:02d}\n"
        f"    title: Benchmark event {i:03d}, with a title long enough to wrap onto a second line\n"
        f"    summary: Something else happened that day; number {i:03d}, with Ñ and accents á é.\n"
        "    topic: us-venezuela\n    sources: [tasr]\n"
        for i in range(extra)
    )
    path = knowledge / "venezuela-2026" / "timeline.yaml"
    path.write_text(path.read_text(encoding="utf-8") + entries, encoding="utf-8")
    return load_base(knowledge)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=40, help="renders per case (default 40)")
    args = parser.parse_args()
    base = load_base(KNOWLEDGE)

    start = time.perf_counter()
    first: TimelinePicture = render_timeline(base)  # opens the fonts too
    cold_ms = (time.perf_counter() - start) * 1000

    rows: list[tuple[str, TimelinePicture | None, list[float]]] = []
    rows.append(("real base, whole timeline", first, timed(lambda: render_timeline(base), args.runs)))
    december = TimelineFilter(PartialDate(2025, 12), PartialDate(2025, 12))
    rows.append(
        (
            "real base, December 2025",
            render_timeline(base, december),
            timed(lambda: render_timeline(base, december), args.runs),
        )
    )
    us = TimelineFilter(topic="us-venezuela")
    rows.append(
        (
            "real base, one topic",
            render_timeline(base, us),
            timed(lambda: render_timeline(base, us), args.runs),
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        big = big_base(Path(tmp), 3 * MAX_EVENTS)
    rows.append(
        (
            f"{len(big.events)} events ({MAX_EVENTS} drawn)",
            render_timeline(big),
            timed(lambda: render_timeline(big), max(args.runs // 2, 5)),
        )
    )

    cache = PictureCache()
    with ThreadPoolExecutor(1) as pool:
        cache.submit(base, EVERYTHING, ENGLISH, pool).result()
        cached = timed(lambda: cache.submit(base, EVERYTHING, ENGLISH, pool).result(), args.runs * 25)
    rows.append(("real base, cached (as /timeline gets it)", None, cached))
    rows.append(("TimelineJS export, real base", None, timed(lambda: timelinejs(base), args.runs * 5)))

    print(f"Pillow {PIL.__version__}; first render of the real base (fonts opened) {cold_ms:.0f} ms\n")
    print("| case | size | PNG | p50 ms | p95 ms |")
    print("|---|---|---|---|---|")
    for name, picture, samples in rows:
        p50, p95 = p50_p95(samples)
        size = f"{picture.width}×{picture.height}" if picture else ""
        png = f"{len(picture.png) / 1024:.0f} KiB" if picture else ""
        print(f"| {name} | {size} | {png} | {ms(p50)} | {ms(p95)} |")
    whole, hit = p50_p95(rows[0][2])[1], p50_p95(cached)[1]
    verdict = "met" if whole <= TARGET_MS and hit <= TARGET_MS else "NOT met"
    print(
        f"\np95 ≤ {TARGET_MS:.0f} ms for the real base ({whole:.0f} ms) and cached ({hit:.3f} ms): {verdict}"
    )


if __name__ == "__main__":
    main()
