"""YAML -> Protocol, strictly, with every problem located at `file:line:col`.

The file goes through three gates before any Python object is built from it: a size bound, a strict
UTF-8 decode, and a streaming pass over the parser's events that bounds nesting depth and rejects
anchors, aliases, explicit tags and extra documents. Only then is it composed (depth is now bounded,
so neither the pure-Python nor the C composer can recurse deeply) and converted by hand, which is where
duplicate keys are caught and every key's position is remembered for pydantic's error `loc`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ValidationError

from aesthetic_protocols.errors import InvalidProtocol, Problem, Severity
from aesthetic_protocols.model import MAGNITUDE, STEERING_RE, AnyNode, Protocol
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.source import MAX_BYTES, Loaded, PathKey, Position, Source, child_of

MAX_DEPTH = 64
# Problems shown per file: the first 100, then one line saying how many more (see `more_problems`).
MAX_PROBLEMS = 100
# A YAML 1.1 number or date longer than this is never a protocol value, and building one is where the time
# goes: a base-60 integer (`59:59:...`) costs time quadratic in its length, a decimal one meets Python's
# int-to-text limit. Such a scalar is kept as an `Unreadable` and reported at its field by the schema.
MAX_VALUE_TEXT = 64

_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Unreadable:
    """A plain scalar YAML would turn into a value that cannot be built: an impossible date (2026-02-30)
    or a number too long to be one. Kept in the data so that the schema names the field it stands in."""

    what: str  # "date" or "number"

    def message(self) -> str:
        """The reason, in the trainer's words (the text itself is never repeated)."""
        if self.what == "date":
            return "is not a real date (YYYY-MM-DD)"
        return f"is a number longer than {MAX_VALUE_TEXT} characters"


