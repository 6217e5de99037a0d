"""Load every `*.yaml` under a directory into a validated KnowledgeBase, or report every problem.

One run finds everything: files that cannot be read, YAML and schema problems, broken answer
templates, invisible characters and cross-references between entries, each at the line of the
field it concerns. An entry with a schema problem still has its references checked when dropping
the faulty fields leaves a valid entry; references *to* a broken entry are not reported as
unknown, and when a whole file could not be read, no reference is (its entries are unknown).
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from rapidfuzz import process

from bot.knowledge.base import KnowledgeBase, Location
from bot.knowledge.files import Reading, display_path, read_consistent, scan
from bot.knowledge.model import ID_PATTERN, QA, Event, Fact, Source, Story, Vocabulary, template_problems
from bot.knowledge.problems import KnowledgeError, Problem
from bot.knowledge.validate import cross_check, doubled_words
from bot.knowledge.yamlfile import MAX_NODES, ParsedFile, parse_yaml

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "knowledge"

MAX_TOTAL_NODES: Final = 2 * MAX_NODES
"""YAML nodes across all files: three times the 10,000-entry benchmark base."""
MAX_FILE_PROBLEMS: Final = 200
"""Problems listed per file: a file of 100,000 broken entries is reported, not recited."""
MAX_PROBLEMS: Final = 1000
"""Problems listed in all; the files after that are not checked."""

# Section name in a file → (model, kind label used in messages and locations).
SECTIONS: dict[str, tuple[type[BaseModel], str]] = {
    "sources": (Source, "source"),
    "facts": (Fact, "fact"),
    "questions": (QA, "question"),
    "events": (Event, "event"),
}
TOP_LEVEL = ["story", *SECTIONS, "synonyms", "contrasts"]

Path_ = tuple[str | int, ...]
Report = Callable[[int | None, str | None, str], None]


def load_base(path: Path | str | None = None) -> KnowledgeBase:
    """Load and validate the base at `path` (a directory or one file; default `knowledge/`).

    Raises KnowledgeError listing every problem found, each with file, line and entry id.
    Warnings (an editor's lock file, a word doubled beside a placeholder) do not stop the load;
    they are in `base.warnings`.
    """
    root = Path(path) if path is not None else DEFAULT_PATH
    with gc_paused():
        return build_base(read_consistent(root))


def find_files(root: Path) -> tuple[list[Path], list[Problem]]:
    """The knowledge files under `root` in load order, and every error finding them (unreadable
    folders, loops, dangling links, files over the size caps). Lock files are left out, silently
    here: `load_base` reports them as warnings."""
    found = scan(root)
    return [f.path for f in found.files], found.problems


@dataclass(slots=True)
class _Entries:
    """What the cross-check needs to know beyond the base: where each entry is, and which ones
    are missing or incomplete because of their own problems."""

    where: dict[str, tuple[ParsedFile, Path_]] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    """"kind:id" of entries that failed validation altogether."""
    salvaged: set[str] = field(default_factory=set)
    """"kind:id" of entries kept for the cross-check without their faulty fields."""
    complete: bool = True
    """False when a file could not be read or parsed: references to its entries cannot be told."""

    def locate(self, key: str, path: Path_) -> Location:
        """The line of field `path` (like ("sources", 0, "source")) in the entry `key`."""
        found = self.where.get(key)
        if found is None:
            return Location("?", None)
        parsed, prefix = found
        return Location(parsed.path, parsed.line_of(*prefix, *path))


def build_base(reading: Reading) -> KnowledgeBase:
    """Parse, validate and cross-check files already read; raises KnowledgeError."""
    problems = list(reading.problems)
    base = KnowledgeBase(warnings=list(reading.warnings))
    entries = _Entries(complete=not reading.problems)
    budget = MAX_TOTAL_NODES
    for file in reading.files:
        if len(problems) >= MAX_PROBLEMS:
            entries.complete = False
            problems.append(
                Problem(file.display, None, None, f"not checked: more than {MAX_PROBLEMS} problems before it")
            )
            continue
        parsed = parse_yaml(file.data, file.display, file.digest, max(budget, 0))
        budget -= parsed.nodes
        if parsed.data is None:
            entries.complete = False
            problems.extend(parsed.problems)
            continue
        problems.extend(_with_entries(parsed, parsed.problems))
        base.files.append(file.display)
        base.digests[file.display] = file.digest
        problems.extend(_collect(parsed, base, entries))
        parsed.data = None  # validated: kept to the end, every file's raw data would cost 30 MB at 10k
    problems.extend(
        cross_check(
            base,
            entries.locate,
            broken=entries.broken,
            salvaged=entries.salvaged,
            complete=entries.complete,
        )
    )
    base.warnings.extend(doubled_words(base, entries.locate))  # "only only 61 prisoners"
    if problems:
        raise KnowledgeError(problems, base.warnings)
    base.events.sort(key=lambda e: e.date)  # stable: same-day events keep the editors' order
    return base


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off for a build that allocates a few hundred thousand objects and frees
    none of them as cycles (a load, an index): it would scan the growing heap again and again (a
    third of a plain parse). Whatever cycles there are wait for the next collection.

    What the build made outlives it, so it goes straight to the oldest generation: left young, the
    first collections after the build would each scan all of it once more only to promote it (0.8 s
    after indexing a 10,000-entry base). A full collection still scans it and frees its cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # freeze moves every tracked object to the permanent generation and unfreeze moves them all
            # on to the oldest one: promotion without a scan (factbot freezes nothing for good)
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _with_entries(parsed: ParsedFile, problems: list[Problem]) -> list[Problem]:
    """Parse problems name a line only; name the entry that line belongs to as well."""
    if not problems or not isinstance(parsed.data, dict):
        return problems
    # where each top-level key and each item of a top-level list starts, in line order
    starts = sorted((line, key) for key, line in parsed.lines.items() if key)
    lines = [line for line, _ in starts]
    out = []
    for p in problems:
        entry = p.entry
        at = bisect_right(lines, p.line) - 1 if p.line is not None else -1
        if entry is None and at >= 0 and len(starts[at][1]) == 2:
            item = _item(parsed.data, starts[at][1])
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                entry = item["id"]
        out.append(Problem(p.file, p.line, entry, p.message))
    return out


def _item(data: dict[Any, Any], key: tuple[str | int, ...]) -> Any:
    """The raw item at (section, index), or None."""
    section, index = key
    items = data.get(section)
    return items[index] if isinstance(items, list) and isinstance(index, int) else None


def _collect(parsed: ParsedFile, base: KnowledgeBase, entries: _Entries) -> list[Problem]:
    """Validate one file's sections into `base`; the problems found."""
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
        story = _validate(Story, data["story"], parsed, ("story",), "story", problem, entries)
        if story is None:
            entries.broken.add("story:")  # even without a readable id: its topics are unknown
        if isinstance(story, Story):
            key = f"story:{story.id}"
            base.stories.append(story)
            base.locations[key] = Location(parsed.path, parsed.line_of("story"))
            entries.where.setdefault(key, (parsed, ("story",)))

    for section, (model, kind) in SECTIONS.items():
        if section not in data:
            continue
        items = data[section]
        if items is None:
            continue
        if not isinstance(items, list):
            entries.complete = False  # whatever this was meant to hold is unknown to the cross-check
            problem(
                parsed.line_of(section),
                None,
                f"`{section}` must be a list of entries (each starting with '- ')",
            )
            continue
        for i, item in enumerate(items):
            if len(problems) >= MAX_FILE_PROBLEMS:
                entries.complete = False  # the entries not validated are unknown to the cross-check
                problem(
                    parsed.line_of(section, i),
                    None,
                    f"more than {MAX_FILE_PROBLEMS} problems in this file; the rest of it is not checked",
                )
                return problems
            if model is QA and isinstance(item, dict) and isinstance(item.get("answer"), str):
                entry_id = item.get("id") if isinstance(item.get("id"), str) else None
                for message in template_problems(item["answer"]):
                    problem(parsed.line_of(section, i, "answer"), entry_id, f"question: `answer`: {message}")
            entry = _validate(model, item, parsed, (section, i), kind, problem, entries)
            if entry is None:
                continue
            _store(base, section, entry, parsed, (section, i), problem, entries)

    if "synonyms" in data:
        vocab = _validate(
            Vocabulary, {"synonyms": data["synonyms"]}, parsed, (), "synonyms", problem, entries
        )
        if isinstance(vocab, Vocabulary):
            for i, group in enumerate(vocab.synonyms):
                key = f"synonyms:{len(base.synonyms)}"
                base.locations[key] = Location(parsed.path, parsed.line_of("synonyms", i))
                entries.where[key] = (parsed, ("synonyms", i))
                base.synonyms.append(group)
    if "contrasts" in data:
        kinds = _validate(
            Vocabulary, {"contrasts": data["contrasts"]}, parsed, (), "contrasts", problem, entries
        )
        if isinstance(kinds, Vocabulary):
            for kind, values in kinds.contrasts.items():
                key = f"contrasts:{kind}"
                base.locations[key] = Location(parsed.path, parsed.line_of("contrasts", kind))
                entries.where[key] = (parsed, ("contrasts", kind))
                base.contrasts.setdefault(kind, []).extend([v] if isinstance(v, str) else v for v in values)
    return problems


def _store(
    base: KnowledgeBase,
    section: str,
    entry: Any,
    parsed: ParsedFile,
    path: Path_,
    problem: Report,
    entries: _Entries,
) -> None:
    """File a validated entry under its id, or report the id as already used."""
    kind = SECTIONS[section][1]
    key = f"{kind}:{entry.id}"
    if key in base.locations:
        first = base.locations[key]
        problem(
            parsed.line_of(*path, "id"),
            entry.id,
            f"the {kind} id {entry.id!r} is already used at {first.file}:{first.line}",
        )
        return
    base.locations[key] = Location(parsed.path, parsed.line_of(*path))
    entries.where[key] = (parsed, path)
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
    path: Path_,
    kind: str,
    problem: Report,
    entries: _Entries,
) -> BaseModel | None:
    """The entry, or None after reporting why not. An entry whose problems are all in fields it
    can do without comes back without them, marked salvaged, for the cross-check only (the load
    fails anyway)."""
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
        errors = exc.errors()
        for err in errors:
            loc = tuple(err["loc"])
            line = parsed.line_of(*path, *loc)
            problem(line, entry_id, f"{kind}: {_explain(err, model)}")
    salvaged = _salvage(model, item, errors)
    if entry_id is not None:
        (entries.salvaged if salvaged is not None else entries.broken).add(f"{kind}:{entry_id}")
    return salvaged


