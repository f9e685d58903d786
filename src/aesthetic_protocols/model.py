"""The protocol file format (docs/protocol-format.md) as pydantic v2 models.

Every model forbids unknown fields (a typo like `nxt:` is an error, not silently dropped) and every
text field is a strict string, so YAML 1.1 retyping (`label: no` -> False, `version: 1.10` -> 1.1)
is refused instead of shown to a practitioner as "False". Text never carries control, invisible or
direction characters (they could hide or rewrite what a terminal shows), and no number is beyond
+-1,000,000. Each field's docstring is its description in the JSON Schema (editor hovers).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

# The patterns, the enums and the plain classes a walk reads are in `tree` (no pydantic); re-exported here.
from aesthetic_protocols import tree
from aesthetic_protocols.conditions import Condition, DateForm, Fact, FactName, FactValue
from aesthetic_protocols.tree import _STEERING as _STEERING
from aesthetic_protocols.tree import CONTACT_RE as CONTACT_RE
from aesthetic_protocols.tree import EVIDENCE_NAME_RE as EVIDENCE_NAME_RE
from aesthetic_protocols.tree import HEADLINE_MAX as HEADLINE_MAX
from aesthetic_protocols.tree import KEY_PATTERN as KEY_PATTERN
from aesthetic_protocols.tree import LINE_PATTERN as LINE_PATTERN
from aesthetic_protocols.tree import MAGNITUDE as MAGNITUDE
from aesthetic_protocols.tree import NOT_ENTERED as NOT_ENTERED
from aesthetic_protocols.tree import PLACEHOLDER_RE as PLACEHOLDER_RE
from aesthetic_protocols.tree import REF_KEY_PATTERN as REF_KEY_PATTERN
from aesthetic_protocols.tree import SEMVER_PATTERN as SEMVER_PATTERN
from aesthetic_protocols.tree import SLUG_PATTERN as SLUG_PATTERN
from aesthetic_protocols.tree import SLUG_RE as SLUG_RE
from aesthetic_protocols.tree import STEERING_RE as STEERING_RE
from aesthetic_protocols.tree import TEACHING_TYPES as TEACHING_TYPES
from aesthetic_protocols.tree import TEXT_PATTERN as TEXT_PATTERN
from aesthetic_protocols.tree import TYPED_STEERING_RE as TYPED_STEERING_RE
from aesthetic_protocols.tree import VARIABLE_PATTERN as VARIABLE_PATTERN
from aesthetic_protocols.tree import OutcomeSeverity as OutcomeSeverity
from aesthetic_protocols.tree import Status as Status

Slug = Annotated[StrictStr, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
Key = Annotated[StrictStr, StringConstraints(pattern=KEY_PATTERN)]
Variable = Annotated[StrictStr, StringConstraints(pattern=VARIABLE_PATTERN, max_length=40)]
RefKey = Annotated[StrictStr, StringConstraints(pattern=REF_KEY_PATTERN, max_length=40)]
Text = Annotated[StrictStr, StringConstraints(min_length=1, max_length=4000, pattern=TEXT_PATTERN)]
Line = Annotated[StrictStr, StringConstraints(min_length=1, max_length=400, pattern=LINE_PATTERN)]
# A headline is read at a glance from a metre away: one short line, also once its {variables} are filled
# (rule `headline-length`).
Headline = Annotated[StrictStr, StringConstraints(min_length=1, max_length=HEADLINE_MAX, pattern=LINE_PATTERN)]
# Bounds and scale factors a protocol may state. A larger figure is no clinical quantity, and an unbounded
# integer would be a way to stall or crash the walker (int-to-text limits).
Number = Annotated[StrictInt | float, Field(ge=-MAGNITUDE, le=MAGNITUDE, allow_inf_nan=False)]
Bound = Annotated[StrictInt, Field(ge=-MAGNITUDE, le=MAGNITUDE)]
_DATE_FORM = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date_as_written(value: Any) -> Any:
    """A date unquoted (YAML builds a date) or quoted (`"2026-11-01"`, as editors' YAML 1.2 reads every date):
    the tool reads both, as the JSON Schema (`format: date`) says."""
    if isinstance(value, str) and _DATE_FORM.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("date_impossible", "is not a real date (YYYY-MM-DD)") from None
    return value


Day = Annotated[date, BeforeValidator(_date_as_written)]


def _field_docstrings(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Each field's docstring as its description in the JSON Schema.

    Read from the source only when a schema is made: pydantic's `use_attribute_docstrings` reads it for
    every class at import, which the chairside start (served from the cache) would pay for.
    """
    import ast  # here, not at the top: only a schema needs the sources read
    import inspect

    described: dict[str, str] = {}
    for owner in reversed([c for c in model.__mro__ if issubclass(c, BaseModel) and c is not BaseModel]):
        body = ast.parse(inspect.getsource(owner)).body[0]
        assert isinstance(body, ast.ClassDef)
        for field, after in zip(body.body, body.body[1:], strict=False):
            if (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                    and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)):
                described[field.target.id] = inspect.cleandoc(after.value.value)
    properties = schema.get("properties", {})
    for name, text in described.items():
        entry = properties.get(name, properties.get(name.rstrip("_")))  # `from_` is `from` in the file
        if entry is not None:  # before the title, as pydantic puts it (kept where it does not sort keys)
            title = entry.pop("title", None)
            entry["description"] = text
            if title is not None:
                entry["title"] = title


