"""An answer event in words: the one reading used by `log show`, the record export and FHIR.

New logs carry the words (`title`, `label`, `value`, `unit`, `field`); an old log holds only keys, so what
it lacks is looked up in the protocol when the caller has the very file walked, and otherwise shown as
logged. A choice field may log its choice's label (older logs) or its key under `value`, the label then
under `choice`: all read the same here.
"""

from __future__ import annotations

import re
from typing import Any

from aesthetic_protocols.events import AnswerEvent
from aesthetic_protocols.nodes import amount_text
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.tree import (
    TEACHING_TYPES,
    TYPED_STEERING_RE,
    AnyNode,
    InputNode,
    Protocol,
    QuestionNode,
    RecordField,
    RecordNode,
    WaitNode,
)

REMOVED = "[removed]"
# Anonymised, these record fields lose their values: a date or clock time dates the treatment, and free text
# may hold anything (a name, a place), so it is treated like a note. Numbers and choices are kept.
# A photograph's words hold its capture time; the photograph itself is left out unless --with-photos.
# A text field the tree marks `teaching: true` (the product, the site) is kept, unless its value holds a
# control character or reads like a date or a clock time (`looks_dated`): no absolute time is ever kept.
WITHHELD_TYPES = frozenset({"time", "date", "text", "photo"})
TIME_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = (r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?"
          r"|nov(ember)?|dec(ember)?)")
