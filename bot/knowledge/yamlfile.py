"""Parsing one YAML file safely and fast, keeping the line of every entry and field.

Editors' files are untrusted input: the file must be UTF-8; anchors and aliases are refused (they
can blow a small file up into gigabytes, the "billion laughs"); duplicate keys, tags and invisible
characters (controls, bidirectional and zero-width marks) are reported; and the number of nodes
and the nesting depth are limited *while* libyaml builds the tree, so memory stays bounded. Every
problem names a line.

Speed: libyaml (PyYAML's C parser) builds the node tree, with marks, and calls back into Python
for each node only to count it and to tag it. PyYAML's own resolver runs a regex per scalar there,
the slowest part of a plain `yaml.load`; here a scalar is tagged only "plain" or "quoted", and the
few plain scalars that could be a number, a yes/no or a null (by their first character) are typed
afterwards with PyYAML's own patterns, so the data is exactly what `yaml.safe_load` gives, dates
aside. The tree is then turned into data in one pass that also does every check, and dropped:
when a problem needs a field's line, the file's text is composed again (`ParsedFile.line_of`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from bot.knowledge.files import MAX_FILE_BYTES
from bot.knowledge.problems import Problem

try:  # the libyaml C parser; without it (a PyYAML built without libyaml) the same code, slower
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "ParsedFile", "invisible_characters", "parse_yaml"]

MAX_DEPTH: Final = 32
MAX_NODES: Final = 500_000
"""Per file: about 8 MiB of ordinary knowledge YAML (the 10,000-entry benchmark base has 330,000
nodes in all); a node costs about 360 bytes while the tree is built."""

# Tags the composer gives: resolved later (plain) or never (quoted). Compared by identity.
_PLAIN: Final = "factbot:plain"
_STR: Final = "tag:yaml.org,2002:str"
_SEQ: Final = "tag:yaml.org,2002:seq"
_MAP: Final = "tag:yaml.org,2002:map"
_TIMESTAMP: Final = "tag:yaml.org,2002:timestamp"

# PyYAML's implicit types by first character, minus dates: dates stay text for PartialDate to read,
# so "2025-02-30" becomes an editor's error message instead of a crash, and "2024-07" and
# "2024-07-28" are read the same way.
_IMPLICIT: Final = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
    if first is not None
}
# Characters that are never in knowledge text: C0/C1 controls (tab and newline aside), format
# characters (bidirectional overrides and isolates, zero-width spaces and joiners, the BOM),
# private-use and surrogate code points, and line/paragraph separators.
_INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


class _Refused(Exception):
    """The file is too big or too deep to build: stops libyaml at once."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Composer(_BaseLoader):
    """libyaml's parser and composer, counting nodes and depth as it goes."""

    def __init__(self, text: str, max_nodes: int, total: bool) -> None:
        super().__init__(text)
        self.nodes = 0
        self.depth = 0
        self.max_nodes = max_nodes
        self.total = total
        """Whether `max_nodes` is what remains of the limit across files, not this file's own."""

    # libyaml calls these two around every node it builds (aliases aside: they build nothing)
    def descend_resolver(self, current_node: Node | None, current_index: object) -> None:
        """Count the node about to be built; refuse the file once it holds too many or nests too deep."""
        self.nodes += 1
        self.depth += 1
        if self.nodes > self.max_nodes or self.depth > MAX_DEPTH:
            line = current_node.start_mark.line + 1 if current_node is not None else None
            if self.depth > MAX_DEPTH:
                raise _Refused(f"nested too deeply (more than {MAX_DEPTH} levels)", line)
            if self.total:
                raise _Refused(
                    "the knowledge files hold too many YAML nodes in all (each value, list and mapping "
                    f"is one); this file went over the limit around line {line}: remove or shorten some",
                    None,
                )
            raise _Refused(f"more than {MAX_NODES:,} YAML nodes (around line {line}): split the file", None)

    def ascend_resolver(self) -> None:
        """Leave the node just built."""
        self.depth -= 1

    def resolve(self, kind: type[Node], value: str | None, implicit: Any) -> str:
        """Tag a node without PyYAML's per-scalar regexes: plain scalars are typed later."""
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _SEQ if kind is SequenceNode else _MAP