class Strict(BaseModel):
    """Base of every model: unknown fields refused, values never retyped, immutable."""

    # defer_build: the validators are built on first validation, not at import, so a walk started from the
    # cache of validated protocols (see `cache`) never pays for them.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True,
                              json_schema_extra=_field_docstrings)


class Reference(Strict, tree.Reference):
    """A source: its full citation and, optionally, where to read it."""

    citation: Text
    """The full citation: authors, title, journal or publisher, year."""
    url: Line | None = None
    """Where to read it (a DOI or web address)."""


class Review(Strict, tree.Review):
    """Who approved the protocol and when, and when it is next reviewed."""

    approved_by: Line | None = None
    """The clinician who approved this version (required when `status: approved`)."""
    approved_on: Day | None = None
    """The date of approval, YYYY-MM-DD (required when `status: approved`)."""
    last_reviewed: Day | None = None
    """When the content was last checked against its sources, YYYY-MM-DD."""
    next_review: Day | None = None
    """When it is due for review, YYYY-MM-DD; once passed, `validate` warns (rule review-overdue)."""


class RedFlag(Strict, tree.RedFlag):
    """A sign that, at any step, jumps straight to `goto` with one keystroke."""

    key: Key
    """One lower-case letter, pressed at any prompt; not also an option key."""
    label: Line
    """The sign, as shown on every screen (e.g. "Vision change, eye pain or double vision")."""
    goto: Slug
    """The node the walk jumps to."""
    severity: Literal["emergency", "refer"] = "emergency"
    """The least urgent outcome this flag may lead to (rule red-flag-target): an emergency unless the file
    says it only needs a referral."""


class Option(Strict, tree.Option):
    """One answer to a question: its key, its label and the step it leads to."""

    key: Key
    """One lower-case letter that answers with this option (the option's number works too)."""
    label: Line
    """The answer in words."""
    next: Slug
    """The node this answer leads to."""
    detail: Text | None = None
    """Shown beside the option, e.g. "weak evidence: case reports only"."""
    refs: list[RefKey] = Field(default_factory=list)
    """Keys under `references` supporting this option."""
    set: dict[FactName, FactValue] = Field(default_factory=dict)
    """Facts this answer sets, each declared under `facts:` (e.g. `{treatment: toxin}`); a later decide reads them."""


class Derived(Strict, tree.Derived):
    """A value computed from an input variable: `times` per unit, offered only up to `max_input`.

    Beyond `max_input` the value reads `beyond_text` (e.g. "get senior help"), never an extrapolation.
    """

    variable: Variable
    """The input variable it is computed from."""
    times: StrictInt = Field(gt=0, le=MAGNITUDE)
    """How much per unit of the input (e.g. 1500 per area)."""
    unit: Line
    """The unit of the result (e.g. "U")."""
    max_input: StrictInt | None = Field(default=None, ge=0, le=MAGNITUDE)
    """The largest input the table covers; beyond it `beyond_text` is shown instead of a figure."""
    beyond_text: Line = "beyond the protocol's table: get senior help"
    """What is shown beyond `max_input`."""

    @model_validator(mode="after")
    def _bounded(self) -> Derived:
        if self.max_input is not None and self.max_input * self.times > MAGNITUDE:
            raise PydanticCustomError("magnitude", "times x max_input is beyond the limit of 1,000,000")
        return self


