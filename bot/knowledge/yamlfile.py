"""Reading one YAML file safely, keeping the line of every entry and field.

Editors' files are untrusted input: size is capped, the file must be UTF-8, anchors and
aliases are refused (they can blow a small file up into gigabytes, the "billion laughs"),
duplicate keys and runaway nesting are reported, and every error names a line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.problems import Problem

try:  # the libyaml C parser is much faster; fall back to pure Python when it is absent
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class SafeLoader(_BaseLoader):
    """The safe loader, minus YAML's own date parsing: dates stay text for PartialDate to read,
    so "2025-02-30" becomes an editor's error message instead of a crash, and "2024-07" and
    "2024-07-28" are read the same way."""

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML reads this class attribute by name
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 2_000_000


@dataclass(slots=True)
class ParsedFile:
    """A YAML file's data plus the node tree, to map any path in the data to a line."""

    path: str
    data: Any
    root: yaml.Node | None
    problems: list[Problem] = field(default_factory=list)
    digest: str = ""
    """SHA-256 of the bytes read: what the data was parsed from (the engine cache keys on it)."""

    def line_of(self, *keys: str | int) -> int | None:
        """1-based line of the deepest node reachable along `keys` (mapping keys and list indices)."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for key in keys:
            found = _child(node, key)
            if found is None:
                break
            marker, node = found
            line = marker.start_mark.line + 1
        return line


def _child(node: yaml.Node | None, key: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(the node whose line names it, the value): a mapping key's own line, a list item's line."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        item: yaml.Node = node.value[key]
        return item, item
    return None


def read_yaml(path: Path, display: str) -> ParsedFile:
    """Parse one file; on any problem, `data` is None and `problems` says why and where."""
    result = ParsedFile(display, None, None)

    def fail(message: str, line: int | None = None) -> ParsedFile:
        result.problems.append(Problem(display, line, None, message))
        return result

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return fail(
                f"the file is {size / 1048576:.1f} MiB; the limit is {MAX_FILE_BYTES // 1048576} MiB: "
                "split it into several files"
            )
        raw = path.read_bytes()
    except OSError as exc:
        return fail(f"cannot read the file: {exc.strerror or exc}")
    result.digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return fail(f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8", line)
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return fail("the file is empty; add entries or delete it")

    loader = SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return fail("the file is empty; add entries or delete it")
        structural = _check_structure(root, display)
        if structural:
            result.problems.extend(structural)
            return result
        result.root = root
        result.data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        what = exc.problem or exc.context or "invalid YAML"
        started = ""
        if exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
            started = f" ({exc.context}, which starts on line {exc.context_mark.line + 1})"
        return fail(
            f"YAML syntax error at {where}: {what}{started}. Check indentation, colons and quotes.",
            mark.line + 1 if mark else None,
        )
    except yaml.YAMLError as exc:
        return fail(f"YAML error: {exc}")
    except RecursionError:
        return fail(f"the file is nested too deeply (more than {MAX_DEPTH} levels)")
    finally:
        loader.dispose()
    return result


def _check_structure(root: yaml.Node, display: str) -> list[Problem]:
    """Refuse aliases, duplicate keys and runaway size before anything is built from the tree."""
    problems: list[Problem] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if id(node) in seen:
            problems.append(
                Problem(
                    display,
                    node.start_mark.line + 1,
                    None,
                    "anchors and aliases (&name / *name) are not allowed: write the value out",
                )
            )
            continue  # never descend twice: a billion-laughs tree stays linear to walk
        seen.add(id(node))
        if depth > MAX_DEPTH:
            return [
                Problem(
                    display,
                    node.start_mark.line + 1,
                    None,
                    f"nested too deeply (more than {MAX_DEPTH} levels)",
                )
            ]
        if count > MAX_NODES:
            return [Problem(display, None, None, f"more than {MAX_NODES:,} YAML nodes: split the file")]
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in keys:
                        problems.append(
                            Problem(
                                display,
                                k.start_mark.line + 1,
                                None,
                                f"the key {k.value!r} appears twice in the same entry "
                                f"(first on line {keys[k.value]})",
                            )
                        )
                    else:
                        keys[k.value] = k.start_mark.line + 1
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        if len(problems) > 50:
            break
    return problems
