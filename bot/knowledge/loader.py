"""Load every `*.yaml` under a directory into a validated KnowledgeBase, or report every problem."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from rapidfuzz import process

from bot.knowledge.base import KnowledgeBase, Location
from bot.knowledge.model import QA, Event, Fact, Source, Story, Vocabulary
from bot.knowledge.problems import KnowledgeError, Problem
from bot.knowledge.validate import cross_check
from bot.knowledge.yamlfile import ParsedFile, read_yaml

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "knowledge"

# Section name in a file → (model, kind label used in messages and locations).
SECTIONS: dict[str, tuple[type[BaseModel], str]] = {
    "sources": (Source, "source"),
    "facts": (Fact, "fact"),
    "questions": (QA, "question"),
    "events": (Event, "event"),
}
TOP_LEVEL = ["story", *SECTIONS, "synonyms"]


def load_base(path: Path | str | None = None) -> KnowledgeBase:
    """Load and validate the base at `path` (a directory or one file; default `knowledge/`).

    Raises KnowledgeError listing every problem found, each with file, line and entry id.
    """
    root = Path(path) if path is not None else DEFAULT_PATH
    files, problems = find_files(root)
    base = KnowledgeBase()
    for file in files:
        display = display_path(file, root)
        parsed = read_yaml(file, display)
        problems.extend(parsed.problems)
        if parsed.data is not None:
            base.files.append(display)
            base.digests[display] = parsed.digest
            problems.extend(_collect(parsed, base))
    if not problems:
        problems.extend(cross_check(base))
    if problems:
        raise KnowledgeError(problems)
    base.events.sort(key=lambda e: e.date)  # stable: same-day events keep the editors' order
    return base


def find_files(root: Path) -> tuple[list[Path], list[Problem]]:
    """The knowledge files under `root` in load order, or why there are none."""
    if not root.exists():
        return [], [Problem(str(root), None, None, "no such file or directory")]
    if root.is_file():
        return [root], []
    files = sorted(p for p in root.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
    if not files:
        return [], [Problem(str(root), None, None, "no .yaml files here: is this the knowledge directory?")]
    return files, []


def display_path(file: Path, root: Path) -> str:
    """The path as an editor recognises it: relative to the knowledge directory's parent."""
    try:
        return str(file.relative_to(root.parent))
    except ValueError:
        return str(file)


def _collect(parsed: ParsedFile, base: KnowledgeBase) -> list[Problem]:
    data = parsed.data
    problems: list[Problem] = []

    def problem(line: int | None, entry: str | None, message: str) -> None:
        problems.append(Problem(parsed.path, line, entry, message))

    if not isinstance(data, dict):
        problem(
            parsed.line_of(),
            None,
            f"the file must be a mapping of sections ({', '.join(TOP_LEVEL)}), not a {_type_name(data)}",
        )
        return problems
    for key in data:
        if key not in TOP_LEVEL:
            problem(
                parsed.line_of(str(key)),
                None,
                f"unknown section {key!r}{_did_you_mean(str(key), TOP_LEVEL)}; "
                f"sections are {', '.join(TOP_LEVEL)}",
            )

    if "story" in data:
        story = _validate(Story, data["story"], parsed, ("story",), "story", problem)
        if isinstance(story, Story):
            base.stories.append(story)
            base.locations[f"story:{story.id}"] = Location(parsed.path, parsed.line_of("story"))

    for section, (model, kind) in SECTIONS.items():
        if section not in data:
            continue
        items = data[section]
        if items is None:
            continue
        if not isinstance(items, list):
            problem(
                parsed.line_of(section),
                None,
                f"`{section}` must be a list of entries (each starting with '- ')",
            )
            continue
        for i, item in enumerate(items):
            entry = _validate(model, item, parsed, (section, i), kind, problem)
            if entry is None:
                continue
            _store(base, section, entry, Location(parsed.path, parsed.line_of(section, i)), problem)

    if "synonyms" in data:
        vocab = _validate(Vocabulary, {"synonyms": data["synonyms"]}, parsed, (), "synonyms", problem)
        if isinstance(vocab, Vocabulary):
            for i, group in enumerate(vocab.synonyms):
                base.locations[f"synonyms:{len(base.synonyms)}"] = Location(
                    parsed.path, parsed.line_of("synonyms", i)
                )
                base.synonyms.append(group)
    return problems