class NodeBase(Strict, tree.NodeBase):
    """What every step has: a title, optional text, its sources and any disagreement among them."""

    title: Line
    """The step's title, shown first."""
    text: Text | None = None
    """What to do or ask, in full; `{name}` shows an input variable or a derived value."""
    refs: list[RefKey] = Field(default_factory=list)
    """Keys under `references` this step rests on (actions, waits and outcomes need one: missing-citation)."""
    disagreement: Text | None = None
    """Where sources disagree, the node says so in its own words instead of choosing silently."""
    headline: Headline | None = None
    """The one line that must be seen at once (a dose, "Call an ambulance now"); may use {variables}."""
    requires: list[Slug] = Field(default_factory=list)
    """Nodes every path from the start must pass before this one (rule requires-before)."""
    treatment: StrictBool = False
    """A step that treats the patient (massage, a hyaluronidase pulse, drops): rule resolved-needs-due-wait
    proves a wait (the observation and recheck) lies between it and any `resolved` outcome."""


class QuestionNode(NodeBase, tree.QuestionNode):
    """A question answered by one option's key."""

    kind: Literal["question"]
    """A question answered by one option."""
    options: list[Option] = Field(min_length=1, max_length=26)
    """The answers, in the order shown."""


class ActionNode(NodeBase, tree.ActionNode):
    """Things to do (a checklist), confirmed with one keystroke."""

    kind: Literal["action"]
    """Things to do, confirmed with one keystroke."""
    steps: list[Line] = Field(default_factory=list)
    """The checklist, one line per step."""
    next: Slug
    """The node that follows."""


class InputNode(NodeBase, tree.InputNode):
    """A bounded whole number, kept as `variable` for later text (e.g. the number of areas)."""

    kind: Literal["input"]
    """A bounded whole number typed by the practitioner."""
    variable: Variable
    """The name later text uses as `{name}` (lower-case letters, digits, _)."""
    min: Bound
    """The smallest accepted value (at least -1,000,000)."""
    max: Bound
    """The largest accepted value (at most 1,000,000; not below `min`: rule input-bounds)."""
    unit: Line | None = None
    """What is counted (e.g. "areas")."""
    next: Slug
    """The node that follows."""


class WaitNode(NodeBase, tree.WaitNode):
    """A timed reassessment: the walker counts down `minutes`."""

    kind: Literal["wait"]
    """A timed reassessment."""
    minutes: StrictInt = Field(gt=0, le=24 * 60)
    """How long to wait, 1 to 1440 minutes."""
    steps: list[Line] = Field(default_factory=list)
    """What to do meanwhile, one line each."""
    next: Slug
    """The node that follows when the time is up (or, without `early`, when the practitioner continues early)."""
    early: Slug | None = None
    """Where "continue now" leads before the time is up, after the practitioner confirms it (rule
    resolved-needs-due-wait: a wait that can reach a `resolved` outcome declares it)."""


class LogKey(Strict, tree.LogKey):
    """One thing logged with its time while an emergency goes on until handover (a drug given...)."""

    key: Key
    """One lower-case letter that logs it (not a red flag's key, not `h`)."""
    label: Line
    """What was done, in words, with the dose (e.g. "Adrenaline 500 micrograms IM given")."""


class HandoverTimer(Strict, tree.HandoverTimer):
    """A countdown shown until handover: from the last time `from` was logged, else from arrival."""

    # `from` is a Python keyword: the field is `from_`, read and written as `from` (show --format json too).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True, populate_by_name=True,
                              serialize_by_alias=True, json_schema_extra=_field_docstrings)
    label: Line
    """What to do when it runs out (e.g. "Repeat adrenaline if no better")."""
    every_minutes: StrictInt = Field(ge=1, le=24 * 60)
    """Minutes between the `from` entry and the next (1-1440)."""
    from_: Key = Field(alias="from")
    """The log key the timer counts from."""