def _salvage(model: type[BaseModel], item: Any, errors: list[ErrorDetails]) -> BaseModel | None:
    """`item` validated again without the fields that failed, or None when one is required or the
    problem is the entry as a whole."""
    trimmed = item
    for err in errors:
        loc = tuple(err["loc"])
        keys = [i for i, part in enumerate(loc) if isinstance(part, str)]
        if err["type"] == "missing" or not keys:
            return None
        last = keys[-1]
        trimmed = _without(trimmed, loc[:last], str(loc[last]))
    try:
        return model.model_validate(trimmed)
    except ValidationError:
        return None


def _without(data: Any, prefix: Path_, key: str) -> Any:
    """A copy of `data` with the mapping key at `prefix` + `key` removed (the original untouched)."""
    if not prefix:
        if not isinstance(data, dict):
            return data
        copy = dict(data)
        copy.pop(key, None)
        return copy
    head, rest = prefix[0], prefix[1:]
    if isinstance(data, dict) and head in data:
        out = dict(data)
        out[head] = _without(data[head], rest, key)
        return out
    if isinstance(data, list) and isinstance(head, int) and 0 <= head < len(data):
        items = list(data)
        items[head] = _without(data[head], rest, key)
        return items
    return data


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
    # by the pattern an id must match, not by the field's name: "said_on" holds "id" too
    if kind == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == ID_PATTERN:
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
    "build_base",
    "display_path",
    "find_files",
    "load_base",
]
