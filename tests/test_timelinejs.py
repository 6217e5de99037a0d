"""TimelineJS3 export and the timeline's --png / --format options, as a newsroom would use them."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.knowledge import KnowledgeBase, load_base
from bot.knowledge.dates import PartialDate
from bot.timeline import TimelineFilter, select_events
from bot.timelinejs import date_object, timelinejs
from tests.helpers import KNOWLEDGE
from tests.test_cli import run


@pytest.fixture(scope="module")
def base() -> KnowledgeBase:
    return load_base(KNOWLEDGE)


def check_document(doc: dict[str, Any], base: KnowledgeBase) -> None:
    """Every field TimelineJS needs, of the type it needs, on the title and on every event."""
    assert set(doc) == {"title", "events", "scale"} and doc["scale"] == "human"
    title = doc["title"]
    assert "start_date" not in title, "a title slide has no date"
    assert title["text"]["headline"] and title["text"]["text"].startswith("<p>")
    assert isinstance(doc["events"], list)
    topics = set(base.topics().values())
    for slide in doc["events"]:
        date = slide["start_date"]
        assert isinstance(date["year"], int) and set(date) <= {"year", "month", "day"}
        assert "day" not in date or "month" in date
        assert isinstance(slide["text"]["headline"], str) and slide["text"]["headline"]
        assert isinstance(slide["text"]["text"], str) and slide["text"]["text"].startswith("<p>")
        assert slide["group"] in topics
        assert isinstance(slide["unique_id"], str) and slide["unique_id"]
    ids = [s["unique_id"] for s in doc["events"]] + [title["unique_id"]]
    assert len(ids) == len(set(ids)), "unique among all slides, the title included"


def date_key(slide: dict[str, Any]) -> tuple[int, int, int]:
    d = slide["start_date"]
    return d["year"], d.get("month", 0), d.get("day", 0)


def test_the_whole_timeline_has_every_required_field_in_date_order(base: KnowledgeBase) -> None:
    doc = timelinejs(base)
    check_document(doc, base)
    slides = doc["events"]
    assert [s["unique_id"] for s in slides] == [e.id for e in base.events]
    assert [date_key(s) for s in slides] == sorted(date_key(s) for s in slides)
    assert slides[0]["start_date"] == {"year": 2013}
    by_id = {s["unique_id"]: s for s in slides}
    assert by_id["election-july-2024"]["start_date"] == {"year": 2024, "month": 7}
    assert by_id["tanker-blockade"]["start_date"] == {"year": 2025, "month": 12, "day": 16}
    assert by_id["tanker-blockade"]["group"] == "US–Venezuela tensions"
    assert doc["title"]["text"]["headline"] == base.stories[0].title
    assert "As of 1 January 2026" in doc["title"]["text"]["text"]


def test_each_slide_carries_its_sources_and_date_note(base: KnowledgeBase) -> None:
    by_id = {s["unique_id"]: s for s in timelinejs(base)["events"]}
    text = by_id["christmas-release"]["text"]["text"]
    assert "The government announces the release of 99 prisoners" in text
    assert '<p class="factbot-sources">Sources: Venezuelan government; Foro Penal' in text
    assert "(the article says &quot;since September&quot;)" in by_id["us-ship-attacks-begin"]["text"]["text"]


def test_unique_ids_are_stable_across_exports(base: KnowledgeBase) -> None:
    assert timelinejs(base) == timelinejs(load_base(KNOWLEDGE))


@pytest.mark.parametrize(
    "filters",
    [
        TimelineFilter(PartialDate(2025, 12), PartialDate(2025, 12)),
        TimelineFilter(PartialDate(2026)),
        TimelineFilter(end=PartialDate(2024)),
        TimelineFilter(topic="us-venezuela"),
        TimelineFilter(PartialDate(2025, 12, 20), None, "us-venezuela"),
    ],
)
def test_filters_are_applied(base: KnowledgeBase, filters: TimelineFilter) -> None:
    doc = timelinejs(base, filters)
    check_document(doc, base)
    start, end = filters.bounds()
    expected = [e.id for e in select_events(base, start, end, filters.topic)]
    assert expected and len(expected) < len(base.events)
    assert [s["unique_id"] for s in doc["events"]] == expected


def test_a_filter_is_described_on_the_title_slide(base: KnowledgeBase) -> None:
    doc = timelinejs(base, TimelineFilter(PartialDate(2025, 12), PartialDate(2026, 1, 1), "us-venezuela"))
    assert (
        "From December 2025 to 1 January 2026 · Topic: US–Venezuela tensions" in doc["title"]["text"]["text"]
    )
    assert timelinejs(base, TimelineFilter(PartialDate(2030)))["events"] == []


def test_text_from_the_base_is_escaped_for_html(tmp_path: Path) -> None:
    knowledge = Path(shutil.copytree(KNOWLEDGE, tmp_path / "knowledge"))
    path = knowledge / "venezuela-2026" / "timeline.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + """
  - id: tricky
    date: 2025-11
    title: <script>alert(1)</script> & more
    summary: A <b>bold</b> claim & an ampersand.
    topic: prisoners
    sources: [tasr]