class UntilHandover(Strict, tree.UntilHandover):
    """The walk stays open after an outcome until the patient is handed over: what is logged, what is timed."""

    log: list[LogKey] = Field(default_factory=list, max_length=20)
    """What can be logged, one key each; each entry is recorded with its time."""
    timers: list[HandoverTimer] = Field(default_factory=list, max_length=10)
    """Countdowns, each from the last time its `from` key was logged (else from arrival at the outcome)."""


class OutcomeNode(NodeBase, tree.OutcomeNode):
    """Where a walk ends, with how urgent that ending is."""

    kind: Literal["outcome"]
    """Where a walk ends."""
    severity: Annotated[OutcomeSeverity, Field(strict=False)]
    """resolved, follow-up, refer or emergency."""
    steps: list[Line] = Field(default_factory=list)
    """What to do now, one line each (e.g. "Review tomorrow")."""
    until_handover: UntilHandover | None = None
    """The walk stays open here, with a log and timers, until the patient is handed over (`h`)."""


class Choice(Strict, tree.Choice):
    """One choice of a record field: its key and its label."""

    key: Key
    """One lower-case letter that picks this choice."""
    label: Line
    """The choice in words."""


class RecordField(Strict, tree.RecordField):
    """One item of clinical data captured at a `record` node (product, batch, dose given...)."""

    id: Variable
    """The field's name in the log and the record (lower-case letters, digits, _; unique in the node)."""
    label: Line
    """The prompt shown (e.g. "Volume given")."""
    type: Literal["text", "number", "choice", "time", "date", "photo"]
    """text, number, choice, time (HH:MM), date (YYYY-MM-DD) or photo (an image file kept as evidence)."""
    required: StrictBool = True
    """Whether an empty answer is refused."""
    unit: Line | None = None
    """number: the unit is part of the value ("0.5" means nothing without "mL"; rule record-field-unit)."""
    min: Number | None = None
    """number: the smallest accepted value (|x| <= 1,000,000)."""
    max: Number | None = None
    """number: the largest accepted value (|x| <= 1,000,000; not below min: rule record-field-bounds)."""
    decimals: StrictInt = Field(default=0, ge=0, le=3)
    """number: how many decimals may be typed, 0 to 3."""
    max_length: StrictInt = Field(default=120, ge=1, le=400)
    """text: the longest answer accepted, at most 400 characters."""
    choices: list[Choice] = Field(default_factory=list, max_length=26)
    """choice: the choices offered (rule record-field-choices)."""
    default: Variable | None = None
    """An input variable or derived value offered as the default (e.g. the reported dose), shown as such."""
    max_ahead_minutes: StrictInt | None = Field(default=None, ge=0, le=24 * 60)
    """time: how far ahead of now the time may be, in minutes (a time limit "in 30 minutes", not 8 hours)."""
    not_after: DateForm | None = None
    """date: the latest accepted day: `today`, a date, `{days_ago: N}` or `{days_ahead: N}`."""
    not_before: DateForm | None = None
    """date: the earliest accepted day, in the same forms as `not_after`."""
    teaching: StrictBool = False
    """text, number or choice: the value is clinical, not identifying (a product, a site, a volume), so an
    anonymised teaching record keeps it (rule record-field-teaching). A text value that reads like a date or a
    clock time is withheld all the same."""



class Rule(Strict, tree.Rule):
    """One rule of a decide node: where the walk goes when `when` holds, and why, in words."""

    when: Condition
    """The condition: exactly one form (fact is/in/known/lt/le/gt/ge/before/after, all, any, not)."""
    next: Slug
    """The node the walk goes to when the condition holds."""
    because: Line
    """Why, in words, shown on the next screen and in the record (e.g. "The expiry date has passed.")."""


class DecideNode(NodeBase, tree.DecideNode):
    """A step the engine routes by itself, with no prompt: the first rule whose `when` holds, else `otherwise`."""

    kind: Literal["decide"]
    """A decision on what was recorded, made by the engine."""
    rules: list[Rule] = Field(min_length=1, max_length=20)
    """The rules, tried in order."""
    otherwise: Slug
    """The node the walk goes to when no rule holds."""


