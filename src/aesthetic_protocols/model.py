"""The protocol file format (DESIGN.md 3b) as pydantic v2 models.

Every model forbids unknown fields (a typo like `nxt:` is an error, not silently dropped) and every
text field is a strict string, so YAML 1.1 retyping (`label: no` -> False, `version: 1.10` -> 1.1)
is refused instead of shown to a practitioner as "False".
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, StringConstraints

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

Slug = Annotated[StrictStr, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
Key = Annotated[StrictStr, StringConstraints(pattern=KEY_PATTERN)]
Variable = Annotated[StrictStr, StringConstraints(pattern=VARIABLE_PATTERN, max_length=40)]
RefKey = Annotated[StrictStr, StringConstraints(pattern=REF_KEY_PATTERN, max_length=40)]
Text = Annotated[StrictStr, StringConstraints(min_length=1, max_length=4000)]
Line = Annotated[StrictStr, StringConstraints(min_length=1, max_length=400)]
# A headline is read at a glance from a metre away: one short line.
Headline = Annotated[StrictStr, StringConstraints(min_length=1, max_length=120)]
# Bounds and scale factors a protocol may state. A larger figure is no clinical quantity, and an unbounded
# integer would be a way to stall or crash the walker (int-to-text limits).
MAGNITUDE = 1_000_000
Number = Annotated[StrictInt | float, Field(ge=-MAGNITUDE, le=MAGNITUDE, allow_inf_nan=False)]


class Strict(BaseModel):
    """Base of every model: unknown fields refused, values never retyped, immutable."""

    # defer_build: the validators are built on first validation, not at import, so a walk started from the
    # cache of validated protocols (see `cache`) never pays for them.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


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


class Reference(Strict):
    """A source: its full citation and, optionally, where to read it."""

    citation: Text
    url: Line | None = None


class Review(Strict):
    """Who approved the protocol and when, and when it is next reviewed."""

    approved_by: Line | None = None
    approved_on: date | None = None
    last_reviewed: date | None = None
    next_review: date | None = None


class RedFlag(Strict):
    """A sign that, at any step, jumps straight to `goto` with one keystroke."""

    key: Key
    label: Line
    goto: Slug
    # The least urgent outcome this flag may lead to (rule `red-flag-target`): a red flag is an emergency
    # unless the file says it only needs a referral.
    severity: Literal["emergency", "refer"] = "emergency"


class Option(Strict):
    """One answer to a question: its key, its label and the step it leads to."""

    key: Key
    label: Line
    next: Slug
    # Shown beside the option, e.g. "weak evidence: case reports only".
    detail: Text | None = None
    refs: list[RefKey] = Field(default_factory=list)


class Derived(Strict):
    """A value computed from an input variable: `times` per unit, offered only up to `max_input`.

    Beyond `max_input` the value reads `beyond_text` (e.g. "get senior help"), never an extrapolation.
    """

    variable: Variable
    times: StrictInt = Field(gt=0, le=1_000_000)
    unit: Line
    max_input: StrictInt | None = Field(default=None, ge=0)
    beyond_text: Line = "beyond the protocol's table: get senior help"


class NodeBase(Strict):
    """What every step has: a title, optional text, its sources and any disagreement among them."""

    title: Line
    text: Text | None = None
    refs: list[RefKey] = Field(default_factory=list)
    # Where sources disagree the node says so, in its own words, instead of choosing silently.
    disagreement: Text | None = None
    # The one line that must be seen at once (a dose, "Call an ambulance now"); may use {variables}.
    headline: Headline | None = None
    # Nodes every path from the start must pass before this one (e.g. an infection check before a
    # steroid); checked by the `requires-before` rule.
    requires: list[Slug] = Field(default_factory=list)


class QuestionNode(NodeBase):
    """A question answered by one option's key."""

    kind: Literal["question"]
    options: list[Option] = Field(min_length=1, max_length=26)


class ActionNode(NodeBase):
    """Things to do (a checklist), confirmed with one keystroke."""

    kind: Literal["action"]
    steps: list[Line] = Field(default_factory=list)
    next: Slug