def _compose(text: str, max_nodes: int = MAX_NODES, total: bool = False) -> Node | None:
    """The node tree of one document, within the limits; raises _Refused or a YAMLError."""
    loader = _Composer(text, max_nodes, total)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def invisible_characters(text: str) -> list[str]:
    """The control, bidirectional, zero-width and other invisible characters in `text`, in order,
    each once; tab and newline are allowed."""
    if text.isprintable():  # nearly every text: one C call
        return []
    found: list[str] = []
    for ch in text:
        if ch.isprintable() or ch in "\t\n" or ch in found:
            continue
        if unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
            found.append(ch)
    return found


def describe_invisible(chars: list[str]) -> str:
    """The problem message for invisible characters found in a text."""
    names = ", ".join(f"U+{ord(c):04X} ({unicodedata.name(c, 'a control character')})" for c in chars)
    return (
        f"invisible character{'s' if len(chars) > 1 else ''} {names}: control, bidirectional and "
        "zero-width characters make text display differently from what it says "
        '(a right-to-left override shows "78" as "87"); delete '
        f"{'them' if len(chars) > 1 else 'it'}"
    )


@dataclass(slots=True)
class ParsedFile:
    """A YAML file's data, where each top-level entry starts, and what went wrong."""

    path: str
    data: Any
    raw: bytes = b""
    """The bytes parsed (the same object the reader holds), to compose again for a field's line."""
    problems: list[Problem] = field(default_factory=list)
    digest: str = ""
    """SHA-256 of the bytes read: what the data was parsed from (the engine cache keys on it)."""
    nodes: int = 0
    """How many YAML nodes the file holds (counted against the limit across files)."""
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    """1-based lines of the document, of each top-level key and of each item of a top-level list."""
    _root: Node | None = None

    def line_of(self, *keys: str | int) -> int | None:
        """1-based line of the deepest node reachable along `keys` (mapping keys and list indices).

        The lines of top-level entries are kept from parsing; a deeper one composes the text again,
        once per file, which only happens when there is a problem to show.
        """
        if keys in self.lines:
            return self.lines[keys]
        if self._root is None and self.raw:
            try:
                self._root = _compose(self.raw.decode("utf-8-sig"))
            except (yaml.YAMLError, _Refused):  # it parsed the first time: cannot happen
                return self.lines.get(keys[:2]) or self.lines.get(keys[:1]) or self.lines.get(())
        node = self._root
        line = node.start_mark.line + 1 if node is not None else None
        for key in keys:
            found = _child(node, key)
            if found is None:
                break
            marker, node = found
            line = marker.start_mark.line + 1
        return line