""",
        encoding="utf-8",
    )
    slide = next(s for s in timelinejs(load_base(knowledge))["events"] if s["unique_id"] == "tricky")
    assert slide["text"]["headline"] == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"
    assert (
        "<b>" not in slide["text"]["text"] and "&lt;b&gt;bold&lt;/b&gt; claim &amp;" in slide["text"]["text"]
    )


def test_date_objects_hold_no_more_than_is_known() -> None:
    assert date_object(PartialDate(2013)) == {"year": 2013}
    assert date_object(PartialDate(2024, 7)) == {"year": 2024, "month": 7}
    assert date_object(PartialDate(2026, 1, 1)) == {"year": 2026, "month": 1, "day": 1}


# --- the command line ----------------------------------------------------------------------------


def test_cli_timelinejs_is_json_with_the_filters_applied(base: KnowledgeBase) -> None:
    result = run("timeline", "--format", "timelinejs", "--from", "2025-12", "--to", "2025-12")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    check_document(doc, base)
    assert [s["unique_id"] for s in doc["events"]] == ["tanker-blockade", "christmas-release"]
    every = json.loads(run("timeline", "--format", "timelinejs").stdout)
    assert len(every["events"]) == len(base.events)


def test_cli_png_writes_the_picture(tmp_path: Path) -> None:
    out = tmp_path / "pictures" / "timeline.png"
    result = run("timeline", "--png", str(out), "--topic", "us-venezuela")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", "the picture alone: nothing on standard output"
    assert f"Wrote {out}: 1080×" in result.stderr and "3 events" in result.stderr
    image = Image.open(io.BytesIO(out.read_bytes()))
    assert image.format == "PNG" and image.width == 1080 and out.stat().st_size <= 1_000_000

    both = run("timeline", "--png", str(out), "--width", "800", "--format", "timelinejs")
    assert both.returncode == 0 and json.loads(both.stdout)["events"]
    assert Image.open(out).width == 800


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--png", "x.png", "--width", "500"), "at least 800 px"),
        (("--png", "x.png", "--from", "2025-13"), "Bad date"),
        (("--format", "timelinejs", "--topic", "sports"), "Unknown topic 'sports'"),
        (("--json", "--topic", "sports"), "Unknown topic 'sports'"),
    ],
)
def test_cli_refuses_bad_options_in_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run("timeline", *[str(tmp_path / a) if a.endswith(".png") else a for a in args])
    assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_cli_help_shows_the_new_options_with_examples() -> None:
    out = run("timeline", "--help").stdout
    assert "--png FILE" in out and "timelinejs" in out
    assert "python -m bot timeline --png docs/timeline.png" in out
    assert "python -m bot timeline --format timelinejs" in out