def _store(
    base: KnowledgeBase,
    section: str,
    entry: Any,
    where: Location,
    problem: Callable[[int | None, str | None, str], None],
) -> None:
    kind = SECTIONS[section][1]
    key = f"{kind}:{entry.id}"
    if key in base.locations:
        first = base.locations[key]
        problem(
            where.line, entry.id, f"the {kind} id {entry.id!r} is already used at {first.file}:{first.line}"
        )
        return
    base.locations[key] = where
    if isinstance(entry, Source):
        base.sources[entry.id] = entry
    elif isinstance(entry, Fact):
        base.facts[entry.id] = entry
    elif isinstance(entry, QA):
        base.questions[entry.id] = entry
    elif isinstance(entry, Event):
        base.events.append(entry)


def _validate(
    model: type[BaseModel],
    item: Any,
    parsed: ParsedFile,
    path: tuple[str | int, ...],
    kind: str,
    problem: Callable[[int | None, str | None, str], None],
) -> BaseModel | None:
    entry_id = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
    if not isinstance(item, dict) and model is not Vocabulary:
        problem(
            parsed.line_of(*path),
            entry_id,
            f"each {kind} must be a mapping of fields (`id: ...`, ...), not a {_type_name(item)}",
        )
        return None
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = parsed.line_of(*path, *loc)
            problem(line, entry_id, f"{kind}: {_explain(err, model)}")
        return None


def _explain(err: ErrorDetails, model: type[BaseModel]) -> str:
    """Turn a pydantic error into words an editor understands."""
    loc = ".".join(str(p) for p in err["loc"])
    field_name = str(err["loc"][-1]) if err["loc"] else ""
    kind = err["type"]
    where = f"`{loc}`" if loc else "this entry"
    if kind == "missing":
        return f"missing required field {where}"
    if kind == "extra_forbidden":
        known = list(_fields_at(model, err["loc"][:-1]))
        return f"unknown field {where}{_did_you_mean(field_name, known)}"
    if (kind == "string_pattern_mismatch" and field_name in {"id", "topic", "source"}) or "id" in field_name:
        return f"{where}: ids use lower-case letters, digits and hyphens only (like `jan1-released`)"
    if kind in {"string_too_short", "too_short"}:
        return f"{where} is empty"
    if kind == "string_too_long":
        return f"{where} is too long ({err['ctx'].get('max_length')} characters at most)"
    if kind == "string_type":
        return f"{where} must be text, not {_type_name(err['input'])}"
    if kind == "list_type":
        return f"{where} must be a list (lines starting with '- '), not {_type_name(err['input'])}"
    if kind in {"float_parsing", "float_type"}:
        return f"{where} must be a number (write 2400, not '2,400')"
    if kind == "enum":
        return f"{where}: {err['input']!r} is not one of {err['ctx'].get('expected')}"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {msg}" if loc else msg


def _fields_at(model: type[BaseModel], loc: Iterable[int | str]) -> Iterable[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            return ()
        args = getattr(info.annotation, "__args__", ())
        nested = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        current = nested[0] if nested else info.annotation
    return current.model_fields.keys() if hasattr(current, "model_fields") else ()


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    best = process.extractOne(word, list(choices), score_cutoff=70)
    return f" (did you mean {best[0]!r}?)" if best else ""


def _type_name(value: object) -> str:
    return {
        dict: "mapping",
        list: "list",
        str: "text",
        int: "number",
        float: "number",
        bool: "yes/no",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


__all__ = [
    "DEFAULT_PATH",
    "KnowledgeBase",
    "KnowledgeError",
    "Problem",
    "display_path",
    "find_files",
    "load_base",
]
