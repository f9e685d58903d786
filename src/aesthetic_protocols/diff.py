"""What changed in the guidance between two versions of a protocol, node by node.

The comparison is of the validated models, not of the files: reformatting, comments and key order are
no change. Nodes are matched by id; a removed node and an added node with the same content are one node
renamed. Every changed field is one `Change`; text fields carry a word-level diff. Changes to what a
practitioner is told or where the walk goes are clinical; the version, review, status, summary, the
`changes` note and the sources (citations, `refs`) are not. A clinical change without a version change is
the one problem this module reports.

Pure data: the renderers are in `report.diff`; `replay` reuses `node_changes` for the walked path.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import field, replace
from datetime import date
from pathlib import Path
from typing import Any

from aesthetic_protocols.errors import InvalidProtocol, Problem, Severity, UsageError
from aesthetic_protocols.loader import build, parse_source
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.search import resolve_id
from aesthetic_protocols.source import Loaded
from aesthetic_protocols.tree import PLACEHOLDER_RE, SEMVER_PATTERN, Protocol

# (op, words): "=" the same in both, "-" only in the old text, "+" only in the new.
Segment = tuple[str, str]

# Protocol-level fields that say nothing about the care itself.
_EDITORIAL = {"id", "title", "version", "status", "summary", "review", "changes", "references"}
# Keys whose values are node ids (a renamed node's old id is read as its new one).
_TARGET_KEYS = {"next", "goto", "start"}
# List items matched by these keys (options and red flags by key, record fields by id), not by position.
_ITEM_KEYS = ("key", "id")


@dataclass(frozen=True)
class Change:
    """One changed field: `where` it is (`text`, `steps 3`, `options[y].next`), its old and new values
    (None when added or removed), the word-level diff of a text, and whether it changes the care."""

    where: str
    old: Any
    new: Any
    words: tuple[Segment, ...] = ()
    clinical: bool = True

    @property
    def added(self) -> bool:
        return self.old is None and self.new is not None

    @property
    def removed(self) -> bool:
        return self.new is None and self.old is not None


@dataclass(frozen=True)
class NodeDiff:
    """A node that differs: `status` is added, removed, renamed (from `was`) or changed (see `changes`)."""

    node: str
    status: str
    kind: str
    title: str
    was: str | None = None
    changes: tuple[Change, ...] = ()

    @property
    def clinical(self) -> bool:
        return self.status != "changed" or any(c.clinical for c in self.changes)


@dataclass(frozen=True)
class ProtocolDiff:
    """Every difference between two versions of a protocol, and the problems the comparison finds."""

    old_id: str
    new_id: str
    old_version: str
    new_version: str
    protocol: tuple[Change, ...] = ()
    red_flags: tuple[Change, ...] = ()
    references: tuple[Change, ...] = ()
    derived: tuple[Change, ...] = ()
    nodes: tuple[NodeDiff, ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def same(self) -> bool:
        """True when nothing in the guidance, its sources or its metadata differs."""
        return not (self.protocol or self.red_flags or self.references or self.derived or self.nodes)

    @property
    def clinical_count(self) -> int:
        """How many clinical changes: each field, and each node added, removed or renamed, counts once."""
        fields = [*self.protocol, *self.red_flags, *self.references, *self.derived]
        count = sum(c.clinical for c in fields)
        for node in self.nodes:
            count += 1 if node.status != "changed" else sum(c.clinical for c in node.changes)
        return count

    @property
    def other_count(self) -> int:
        """How many changes are not clinical (sources, metadata)."""
        fields = [*self.protocol, *self.red_flags, *self.references, *self.derived]
        return sum(not c.clinical for c in fields) + sum(
            not c.clinical for node in self.nodes if node.status == "changed" for c in node.changes)

    @property
    def renames(self) -> dict[str, str]:
        """Old node id -> new node id, for the nodes renamed with the same content."""
        return {n.was: n.node for n in self.nodes if n.status == "renamed" and n.was is not None}

    def node(self, node_id: str) -> NodeDiff | None:
        """The difference recorded for a node of the NEW version (by its new id), if any."""
        return next((n for n in self.nodes if n.node == node_id and n.status != "removed"), None)


# --- word-level text differences -------------------------------------------------------------------

# Words and punctuation are separate tokens ("500 U," -> 500, U, ","), each remembering whether a space
# came before it, so a changed number or a comma shows as itself and the text is rebuilt as written.
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _tokens(text: str) -> list[tuple[str, bool]]:
    return [(m.group(), m.start() > 0 and text[m.start() - 1].isspace()) for m in _TOKEN.finditer(text)]


def _join(tokens: Sequence[tuple[str, bool]]) -> str:
    """Tokens as written: a run keeps the space before its first token, so runs concatenate back to the text."""
    return "".join((" " if spaced else "") + token for token, spaced in tokens)


def word_diff(old: str, new: str) -> tuple[Segment, ...]:
    """The two texts as runs of words kept, removed and added (whitespace differences are no change).

    Each run starts with the space written before it, if any: the kept and removed runs concatenate to the
    old text, the kept and added runs to the new one (with single spaces)."""
    a, b = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(None, [t for t, _ in a], [t for t, _ in b], autojunk=False)
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            # Spaced if either text has a space there: a run must never run into a removed word before it.
            first = (b[j1][0], b[j1][1] or a[i1][1])
            segments.append(("=", _join([first, *b[j1 + 1:j2]])))
            continue
        if i2 > i1:
            segments.append(("-", _join(a[i1:i2])))
        if j2 > j1:
            segments.append(("+", _join(b[j1:j2])))
    return tuple(segments)


# --- comparing any two model dumps ------------------------------------------------------------------


def _retarget(data: Any, rename: Mapping[str, str]) -> Any:
    """`data` with every node id it points to (`next`, `goto`, `requires`) read through `rename`."""
    if not rename:
        return data
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in _TARGET_KEYS and isinstance(value, str):
                out[key] = rename.get(value, value)
            elif key == "requires" and isinstance(value, list):
                out[key] = [rename.get(v, v) if isinstance(v, str) else v for v in value]
            else:
                out[key] = _retarget(value, rename)
        return out
    if isinstance(data, list):
        return [_retarget(item, rename) for item in data]
    return data


def _item_key(items: Sequence[Any]) -> str | None:
    """The key that identifies the items of a list of mappings (options by `key`, fields by `id`)."""
    for name in _ITEM_KEYS:
        if items and all(isinstance(i, dict) and isinstance(i.get(name), str) for i in items):
            return name
    return None


def _is_editorial(where: str) -> bool:
    """Sources are not care: a node's or option's `refs` changing is listed, but is not clinical."""
    return where == "refs" or where.startswith("refs ") or ".refs" in where


def compare(where: str, old: Any, new: Any) -> Iterator[Change]:
    """Every difference between two dumped values, as Changes located under `where`."""
    if old == new:
        return
    if old is None or new is None or type(old) is not type(new):
        yield Change(where, old, new, clinical=not _is_editorial(where))
    elif isinstance(old, str):
        yield Change(where, old, new, word_diff(old, new), clinical=not _is_editorial(where))
    elif isinstance(old, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            yield from compare(f"{where}.{key}" if where else str(key), old.get(key), new.get(key))
    elif isinstance(old, list):
        yield from _compare_lists(where, old, new)
    else:
        yield Change(where, old, new, clinical=not _is_editorial(where))


def _keyed(where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    """A mapping of named items (references, doses) compared item by item: `where[name]`."""
    for name in [*old, *(k for k in new if k not in old)]:
        yield from compare(f"{where}[{name}]", old.get(name), new.get(name))


def _compare_lists(where: str, old: list[Any], new: list[Any]) -> Iterator[Change]:
    key = _item_key(old + new) if (old or new) else None
    if key is not None:
        yield from _keyed(where, {item[key]: item for item in old}, {item[key]: item for item in new})
        return
    if not all(isinstance(item, str) for item in old + new):
        yield Change(where, old, new, clinical=not _is_editorial(where))
        return
    # Lines (steps, refs): matched in order; a line replaced one for one is a changed line with its words.
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for offset in range(i2 - i1):
                yield from compare(f"{where} {j1 + offset + 1}", old[i1 + offset], new[j1 + offset])
            continue
        for index in range(i1, i2):
            yield Change(f"{where} {index + 1}", old[index], None, clinical=not _is_editorial(where))
        for index in range(j1, j2):
            yield Change(f"{where} {index + 1}", None, new[index], clinical=not _is_editorial(where))


# --- protocols --------------------------------------------------------------------------------------


def _dump(protocol: Protocol) -> dict[str, Any]:
    from aesthetic_protocols.rebuild import dump

    return dict(dump(protocol))


def _placeholders(node: Mapping[str, Any]) -> set[str]:
    """The `{names}` a dumped node's texts use."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            names.update(PLACEHOLDER_RE.findall(value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node)
    return names