def _child(node: Node | None, key: str | int) -> tuple[Node, Node] | None:
    """(the node whose line names it, the value): a mapping key's own line, a list item's line."""
    if isinstance(node, MappingNode) and isinstance(key, str):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return k, v
    if isinstance(node, SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        item: Node = node.value[key]
        return item, item
    return None


def parse_yaml(raw: bytes, display: str, digest: str = "", max_nodes: int = MAX_NODES) -> ParsedFile:
    """Parse one file's bytes; on a problem that leaves no data, `data` is None.

    `max_nodes` is what remains of the limit on nodes across files, when lower than one file's own.
    """
    result = ParsedFile(display, None, digest=digest)

    def fail(message: str, line: int | None = None) -> ParsedFile:
        result.problems.append(Problem(display, line, None, message))
        return result

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return fail(f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8", line)
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return fail("the file is empty; add entries or delete it")

    try:
        root = _compose(text, min(max_nodes, MAX_NODES), total=max_nodes < MAX_NODES)
    except _Refused as exc:
        return fail(exc.message, exc.line)
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
    if root is None:
        return fail("the file is empty; add entries or delete it")
    result.raw = raw
    builder = _Builder(display)
    data = builder.document(root, result.lines)
    result.nodes = builder.count
    result.problems.extend(builder.problems)
    if not builder.aliased:  # an alias leaves holes in the data: refuse the file, as before
        result.data = data
    return result


class _Builder:
    """Node tree → Python data in one pass, with the checks: aliases, duplicate keys, tags, merge
    keys and invisible characters."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[Problem] = []
        self.seen: set[int] = set()
        self.count = 0
        self.aliased = False
        self._safe = SafeConstructor()  # PyYAML's own constructors, for typed and tagged scalars

    def problem(self, node: Node, message: str) -> None:
        """Report a problem at the node's line."""
        if len(self.problems) < 50:  # a file of garbage must not produce a million lines
            self.problems.append(Problem(self.display, node.start_mark.line + 1, None, message))

    def document(self, root: Node, lines: dict[tuple[str | int, ...], int]) -> Any:
        """The whole file's data, noting where each top-level key and list item starts."""
        lines[()] = root.start_mark.line + 1
        if root.__class__ is MappingNode and root.tag is _MAP:
            # the top level by hand, to keep the line of every entry for `locations` and messages
            self.seen.add(id(root))
            self.count += 1
            data: dict[Any, Any] = {}
            for key_node, value_node in root.value:
                key = self.build(key_node)
                if isinstance(key, str):
                    lines.setdefault((key,), key_node.start_mark.line + 1)
                    if value_node.__class__ is SequenceNode:
                        for i, item in enumerate(value_node.value):
                            lines.setdefault((key, i), item.start_mark.line + 1)
                self._store(data, key, key_node, root, self.build(value_node))
            return data
        return self.build(root)

    def build(self, node: Node) -> Any:
        """One node's value (recursive: depth is bounded while composing)."""
        self.count += 1
        if id(node) in self.seen:
            self.aliased = True
            self.problem(node, "anchors and aliases (&name / *name) are not allowed: write the value out")
            return None  # never descend twice: a billion-laughs tree stays linear to walk
        self.seen.add(id(node))
        cls = node.__class__
        tag = node.tag
        if cls is ScalarNode:
            value: str = node.value
            if not value.isprintable():
                chars = invisible_characters(value)
                if chars:
                    self.problem(node, describe_invisible(chars))
            if tag is _STR:
                return value
            if tag is _PLAIN:
                return self._plain(node, value)
            return self._tagged_scalar(node)
        if tag is not _SEQ and tag is not _MAP and tag not in (_SEQ, _MAP):
            self.problem(node, f"the tag {tag!r} is not allowed here: write the list or mapping plainly")
        if cls is SequenceNode:
            return [self.build(child) for child in node.value]
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            self._store(data, self.build(key_node), key_node, node, self.build(value_node))
        return data

    def _store(self, data: dict[Any, Any], key: Any, key_node: Node, mapping: Node, value: Any) -> None:
        """Put one key and value in a mapping, reporting an unhashable or repeated key."""
        try:
            duplicate = key in data
        except TypeError:  # a list or mapping as a key ("? [a, b]: c")
            self.problem(key_node, "a key must be a single word or value, not a list or mapping")
            return
        if duplicate:
            first = next(
                (k for k, _ in mapping.value if k.__class__ is ScalarNode and k.value == key_node.value),
                key_node,
            )
            self.problem(
                key_node,
                f"the key {key!r} appears twice in the same entry "
                f"(first on line {first.start_mark.line + 1})",
            )
        data[key] = value

    def _plain(self, node: Node, value: str) -> Any:
        """A plain scalar's value: a number, yes/no or null when PyYAML's patterns say so, else text."""
        resolvers = _IMPLICIT.get(value[:1])
        if resolvers:
            for tag, rx in resolvers:
                if rx.match(value):
                    return self._typed(node, tag)
        return value

    def _typed(self, node: Node, tag: str) -> Any:
        """Build a plain scalar of an implicit type with PyYAML's own constructor."""
        if tag == "tag:yaml.org,2002:merge":
            self.problem(node, "merge keys (<<) are not allowed: write the fields out")
            return node.value
        if tag == "tag:yaml.org,2002:value":
            return node.value  # "=" is text, as PyYAML's constructor makes it
        return self._safe.yaml_constructors[tag](self._safe, node)

    def _tagged_scalar(self, node: Node) -> Any:
        """A scalar with an explicit tag: the standard safe ones are built, the rest refused."""
        constructor = self._safe.yaml_constructors.get(node.tag)
        if constructor is None or node.tag == "tag:yaml.org,2002:binary":
            self.problem(node, f"the tag {node.tag!r} is not allowed: write the value plainly")
            return node.value
        try:
            return constructor(self._safe, node)
        except (yaml.YAMLError, ValueError) as exc:
            self.problem(node, f"cannot read this {node.tag!r} value: {exc}")
            return node.value