# Anything like a clock time (14:02, 9h30, 2 pm, 14.02 h) or a date (2026-12-06, 6/12, 6/12/26, 6.12.2026, 6 Dec,
# December 6, a year 1900-2099): read generously, since a wrong guess only withholds a teaching value.
DATED_RE = re.compile(
    r"\d{1,2}\s*[:h]\s*\d{2}|\d{1,2}([:.]\d{2})?\s*[ap]\.?m\b|\d{1,2}[.]\d{2}\s*h\b"
    r"|\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,4}|\d{4}\s*-\s*\d{1,2}|\d{1,2}\s*/\s*\d{1,2}\b"
    rf"|\d{{1,2}}(st|nd|rd|th)?\s*(of\s+)?{_MONTH}\b|\b{_MONTH}\.?\s*\d{{1,4}}|\b(19|20)\d{{2}}\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Said:
    """One answer in words."""

    title: str  # the step's title
    label: str  # the option's label, the input with its unit ("2 areas"), the field's label, "Done"
    kind: str  # "option" | "input" | "field" | "done"
    key: str  # what was typed: an option's or choice's key, a number; "" for done or a field left empty
    value: Any = None  # an input's or field's value, typed (a choice field: the choice's label)
    unit: str = ""
    field_type: str | None = None  # a record field's type (None: not a field, or unknown)
    early: bool = False  # continued before a wait was due

    @property
    def empty(self) -> bool:
        """A record field left empty (an optional field skipped)."""
        return self.kind == "field" and self.value in ("", None)

    @property
    def value_text(self) -> str:
        """The value with its unit ("0.5 mL"), "(left empty)" for a skipped field, "" when there is none."""
        if self.empty:
            return "(left empty)"
        if self.value is None:
            return ""
        number = int(self.value) if isinstance(self.value, float) and self.value.is_integer() else self.value
        return amount_text(str(number), self.unit)


def record_field(node: AnyNode | None, field_id: Any) -> RecordField | None:
    """The field `field_id` of a record node (None for another node kind or an unknown id)."""
    if isinstance(node, RecordNode):
        return next((item for item in node.fields if item.id == field_id), None)
    return None


def _node(protocol: Protocol | None, node_id: Any) -> AnyNode | None:
    return protocol.nodes.get(node_id) if protocol is not None and isinstance(node_id, str) else None


def _logged_value(event: AnswerEvent) -> Any:
    """The value logged, or the answer as typed when the log holds no value (older logs)."""
    return event.answer if event.value is None else event.value


def field_type(event: AnswerEvent, protocol: Protocol | None) -> str | None:
    """The type of the record field an answer event fills (None for any other answer): the protocol's
    field when it has one, else worked out from the value logged (a log without its protocol)."""
    if not event.field:
        return None
    if event.photo_sha256:
        return "photo"
    item = record_field(_node(protocol, event.node), event.field)
    if item is not None:
        return str(item.type)
    value = _logged_value(event)
    if isinstance(value, int | float):
        return "number"
    text = str(value)
    return "time" if TIME_RE.fullmatch(text) else "date" if DATE_RE.fullmatch(text) else "text"


def looks_dated(text: str) -> bool:
    """Whether a text reads like a date or a clock time anywhere in it (`Voluma, 14:02` does)."""
    return DATED_RE.search(text) is not None


def teaching(event: AnswerEvent, protocol: Protocol | None) -> bool:
    """Whether the tree walked marks this answer's record field `teaching: true` (kept when anonymised)."""
    item = record_field(_node(protocol, event.node), event.field) if event.field else None
    return item is not None and item.teaching and item.type in TEACHING_TYPES


def withheld(event: AnswerEvent, protocol: Protocol | None) -> bool:
    """Whether an anonymised export removes this answer's value (a time, date or free-text record field
    that holds a value: one left empty has nothing to remove). A text field marked `teaching` keeps a value
    that holds no control character and reads like no date or clock time."""
    value = _logged_value(event)
    if value in ("", None) or field_type(event, protocol) not in WITHHELD_TYPES:
        return False
    text = str(value)
    return not (field_type(event, protocol) == "text" and teaching(event, protocol)
                and not TYPED_STEERING_RE.search(text) and not looks_dated(text))


def in_words(name: str) -> str:
    """An id as words: `dose_given` -> `dose given`."""
    return name.replace("_", " ").replace("-", " ")


def _field(event: AnswerEvent, field_id: str, node: AnyNode | None, protocol: Protocol | None, title: str) -> Said:
    item = record_field(node, field_id)
    key = event.answer
    value: Any = key if event.value is None else event.value
    if item is not None and item.type == "choice":  # logged by its label or its key: the key is the answer
        choice = next((c for c in item.choices if c.key in (key, value) or c.label == value), None)
        if choice is not None:
            key, value = choice.key, choice.label
    elif event.choice:  # no protocol at hand: the log says the choice in words itself
        value = event.choice
    if event.photo_sha256:
        value = photo_words(event)
    label = event.label or (item.label if item is not None else in_words(field_id))
    unit = event.unit or (item.unit if item is not None else None) or ""
    return Said(title, label, "field", key if value not in ("", None) else "", value, unit,
                field_type(event, protocol), event.early)


def photo_words(event: AnswerEvent) -> str:
    """A photograph as the record says it: "photograph (image/jpeg, 2.4 MB, taken 2026-12-06 14:02:11)"."""
    from aesthetic_protocols.photo import size_words

    size = event.photo_bytes
    parts = [event.photo_type or "image", *([size_words(size)] if isinstance(size, int) else [])]
    captured = event.photo_captured
    parts.append(f"taken {captured.replace('T', ' ')}" if captured else "no capture time")
    return f"photograph ({', '.join(parts)})"


def said(event: AnswerEvent, protocol: Protocol | None = None) -> Said:
    """An answer event in words. Pass `protocol` only when it is the very file walked (its words then fill
    what an old log lacks)."""
    node = _node(protocol, event.node)
    title = event.title or (node.title if node is not None else event.node or "")
    if event.field:
        return _field(event, event.field, node, protocol, title)
    raw = event.answer
    label = event.label
    early = event.early
    if isinstance(node, QuestionNode) or (node is None and event.value is None and re.fullmatch(r"[a-z]", raw)):
        options = node.options if isinstance(node, QuestionNode) else []
        words = label or next((o.label for o in options if o.key == raw), None) or f"answered {raw}"
        return Said(title, str(words), "option", raw, early=early)
    if isinstance(node, InputNode) or (node is None and (event.value is not None or raw.isdigit())):
        value = event.value if event.value is not None else int(raw) if raw.isdigit() else raw
        unit = event.unit or (node.unit if isinstance(node, InputNode) else "") or ""
        words = label or amount_text(raw, unit)
        return Said(title, str(words), "input", raw, value, unit, early=early)
    if label:
        words = label[:1].upper() + label[1:]  # the log's "done" as a row of its own reads "Done"
    else:
        words = "Continued" if isinstance(node, WaitNode) else "Done" if raw == "" else f"answered {raw}"
    return Said(title, words, "done", raw, early=early)