def _renames(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, str]:
    """Removed node id -> added node id, where the content is the same under a new id.

    Found from the leaves up: a node pointing at a renamed node matches once that rename is known. A
    cycle of nodes all renamed at once is beyond this and shows as nodes removed and added.
    """
    rename: dict[str, str] = {}
    found = True
    while found:
        found = False
        added = [nid for nid in new if nid not in old and nid not in rename.values()]
        for nid in (n for n in old if n not in new and n not in rename):
            match = next((a for a in added if _retarget(old[nid], {**rename, nid: a}) == new[a]), None)
            if match is not None:
                rename[nid] = match
                added.remove(match)
                found = True
    return rename


def _dose_text(derived: Mapping[str, Any]) -> str:
    """A dose table in words: `500 U per areas, up to 3`."""
    limit = f", up to {derived['max_input']}" if derived.get("max_input") is not None else ""
    return f"{derived.get('times')} {derived.get('unit')} per {derived.get('variable')}{limit}"


def _version_key(version: str) -> tuple[int, int, int]:
    match = re.match(SEMVER_PATTERN, version)
    if not match:
        return (0, 0, 0)
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def diff_protocols(old: Protocol, new: Protocol) -> ProtocolDiff:
    """The node-by-node difference from `old` to `new`, with the version-bump check."""
    a, b = _dump(old), _dump(new)
    old_nodes: dict[str, Any] = a["nodes"]
    new_nodes: dict[str, Any] = b["nodes"]
    rename = _renames(old_nodes, new_nodes)
    a = _retarget(a, rename)
    old_nodes = a["nodes"]

    meta = tuple(
        Change(c.where, c.old, c.new, c.words, clinical=c.where.split(".")[0].split(" ")[0] not in _EDITORIAL)
        for key in [*a, *(k for k in b if k not in a)]
        if key not in {"nodes", "red_flags", "references", "derived"}
        for c in compare(key, a.get(key), b.get(key))
    )
    red_flags = tuple(compare("red flag", a.get("red_flags", []), b.get("red_flags", [])))
    references = tuple(Change(c.where, c.old, c.new, c.words, clinical=False)
                       for c in _keyed("reference", a.get("references", {}), b.get("references", {})))
    derived = tuple(_keyed("dose", a.get("derived", {}), b.get("derived", {})))
    changed_doses = {c.where.split("[", 1)[1].split("]", 1)[0] for c in derived}

    nodes: list[NodeDiff] = []
    renamed_to = {v: k for k, v in rename.items()}
    for nid, node in new_nodes.items():
        title, kind = str(node.get("title", "")), str(node.get("kind", ""))
        if nid in renamed_to:
            nodes.append(NodeDiff(nid, "renamed", kind, title, was=renamed_to[nid]))
        elif nid not in old_nodes:
            nodes.append(NodeDiff(nid, "added", kind, title))
        else:
            changes = list(compare("", old_nodes[nid], node))
            # A node whose text shows a dose whose table changed gives another dose now, in the same words.
            changes += [Change(f"{{{name}}}", _dose_text(a["derived"][name]), _dose_text(b["derived"][name]))
                        for name in sorted(_placeholders(node) & _placeholders(old_nodes[nid]) & changed_doses)
                        if name in a["derived"] and name in b["derived"]]
            if changes:
                nodes.append(NodeDiff(nid, "changed", kind, title, changes=tuple(changes)))
    for nid, node in old_nodes.items():
        if nid not in new_nodes and nid not in rename:
            nodes.append(NodeDiff(nid, "removed", str(node.get("kind", "")), str(node.get("title", ""))))

    result = ProtocolDiff(old.id, new.id, old.version, new.version, meta, red_flags, references, derived,
                          tuple(nodes))
    problems: list[str] = []
    if result.clinical_count and old.version == new.version:
        problems.append(f"clinical changes without a version change (still {new.version}): bump the version")
    elif _version_key(new.version) < _version_key(old.version):
        problems.append(f"the version goes down ({old.version} -> {new.version})")
    return replace(result, problems=tuple(problems))