class RecordNode(NodeBase, tree.RecordNode):
    """Clinical data captured field by field; the values go into the log and the record."""

    kind: Literal["record"]
    """Clinical data captured field by field."""
    fields: list[RecordField] = Field(min_length=1, max_length=20)
    """The fields, 1 to 20, asked in order."""
    next: Slug
    """The node that follows the last field."""


Node = Annotated[
    QuestionNode | ActionNode | InputNode | WaitNode | RecordNode | DecideNode | OutcomeNode,
    Field(discriminator="kind"),
]


class Protocol(Strict, tree.Protocol):
    """A protocol file: one decision tree with its sources, review and red flags."""

    id: Slug
    """The protocol's id: a slug equal to the file name without .yaml (rule id-mismatch)."""
    title: Line
    """The title shown on every screen and record."""
    version: Annotated[StrictStr, StringConstraints(pattern=SEMVER_PATTERN)]
    """A semantic version (1.0.0), quoted or not; bump it on every clinical change."""
    status: Annotated[Status, Field(strict=False)]  # lax only to accept the enum's text value
    """draft, approved or retired; draft content is marked on every screen."""
    summary: Text | None = None
    """What the protocol is for, in a few lines."""
    changes: Text | None = None
    """What changed clinically in this version, and why."""
    review: Review = Field(default_factory=Review)
    """Who approved it and when, and when it is next reviewed."""
    references: dict[RefKey, Reference] = Field(default_factory=dict)
    """The sources, by key (letters, digits, '.', '_', '-'); nodes cite them in `refs`."""
    facts: dict[FactName, Fact] = Field(default_factory=dict)
    """The facts options `set:`, by name, typed (input variables and record field ids are facts already)."""
    derived: dict[Variable, Derived] = Field(default_factory=dict)
    """Values computed from an input (e.g. a dose per area), by name, shown in text as `{name}`."""
    contacts: dict[Slug, Line] = Field(default_factory=dict)
    """Who the text asks to call, by key (a slug), with the words shown without a clinic file; text names
    them as `{contact:KEY}`, which a clinic file turns into its label and phone."""
    start: Slug
    """The id of the first node."""
    red_flags: list[RedFlag] = Field(default_factory=list)
    """Signs offered at every prompt; one keystroke jumps to their `goto`."""
    nodes: dict[Slug, Node] = Field(min_length=1)
    """The steps, by node id (a slug)."""



AnyNode = QuestionNode | ActionNode | InputNode | WaitNode | RecordNode | DecideNode | OutcomeNode


def successors(node: AnyNode) -> list[str]:
    """The node ids a node leads to: kept for callers of the old place; each kind's answer is in `nodes`."""
    from aesthetic_protocols.nodes import successors as of_kind  # nodes builds on this module

    return of_kind(node)


SCHEMA_ID = "https://aesthetic-protocols.invalid/protocol.schema.json"


def protocol_schema() -> dict[str, object]:
    """JSON Schema (2020-12) of a protocol file, for editors and outside checkers."""
    return model_schema(Protocol, SCHEMA_ID, "aesthetic-protocols protocol file")


def model_schema(model: type[BaseModel], schema_id: str, title: str) -> dict[str, object]:
    """A model's JSON Schema as the tool reads files: its title kept, mapping keys held to their patterns."""
    schema = _keys_named(model.model_json_schema())
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id, **schema, "title": title}


