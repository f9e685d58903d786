"""A protocol as a walk reads it: plain data classes (no pydantic), the patterns, the enums.

The file format's validation lives in `model`: its pydantic models subclass these (a validated protocol is one
of these too) and add the constraints, validators and JSON Schema. A walk served from the cache of validated
protocols builds these classes directly (`rebuild`), so the chairside start never imports pydantic. The two
field lists are held equal by a test (tests/test_tree.py).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import date
from enum import StrEnum
from typing import Any, Literal, TypeVar

from aesthetic_protocols.facts import Condition, DateForm, Fact, FactValue, kit_conditions
from aesthetic_protocols.plain_data import dataclass

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
SLUG_RE = re.compile(SLUG_PATTERN)
# Option and red-flag keys are one lower-case letter: one keystroke, and never confused with the
# 1-based option numbers or the plain-mode words (`back`, `quit`, `note:`, `time:`).
KEY_PATTERN = r"^[a-z]$"
VARIABLE_PATTERN = r"^[a-z][a-z0-9_]*$"
SEMVER_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
REF_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
# `{name}` in a node's text shows an input value or a derived value; nothing is ever eval'd.
PLACEHOLDER_RE = re.compile(r"\{([a-z][a-z0-9_]*)\}")
# A `photo` field's value as logged: its evidence file's name, the sha256 of its bytes and its type.
EVIDENCE_NAME_RE = re.compile(r"^[0-9a-f]{64}\.(jpg|png|heic)$", re.ASCII)
# The record-field types whose values an anonymised teaching record may keep (`teaching: true`): a time, date
# or photograph dates the treatment.
TEACHING_TYPES = frozenset({"text", "number", "choice"})
# `{contact:KEY}` in a node's text names one of the tree's `contacts` (the clinic file says who; see clinic.py).
CONTACT_RE = re.compile(r"\{contact:([a-z0-9][a-z0-9-]*)\}")

# Characters that steer a terminal rather than show, or that change how text reads without being seen: C0 and
# C1 controls and DEL (ESC starts the sequences that erase lines, switch screens or write the clipboard); the
# bidirectional marks, embeddings, overrides and isolates (U+061C ALM, U+200E LRM, U+200F RLM, U+202A-U+202E,
# U+2066-U+2069) that make "dose 0005 U" read "dose 5000 U"; the zero-width and invisible characters
# (U+180E, U+200B-U+200D, U+2060-U+2064, U+206A-U+206F, U+FEFF, a BOM inside text); the line and paragraph
# separators (U+2028, U+2029) that break a line where no newline shows; and the tag characters
# (U+E0000-U+E007F) that hide text inside what looks like none.
# A paragraph (Text) may hold newlines and tabs; a one-line field nothing of the kind. The same patterns
# are in the JSON Schema, so editors and the tool agree (the tag range is written as the characters
# themselves: the one form Python, Rust and ECMAScript regular expressions all read the same).
_STEERING = (r"\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u206F"
             r"\uFEFF" + "\U000E0000-\U000E007F")
TEXT_PATTERN = rf"^[^{_STEERING}]*$"
LINE_PATTERN = rf"^[^\u0009\u000A{_STEERING}]*$"
STEERING_RE = re.compile(rf"[{_STEERING}]")
# What typed input (a note, a record field) may not hold: everything a one-line field refuses.
TYPED_STEERING_RE = re.compile(rf"[\u0009\u000A{_STEERING}]")


HEADLINE_MAX = 120
# What `{name}` shows before its input has been answered.
NOT_ENTERED = "(not yet entered)"
MAGNITUDE = 1_000_000


class Status(StrEnum):
    """A protocol's standing: draft until a clinician approves it; retired when replaced."""

    DRAFT = "draft"
    APPROVED = "approved"
    RETIRED = "retired"


class OutcomeSeverity(StrEnum):
    """How an outcome ends the episode, from least to most urgent."""

    RESOLVED = "resolved"
    FOLLOW_UP = "follow-up"
    REFER = "refer"
    EMERGENCY = "emergency"


@dataclass(frozen=True, kw_only=True)
class Reference:
    """A source."""

    citation: str
    url: str | None = None


@dataclass(frozen=True, kw_only=True)
class Review:
    """Who approved the protocol and when."""

    approved_by: str | None = None
    approved_on: date | None = None
    last_reviewed: date | None = None
    next_review: date | None = None


@dataclass(frozen=True, kw_only=True)
class RedFlag:
    """A sign that jumps straight to `goto`."""

    key: str
    label: str
    goto: str
    severity: Literal["emergency", "refer"] = "emergency"


@dataclass(frozen=True, kw_only=True)
class Option:
    """One answer to a question."""

    key: str
    label: str
    next: str
    detail: str | None = None
    refs: Sequence[str] = field(default_factory=list)
    set: Mapping[str, FactValue] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Derived:
    """A value computed from an input variable."""

    variable: str
    times: int
    unit: str
    max_input: int | None = None
    beyond_text: str = "beyond the protocol's table: get senior help"