class InputNode(NodeBase):
    """A bounded whole number, kept as `variable` for later text (e.g. the number of areas)."""

    kind: Literal["input"]
    variable: Variable
    min: StrictInt
    max: StrictInt
    unit: Line | None = None
    next: Slug


class WaitNode(NodeBase):
    """A timed reassessment: the walker counts down `minutes`."""

    kind: Literal["wait"]
    minutes: StrictInt = Field(gt=0, le=24 * 60)
    steps: list[Line] = Field(default_factory=list)
    next: Slug


class OutcomeNode(NodeBase):
    """Where a walk ends, with how urgent that ending is."""

    kind: Literal["outcome"]
    severity: Annotated[OutcomeSeverity, Field(strict=False)]
    steps: list[Line] = Field(default_factory=list)


class Choice(Strict):
    """One choice of a record field: its key and its label."""

    key: Key
    label: Line


class RecordField(Strict):
    """One item of clinical data captured at a `record` node (product, batch, dose given...)."""

    id: Variable
    label: Line
    type: Literal["text", "number", "choice", "time", "date"]
    required: StrictBool = True
    # number: the unit is part of the value ("0.5" means nothing without "mL"); rule `record-field-unit`.
    unit: Line | None = None
    min: Number | None = None
    max: Number | None = None
    decimals: StrictInt = Field(default=0, ge=0, le=3)
    # text: a bound on what a stressed person can type and a record can print.
    max_length: StrictInt = Field(default=120, ge=1, le=400)
    choices: list[Choice] = Field(default_factory=list, max_length=26)
    # An input variable or derived value offered as the default (e.g. the reported dose), shown as such.
    default: Variable | None = None

    def bounds_text(self) -> str | None:
        """`0-10`, `0-` or `-10`: the bounds as a trainer wrote them (None when there are none)."""
        if self.min is None and self.max is None:
            return None
        low = "" if self.min is None else f"{self.min:g}"
        high = "" if self.max is None else f"{self.max:g}"
        return f"{low}-{high}"


class RecordNode(NodeBase):
    """Clinical data captured field by field; the values go into the log and the record."""

    kind: Literal["record"]
    fields: list[RecordField] = Field(min_length=1, max_length=20)
    next: Slug


Node = Annotated[
    QuestionNode | ActionNode | InputNode | WaitNode | RecordNode | OutcomeNode,
    Field(discriminator="kind"),
]


class Protocol(Strict):
    """A protocol file: one decision tree with its sources, review and red flags."""

    id: Slug
    title: Line
    version: Annotated[StrictStr, StringConstraints(pattern=SEMVER_PATTERN)]
    status: Annotated[Status, Field(strict=False)]  # lax only to accept the enum's text value
    summary: Text | None = None
    # What changed clinically in this version, and why.
    changes: Text | None = None
    review: Review = Field(default_factory=Review)
    references: dict[RefKey, Reference] = Field(default_factory=dict)
    derived: dict[Variable, Derived] = Field(default_factory=dict)
    start: Slug
    red_flags: list[RedFlag] = Field(default_factory=list)
    nodes: dict[Slug, Node] = Field(min_length=1)


def successors(node: QuestionNode | ActionNode | InputNode | WaitNode | RecordNode | OutcomeNode) -> list[str]:
    """The node ids a node leads to, in order (red-flag jumps are not edges of the node)."""
    if isinstance(node, QuestionNode):
        return [option.next for option in node.options]
    if isinstance(node, OutcomeNode):
        return []
    return [node.next]


AnyNode = QuestionNode | ActionNode | InputNode | WaitNode | RecordNode | OutcomeNode


SCHEMA_ID = "https://aesthetic-protocols.invalid/protocol.schema.json"


def protocol_schema() -> dict[str, object]:
    """JSON Schema (2020-12) of a protocol file, for editors and outside checkers."""
    schema = Protocol.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "aesthetic-protocols protocol file", **schema}