def _keys_named(schema: Any) -> Any:
    """`patternProperties` alone lets any other key through; `propertyNames` holds every key to the pattern
    (node ids, reference keys, derived names), as the tool does."""
    if isinstance(schema, list):
        return [_keys_named(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _keys_named(value) for key, value in schema.items()}
    patterns = out.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1:
        (pattern,) = patterns
        out["propertyNames"] = {**out.get("propertyNames", {}), "pattern": pattern}
    return out


# --- scenario files: `<id>.scenarios.yaml` beside each tree -----------------------------------------------


class TimeTarget(Strict):
    """A drill's time target: the first answer at `node` (or reaching it, for an outcome) within
    `within_minutes` (simulated) of the first answer at `after` (default: the start of the walk), e.g. the
    first hyaluronidase pulse within 15 minutes of recognising the occlusion."""

    node: Slug
    """The step to reach in time (its first answer, or reaching it if it is an outcome)."""
    within_minutes: StrictInt = Field(gt=0, le=24 * 60)
    """Simulated minutes allowed."""
    after: Slug | None = None
    """The step the time counts from (its first answer); the start of the walk when left out."""


class WaitAnswer(Strict):
    """The answer at a wait, by how long it ran: `{wait: due}` or `{wait: early}`."""

    wait: Literal["due", "early"]
    """due: the wait runs its full time on the scenario's simulated clock, then the walk continues;
    early: the walk continues before the wait is due (confirmed, where the wait names `early`)."""


def _answer_form(value: Any) -> str:
    """Which form an answer takes, so a mistake is reported against that form alone: a mapping is a wait
    answer, a whole number a number, anything else text (where a YAML boolean is told to be quoted)."""
    if isinstance(value, dict | WaitAnswer):
        return "wait"
    return "number" if isinstance(value, int) and not isinstance(value, bool) else "text"


ScenarioAnswer = Annotated[
    Annotated[Annotated[StrictStr, Field(max_length=400)], Tag("text")]
    | Annotated[StrictInt, Tag("number")]
    | Annotated[WaitAnswer, Tag("wait")],
    Discriminator(_answer_form),
]


class ScenarioKit(Strict):
    """The emergency kit a scenario's clinic file holds, as kit conditions read it (`{kit: ITEM, expired: true}`,
    `{kit: ITEM, present: false}`): every item is present and in date except those named here."""

    expired: list[Slug] = Field(default_factory=list, max_length=20)
    """Items in the kit whose every entry has expired."""
    missing: list[Slug] = Field(default_factory=list, max_length=20)
    """Items the kit does not hold."""

    def kit_expired(self, item: str, today: date) -> bool:
        """`clinic.Clinic.kit_expired` for this kit."""
        return item in self.expired and item not in self.missing

    def kit_present(self, item: str) -> bool:
        """`clinic.Clinic.kit_present` for this kit."""
        return item not in self.missing


class Scenario(Strict):
    """One scenario: the answers typed, the outcome they must reach, nodes to visit or avoid."""

    name: Slug
    """The scenario's name (a slug), shown in the report."""
    description: Text | None = None
    """Who the patient is and what happens, in a sentence or two."""
    answers: list[ScenarioAnswer]
    """Exactly what a plain-mode user types, one entry per prompt ("" for done; a number for an input); at a
    wait, `{wait: due}` (it runs its full time on a simulated clock) or `{wait: early}` (continued before)."""
    outcome: Slug
    """The outcome node the answers must reach."""
    severity: Annotated[OutcomeSeverity | None, Field(strict=False)] = None
    """The reached outcome's severity, asserted too: a renamed outcome must not hide a changed urgency."""
    visits: list[Slug] = Field(default_factory=list)
    """Nodes the walk must pass."""
    avoids: list[Slug] = Field(default_factory=list)
    """Nodes the walk must not pass."""
    targets: list[TimeTarget] = Field(default_factory=list)
    """Drill time targets: drill debriefs check them; `protocol scenarios` checks their nodes are on the path."""
    kit: ScenarioKit | None = None
    """The walk has a clinic file whose kit is this (without it, no clinic file: every kit condition is false)."""


class ScenarioFile(Strict):
    """A `<id>.scenarios.yaml` file: the protocol it tests and its scenarios."""

    protocol: Slug
    """The id of the protocol beside this file (rule scenario-protocol)."""
    scenarios: list[Scenario] = Field(min_length=1)
    """The scenarios, at least one."""
    notes: Line | None = None
    """A note for the trainers who keep the file."""


SCENARIO_SCHEMA_ID = "https://aesthetic-protocols.invalid/scenario.schema.json"


def scenario_schema() -> dict[str, object]:
    """JSON Schema (2020-12) of a `<id>.scenarios.yaml` file, for editors and outside checkers."""
    return model_schema(ScenarioFile, SCENARIO_SCHEMA_ID, "aesthetic-protocols scenario file")