def node_changes(result: ProtocolDiff, node_id: str) -> tuple[Change, ...]:
    """The clinical changes to a node of the new version (wording, dose, targets); empty if unchanged."""
    found = result.node(node_id)
    if found is None or found.status != "changed":
        return ()
    return tuple(c for c in found.changes if c.clinical)


# --- finding the two versions -----------------------------------------------------------------------


def is_path(ref: str) -> bool:
    """A version given as a file path (it names a folder or ends in .yaml/.yml) rather than an id."""
    return "/" in ref or os.sep in ref or ref.endswith((".yaml", ".yml"))


def load_version(ref: str, dirs: Sequence[Path], today: date) -> tuple[Loaded, list[Problem]]:
    """A protocol version by id (on the search path) or by path, fit for the engine to walk.

    A path's file name need not be the id (`git show REV:path > old.yaml` is how an old version is had).
    Only the rules the engine needs (`WALKABLE_RULES`) stop it: an old version written before a newer clinical
    rule is still compared and re-walked; its other problems are returned for the caller to mention.
    UsageError for an unknown id or a missing file; InvalidProtocol (exit 1) for a tree the engine cannot walk.
    """
    from aesthetic_protocols.checks import WALKABLE_RULES, check

    if is_path(ref):
        path = Path(ref)
        if not path.is_file():
            raise UsageError(f"no such protocol file: {path}")
    else:
        path = resolve_id(ref, dirs).path
    source = parse_source(path, str(path))
    loaded = Loaded(build(source), source)
    problems = [p for p in check(loaded.protocol, source, today) if p.severity is Severity.ERROR]
    blocking = [p for p in problems if p.rule in WALKABLE_RULES]
    if blocking:
        raise InvalidProtocol(blocking)
    return loaded, problems