@dataclass(frozen=True, kw_only=True)
class NodeBase:
    """What every step has."""

    title: str
    text: str | None = None
    refs: Sequence[str] = field(default_factory=list)
    disagreement: str | None = None
    headline: str | None = None
    requires: Sequence[str] = field(default_factory=list)
    treatment: bool = False


@dataclass(frozen=True, kw_only=True)
class QuestionNode(NodeBase):
    """A question answered by one option's key."""

    kind: Literal["question"]
    options: Sequence[Option]


@dataclass(frozen=True, kw_only=True)
class ActionNode(NodeBase):
    """Things to do, confirmed with one keystroke."""

    kind: Literal["action"]
    steps: Sequence[str] = field(default_factory=list)
    next: str


@dataclass(frozen=True, kw_only=True)
class InputNode(NodeBase):
    """A bounded whole number."""

    kind: Literal["input"]
    variable: str
    min: int
    max: int
    unit: str | None = None
    next: str


@dataclass(frozen=True, kw_only=True)
class WaitNode(NodeBase):
    """A timed reassessment."""

    kind: Literal["wait"]
    minutes: int
    steps: Sequence[str] = field(default_factory=list)
    next: str
    early: str | None = None


@dataclass(frozen=True, kw_only=True)
class LogKey:
    """One thing logged with its time until handover."""

    key: str
    label: str


@dataclass(frozen=True, kw_only=True)
class HandoverTimer:
    """A countdown shown until handover (`from_` is `from` in the file)."""

    label: str
    every_minutes: int
    from_: str


@dataclass(frozen=True, kw_only=True)
class UntilHandover:
    """What is logged and timed until handover."""

    log: Sequence[LogKey] = field(default_factory=list)
    timers: Sequence[HandoverTimer] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class OutcomeNode(NodeBase):
    """Where a walk ends."""

    kind: Literal["outcome"]
    severity: OutcomeSeverity
    steps: Sequence[str] = field(default_factory=list)
    until_handover: UntilHandover | None = None


@dataclass(frozen=True, kw_only=True)
class Choice:
    """One choice of a record field."""

    key: str
    label: str


@dataclass(frozen=True, kw_only=True)
class RecordField:
    """One item of clinical data captured at a `record` node."""

    id: str
    label: str
    type: Literal["text", "number", "choice", "time", "date", "photo"]
    required: bool = True
    unit: str | None = None
    min: int | float | None = None
    max: int | float | None = None
    decimals: int = 0
    max_length: int = 120
    choices: Sequence[Choice] = field(default_factory=list)
    default: str | None = None
    max_ahead_minutes: int | None = None
    not_after: DateForm | None = None
    not_before: DateForm | None = None
    teaching: bool = False

    def bounds_text(self) -> str | None:
        """`0-10`, `at least 0` or `at most 10`: the bounds in words (None when there are none)."""
        if self.min is None and self.max is None:
            return None
        if self.max is None:
            return f"at least {self.min:g}"
        if self.min is None:
            return f"at most {self.max:g}"
        return f"{self.min:g}-{self.max:g}"


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One rule of a decide node."""

    when: Condition
    next: str
    because: str


@dataclass(frozen=True, kw_only=True)
class DecideNode(NodeBase):
    """A step the engine routes by itself."""

    kind: Literal["decide"]
    rules: Sequence[Rule]
    otherwise: str


@dataclass(frozen=True, kw_only=True)
class RecordNode(NodeBase):
    """Clinical data captured field by field."""

    kind: Literal["record"]
    fields: Sequence[RecordField]
    next: str


AnyNode = QuestionNode | ActionNode | InputNode | WaitNode | RecordNode | DecideNode | OutcomeNode


@dataclass(frozen=True, kw_only=True)
class Protocol:
    """A protocol: one decision tree with its sources, review and red flags."""

    id: str
    title: str
    version: str
    status: Status
    summary: str | None = None
    changes: str | None = None
    review: Review = field(default_factory=Review)
    references: Mapping[str, Reference] = field(default_factory=dict)
    facts: Mapping[str, Fact] = field(default_factory=dict)
    derived: Mapping[str, Derived] = field(default_factory=dict)
    contacts: Mapping[str, str] = field(default_factory=dict)
    start: str
    red_flags: Sequence[RedFlag] = field(default_factory=list)
    nodes: Mapping[str, AnyNode]

    def reads_kit(self) -> bool:
        """Whether a decide node reads the clinic file's kit (`{kit: ITEM, expired: true}` ...): the walk then
        needs the clinic file, as a tree naming contacts does."""
        return any(next(kit_conditions(rule.when), None) is not None
                   for node in self.nodes.values() if isinstance(node, DecideNode) for rule in node.rules)


T = TypeVar("T")


def replaced(item: T, **changes: Any) -> T:
    """A copy of a plain or a validated (pydantic) instance with some fields changed, unvalidated."""
    new = copy.copy(item)
    new.__dict__.update(changes)  # past a frozen class's __setattr__, as model_copy(update=...) goes
    return new