class _Reject(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _problem(path: str, mark: Any | None, rule: str, message: str) -> Problem:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Problem(path, line, column, Severity.ERROR, rule, message)


def _quoted_removed(text: str) -> str:
    # PyYAML's messages may quote a fragment of the input; errors never echo input values. A quoted run of
    # punctuation (`expected ':'`) is the grammar speaking, not the input, and stays.
    def scrub(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        return match.group(0) if inner and not any(ch.isalnum() for ch in inner) else "a character"

    return re.sub(r"'[^']*'|\"[^\"]*\"", scrub, text).strip()


def read_text(path: Path, display: str, max_bytes: int = MAX_BYTES) -> tuple[str, str]:
    """Read a protocol file within the size bound; return (text, sha256 of its bytes)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _Reject(Problem(display, 1, 1, Severity.ERROR, "file-size",
                                  f"file is {size} bytes; the limit is {max_bytes}"))
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise _Reject(Problem(display, 1, 1, Severity.ERROR, "read", f"cannot read file: {exc.strerror}")) from None
    if len(raw) > max_bytes:  # grew since stat
        raise _Reject(Problem(display, 1, 1, Severity.ERROR, "file-size", f"file exceeds {max_bytes} bytes"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8")) + 1  # in characters, as YAML marks are
        raise _Reject(Problem(display, line, column, Severity.ERROR, "encoding",
                              "file is not valid UTF-8")) from None
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise _Reject(Problem(display, line, column, Severity.ERROR, "encoding", "file contains a NUL byte"))
    return text, hashlib.sha256(raw).hexdigest()


_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
# A plain decimal integer without a leading zero (YAML 1.1 reads 012 as octal), separators or base-60: read
# directly, as the resolver and SafeConstructor would, at a fraction of their cost (a list of 100,000s).
_DECIMAL = re.compile(r"-?[1-9][0-9]{0,17}|0")


class _Builder:
    """One streaming pass over the parser's events builds the data and its positions.

    The gates are applied as each event arrives (depth, anchors, aliases, tags, documents, duplicate keys),
    so hostile input is refused before the structure it would build exists, and no compose tree is made.
    The loop is the hot path of `validate` on large trees: it dispatches on the event's exact class and
    remembers how each plain scalar text resolved.
    """

    def __init__(self, display: str, max_depth: int) -> None:
        self.display = display
        self.max_depth = max_depth
        self.positions: dict[PathKey, Position] = {}
        self.resolve: Any = yaml.resolver.Resolver().resolve
        self.constructor = yaml.constructor.SafeConstructor()
        self.plain: dict[str, tuple[str, Any]] = {}  # plain scalar text -> (tag, value); values are immutable
        self.kinds: dict[PathKey, Position] = {}
        self.values: dict[PathKey, Position] = {}

    def reject(self, mark: Any, rule: str, message: str) -> _Reject:
        return _Reject(_problem(self.display, mark, rule, message))

    def scalar(self, event: Any) -> tuple[str, Any]:
        """Resolve and construct a plain scalar seen for the first time."""
        text = event.value
        if event.implicit[0] and _DECIMAL.fullmatch(text):  # the commonest number, as YAML 1.1 builds it
            self.plain[text] = (_INT_TAG, int(text))
            return self.plain[text]
        tag: str = self.resolve(yaml.ScalarNode, text, event.implicit)
        value: Any = text
        if tag not in (_STR_TAG, _MERGE_TAG):  # a merge key is refused by the caller, never constructed
            what = "date" if tag == _TIMESTAMP_TAG else "number"
            if len(text) > MAX_VALUE_TEXT:
                value = Unreadable(what)
            else:
                try:
                    value = self.constructor.construct_object(yaml.ScalarNode(tag, text, None, None, event.style))
                except Exception:  # e.g. a date YAML recognises but that does not exist (2026-02-30)
                    value = Unreadable(what)
        self.plain[text] = (tag, value)
        return tag, value

    def build(self, text: str) -> Any:
        scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
        positions, plain = self.positions, self.plain
        # Each open collection is [container, its path, pending key (mappings only)].
        stack: list[list[Any]] = []
        root: Any = None
        documents = 0
        event: Any
        seq_end, map_end, stream_end = yaml.SequenceEndEvent, yaml.MappingEndEvent, yaml.StreamEndEvent
        max_depth = self.max_depth
        loader = _SafeLoader(text)
        next_event = loader.get_event  # driven directly: no generator between the parser and this loop
        while True:
            event = next_event()
            kind = event.__class__
            if kind is seq_end or kind is map_end:
                stack.pop()
                continue
            if kind is scalar_event or kind is mapping_start or kind is sequence_start:
                mark: Any = event.start_mark
                if event.anchor is not None or event.tag is not None:
                    if event.anchor is not None:
                        raise self.reject(mark, "yaml-anchor", "anchors (&name) are not allowed in protocols")
                    raise self.reject(mark, "yaml-tag", "explicit tags (!tag, !!type) are not allowed")
                if kind is scalar_event:
                    if not event.implicit[0]:  # quoted or block text: always a string
                        tag, value = _STR_TAG, event.value
                    else:
                        tag, value = plain.get(event.value) or self.scalar(event)
                else:
                    if len(stack) >= max_depth:
                        raise self.reject(mark, "yaml-depth", f"nesting deeper than {max_depth} levels")
                    tag, value = "", {} if kind is mapping_start else []
            elif kind is yaml.AliasEvent:
                raise self.reject(event.start_mark, "yaml-alias", "aliases (*name) are not allowed in protocols")
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.reject(event.start_mark, "yaml-documents", "a protocol file holds one document")
                continue
            elif kind is stream_end:
                break
            else:
                continue  # document ends and the stream's start
            if not stack:
                if kind is not mapping_start:
                    raise self.reject(mark, "yaml-not-mapping", "a protocol file is a mapping of fields")
                root = value
                positions[()] = (mark.line + 1, mark.column + 1)
                stack.append([value, (), _NO_KEY])
                continue
            frame = stack[-1]
            container, here, key = frame
            # Below _POSITION_DEPTH no protocol field lives, and copying ever longer paths would make deep
            # nesting cost time quadratic in its depth: `here` is None there and nothing is recorded.
            if container.__class__ is list:
                child: PathKey | None = None
                if here is not None:
                    path: PathKey = (*here, len(container))
                    positions[path] = (mark.line + 1, mark.column + 1)
                    child = path if len(path) < _POSITION_DEPTH else None
                container.append(value)
                if tag == "":
                    stack.append([value, child, _NO_KEY])
            elif key is _NO_KEY:  # this node is a key
                if tag == "":
                    raise self.reject(mark, "yaml-key", "mapping keys must be plain text")
                if tag == _MERGE_TAG:
                    raise self.reject(mark, "yaml-merge", "merge keys (<<) are not allowed")
                try:
                    duplicate = value in container
                except TypeError:
                    raise self.reject(mark, "yaml-key", "unhashable key") from None
                if here is not None:
                    child = (*here, value)
                    if duplicate:
                        first = positions.get(child, (0, 0))[0]
                        raise self.reject(mark, "duplicate-key", f"duplicate key; first defined at line {first}")
                    positions[child] = (mark.line + 1, mark.column + 1)
                elif duplicate:
                    raise self.reject(mark, "duplicate-key", "duplicate key")
                frame[2] = value
            else:
                container[key] = value
                frame[2] = _NO_KEY
                if here is not None:
                    if key == "kind":  # an unknown kind is reported at its value, not at the node
                        self.kinds[here] = (mark.line + 1, mark.column + 1)
                    elif key in ("fact", "kit") or here[-1:] == ("set",):  # a condition's fact or item, a set value
                        self.values[(*here, key)] = (mark.line + 1, mark.column + 1)
                    if tag == "":  # only a collection needs its path: it will hold positions of its own
                        stack.append([value, (*here, key) if len(here) < _POSITION_DEPTH - 1 else None, _NO_KEY])
                elif tag == "":
                    stack.append([value, None, _NO_KEY])
        if documents == 0 or root is None:
            raise self.reject(None, "yaml-empty", "file is empty")
        return root


_NO_KEY = object()
_POSITION_DEPTH = 16  # the deepest protocol field is 7 levels down (nodes.x.fields[0].choices[0].label)


def parse_source(path: Path, display: str | None = None, max_bytes: int = MAX_BYTES,
                 max_depth: int = MAX_DEPTH) -> Source:
    """Read and parse a YAML file through the gates. Raises InvalidProtocol with one located problem."""
    shown = display if display is not None else str(path)
    try:
        text, digest = read_text(path, shown, max_bytes)
        builder = _Builder(shown, max_depth)
        try:
            data = builder.build(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            if exc.problem == "exceeded maximum nesting depth":  # libyaml's own bound, met while scanning ahead
                raise _Reject(_problem(shown, mark, "yaml-depth", f"nesting deeper than {max_depth} levels")) from None
            reason = _quoted_removed(exc.problem or exc.context or "malformed YAML")
            raise _Reject(_problem(shown, mark, "yaml-syntax", reason)) from None
        except yaml.YAMLError:
            raise _Reject(_problem(shown, None, "yaml-syntax", "malformed YAML")) from None
    except _Reject as reject:
        raise InvalidProtocol([reject.problem]) from None
    return Source(shown, data, builder.positions, digest, builder.kinds, builder.values)


def node_kinds() -> list[str]:
    """The node kinds the model knows, in its order (the `kind` tags of the node union)."""
    kinds: list[str] = []
    for member in get_args(AnyNode):
        kinds += [str(tag) for tag in get_args(member.model_fields["kind"].annotation)]
    return kinds


def _kinds_text() -> str:
    kinds = node_kinds()
    return f"{', '.join(kinds[:-1])} or {kinds[-1]}" if len(kinds) > 1 else "".join(kinds)


# pydantic messages that would echo the input are replaced by these.
_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "missing required field",
    "string_type": "must be text (quote it: YAML reads yes/no/on/off as booleans and 1.10 as a number)",
    "int_type": "must be a whole number",
    "date_type": "must be a date (YYYY-MM-DD)",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "model_type": "must be a mapping of fields",
}

# What a mapping's keys must look like, by the mapping's field name (a key of the wrong form).
_KEY_HINTS = {
    "nodes": "a node id must be a slug: lower-case letters, digits and '-'",
    "references": "a reference key must be letters, digits, '.', '_' or '-', starting with a letter or digit",
    "derived": "a derived value's name must be a lower-case name (letters, digits, _)",
    "contacts": "a contact key must be a slug: lower-case letters, digits and '-'",
}

_SHOWN_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")


def shown_name(name: object) -> str:
    """A field or key name from the file, quoted, fit for a terminal: a name that is not plain letters,
    digits, '_' or '-' (control characters, escape sequences, anything long) is not repeated."""
    text = str(name)
    return f"'{text}'" if _SHOWN_NAME.fullmatch(text) else "(a name with other characters)"


def _path_part(part: object) -> str:
    """A key as part of a field path: a key that is not a plain name (a node id holding an escape sequence)
    is not repeated, so a message never carries what could steer the terminal it is printed on."""
    text = str(part)
    return text if _SHOWN_NAME.fullmatch(text) else "(name with other characters)"


def _value_at(source: Source, loc: Sequence[str | int]) -> Any:
    here: Any = source.data
    for part in loc:
        present, child = child_of(here, part)
        if present:
            here = child
    return here


def _field_name(source: Source, loc: Sequence[str | int], named_last: bool = False) -> str:
    """`nodes.ask.options[0].label`: the path as the file spells it (pydantic's union tags left out; the
    last part kept although absent only when it names a missing or unknown field)."""
    here: Any = source.data
    parts: list[str] = []
    for index, part in enumerate(loc):
        present, child = child_of(here, part)
        if present:
            here = child
            parts.append(f"[{part}]" if isinstance(part, int) else f".{_path_part(part)}")
        elif named_last and index == len(loc) - 1 and isinstance(part, str):
            parts.append(f".{_path_part(part)}")  # the missing or unknown field itself
    return "".join(parts).lstrip(".") or "protocol"


def _rule_and_message(source: Source, loc: Sequence[str | int], error: Any) -> tuple[str, str]:
    """The rule id and message of one pydantic error: the text and magnitude rules have ids of their own."""
    kind, ctx = error["type"], error.get("ctx") or {}
    value = _value_at(source, loc)
    if kind == "string_pattern_mismatch" and isinstance(value, str) and not (loc and loc[-1] == "[key]"):
        steering = STEERING_RE.search(value)
        if steering is not None:  # the code point only: it is no patient data, and the character itself is unsafe
            return "text-control", (f"{_field_name(source, loc)}: holds a control, invisible or direction "
                                    f"character (U+{ord(steering.group()):04X}), which could change what a "
                                    f"terminal shows")
        if "\n" in value or "\t" in value:
            return "text-control", f"{_field_name(source, loc)}: a one-line field holds a line break or a tab"
    if kind == "magnitude" or (kind in ("less_than_equal", "greater_than_equal")
                               and abs(ctx.get("le", ctx.get("ge", 0))) == MAGNITUDE):
        reason = error["msg"] if kind == "magnitude" else f"beyond the limit of +-{MAGNITUDE:,}"
        return "magnitude", f"{_field_name(source, loc)}: {reason}"
    return "schema", _schema_message(source, loc, kind, error["msg"])


def _schema_message(source: Source, loc: Sequence[str | int], kind: str, msg: str) -> str:
    if kind == "invalid_key" or (loc and loc[-1] == "[key]"):
        # A mapping key of the wrong type (YAML read it as a number or boolean) or form (`Bad_Id:`).
        parent = loc[:-2] if loc and loc[-1] == "[key]" else loc[:-1]
        where = _field_name(source, parent)
        last = next((str(part) for part in reversed(parent) if isinstance(part, str)), "")
        if kind == "string_pattern_mismatch" and last in _KEY_HINTS:
            return f"{where}: {_KEY_HINTS[last]}"
        if kind == "string_too_long":
            return f"{where}: a key is too long"
        return f"{where}: keys must be text (quote a key YAML would read as a number or yes/no)"
    value = _value_at(source, loc)
    if isinstance(value, Unreadable) and kind not in ("extra_forbidden", "missing", "string_type"):
        return f"{_field_name(source, loc)}: {value.message()}"
    if kind == "extra_forbidden":
        return f"unknown field {shown_name(loc[-1])}" if loc else "unknown field"
    if kind == "missing":
        return f"missing required field '{loc[-1]}'" if loc else "missing required field"
    if kind == "date_impossible":
        return f"{_field_name(source, loc)}: {msg}"
    if kind == "union_tag_invalid":
        return f"{_field_name(source, loc)}.kind: unknown node kind; expected {_kinds_text()}"
    if kind == "union_tag_not_found":
        return f"{_field_name(source, loc)}: node has no 'kind' ({_kinds_text()})"
    if kind in _MESSAGES:
        return f"{_field_name(source, loc)}: {_MESSAGES[kind]}"
    if kind == "string_pattern_mismatch":
        return f"{_field_name(source, loc)}: {_pattern_hint(loc)}"
    return f"{_field_name(source, loc)}: {msg}"


def schema_problems(source: Source, exc: ValidationError) -> list[Problem]:
    """pydantic errors -> located problems, without echoing input values; the first MAX_PROBLEMS, then one
    line saying how many more there are (a 1 MiB list of numbers would otherwise print 100,000s of lines)."""
    problems: list[Problem] = []
    seen: set[tuple[int, int, str]] = set()
    errors = exc.errors(include_input=False, include_url=False)
    for done, error in enumerate(errors):
        if len(problems) >= MAX_PROBLEMS:
            problems.append(more_problems(source.path, problems[-1], len(errors) - done))
            break
        loc = error["loc"]
        kind = error["type"]
        line, column = source.where(loc)
        if kind == "union_tag_invalid":
            line, column = source.kinds.get(tuple(loc), (line, column))
        rule, message = _rule_and_message(source, loc, error)
        # Each member of a union reports the same place: say it once. Missing fields all stand at their
        # parent and are told apart by their names.
        key = (line, column, message if kind == "missing" else "")
        if key not in seen:
            seen.add(key)
            problems.append(Problem(source.path, line, column, Severity.ERROR, rule, message))
    return problems


def more_problems(path: str, last: Problem, count: int) -> Problem:
    """The one line standing for `count` problems not shown, at the last one shown."""
    return Problem(path, last.line, last.column, last.severity, last.rule,
                   f"{count:,} more problem(s) not shown: fix the first {MAX_PROBLEMS} and validate again")


def _pattern_hint(loc: Sequence[str | int]) -> str:
    last = next((str(part) for part in reversed(loc) if isinstance(part, str)), "")
    hints = {
        "version": "must be a semantic version such as 1.0.0",
        "key": "must be one lower-case letter",
        "variable": "must be a lower-case name (letters, digits, _)",
        "phone": "must be a phone number: digits, spaces, +, - and parentheses",
    }
    if last in hints:
        return hints[last]
    if last in {"id", "start", "next", "goto", "item"} or "nodes" in loc:
        return "must be a slug: lower-case letters, digits and '-'"
    return "has the wrong form"


def build_model(model: type[M], source: Source) -> M:
    """Validate parsed data against a model; raises InvalidProtocol with every schema problem, located."""
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        raise InvalidProtocol(schema_problems(source, exc)) from None


def build(source: Source) -> Protocol:
    """Validate parsed data against the protocol model."""
    return build_model(Protocol, source)


def load_file(path: Path, display: str | None = None) -> Loaded:
    """Parse and validate one protocol file (schema only; graph rules are in `checks`)."""
    source = parse_source(path, display)
    return Loaded(build(source), source)
