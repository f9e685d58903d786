"""An answer event in words: the one reading used by `log show`, the record export and FHIR.

New logs carry the words (`title`, `label`, `value`, `unit`, `field`); an old log holds only keys, so what
it lacks is looked up in the protocol when the caller has the very file walked, and otherwise shown as
logged. A choice field may log its choice's label (older logs) or its key under `value`, the label then
under `choice`: all read the same here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aesthetic_protocols.engine import amount_text
from aesthetic_protocols.model import AnyNode, InputNode, Protocol, QuestionNode, RecordField, RecordNode, WaitNode

REMOVED = "[removed]"
# Anonymised, these record fields lose their values: a date or clock time dates the treatment, and free text
# may hold anything (a name, a place), so it is treated like a note. Numbers and choices are kept.
WITHHELD_TYPES = frozenset({"time", "date", "text"})
TIME_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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
        return f"{number} {self.unit}" if self.unit else str(number)


def record_field(node: AnyNode | None, field_id: Any) -> RecordField | None:
    """The field `field_id` of a record node (None for another node kind or an unknown id)."""
    if isinstance(node, RecordNode):
        return next((item for item in node.fields if item.id == field_id), None)
    return None


def _node(protocol: Protocol | None, node_id: Any) -> AnyNode | None:
    return protocol.nodes.get(node_id) if protocol is not None and isinstance(node_id, str) else None


def field_type(event: dict[str, Any], protocol: Protocol | None) -> str | None:
    """The type of the record field an answer event fills (None for any other answer): the protocol's
    field when it has one, else worked out from the value logged (a log without its protocol)."""
    if not event.get("field"):
        return None
    item = record_field(_node(protocol, event.get("node")), event["field"])
    if item is not None:
        return str(item.type)
    value = event.get("value", event.get("answer"))
    if isinstance(value, int | float):
        return "number"
    text = str(value)
    return "time" if TIME_RE.fullmatch(text) else "date" if DATE_RE.fullmatch(text) else "text"


def withheld(event: dict[str, Any], protocol: Protocol | None) -> bool:
    """Whether an anonymised export removes this answer's value (a time, date or free-text record field
    that holds a value: one left empty has nothing to remove)."""
    value = event.get("value", event.get("answer"))
    return value not in ("", None) and field_type(event, protocol) in WITHHELD_TYPES


def in_words(name: str) -> str:
    """An id as words: `dose_given` -> `dose given`."""
    return name.replace("_", " ").replace("-", " ")


def _field(event: dict[str, Any], node: AnyNode | None, protocol: Protocol | None, title: str) -> Said:
    item = record_field(node, event["field"])
    key = str(event.get("answer", ""))
    value = event.get("value", key)
    if item is not None and item.type == "choice":  # logged by its label or its key: the key is the answer
        choice = next((c for c in item.choices if c.key in (key, value) or c.label == value), None)
        if choice is not None:
            key, value = choice.key, choice.label
    elif event.get("choice"):  # no protocol at hand: the log says the choice in words itself
        value = event["choice"]
    label = event.get("label") or (item.label if item is not None else in_words(str(event["field"])))
    unit = event.get("unit") or (item.unit if item is not None else None) or ""
    return Said(title, str(label), "field", key if value not in ("", None) else "", value, str(unit),
                field_type(event, protocol), bool(event.get("early")))


def said(event: dict[str, Any], protocol: Protocol | None = None) -> Said:
    """An answer event in words. Pass `protocol` only when it is the very file walked (its words then fill
    what an old log lacks)."""
    node = _node(protocol, event.get("node"))
    title = str(event.get("title") or (node.title if node is not None else event.get("node") or ""))
    if event.get("field"):
        return _field(event, node, protocol, title)
    raw = str(event.get("answer", ""))
    label = event.get("label")
    early = bool(event.get("early"))
    if isinstance(node, QuestionNode) or (node is None and "value" not in event and re.fullmatch(r"[a-z]", raw)):
        options = node.options if isinstance(node, QuestionNode) else []
        words = label or next((o.label for o in options if o.key == raw), None) or f"answered {raw}"
        return Said(title, str(words), "option", raw, early=early)
    if isinstance(node, InputNode) or (node is None and ("value" in event or raw.isdigit())):
        value = event.get("value", int(raw) if raw.isdigit() else raw)
        unit = str(event.get("unit") or (node.unit if isinstance(node, InputNode) else "") or "")
        words = label or amount_text(raw, unit)
        return Said(title, str(words), "input", raw, value, unit, early=early)
    if isinstance(label, str) and label:
        words = label[:1].upper() + label[1:]  # the log's "done" as a row of its own reads "Done"
    else:
        words = "Continued" if isinstance(node, WaitNode) else "Done" if raw == "" else f"answered {raw}"
    return Said(title, words, "done", raw, early=early)
