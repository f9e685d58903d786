"""One place per node kind: what each kind leads to, whether it prompts, its checklist, its words and its shape.

Every function dispatches with `match` and ends in `assert_never`, so a new kind in `model.Node` that is not
handled here fails mypy instead of falling through to a silent default. Modules that need a kind's behaviour
ask here rather than test `isinstance` themselves.
"""

from __future__ import annotations

from typing import Any, Literal, assert_never

from aesthetic_protocols.facts import condition_text
from aesthetic_protocols.tree import (
    ActionNode,
    AnyNode,
    DecideNode,
    InputNode,
    OutcomeNode,
    QuestionNode,
    RecordNode,
    WaitNode,
)

Shape = Literal["question", "step", "decide", "outcome"]


def successors(node: AnyNode) -> list[str]:
    """The node ids a node leads to, in order (red-flag jumps are not edges of the node)."""
    match node:
        case QuestionNode():
            return [option.next for option in node.options]
        case WaitNode():
            return [node.next] if node.early is None else [node.next, node.early]
        case ActionNode() | InputNode() | RecordNode():
            return [node.next]
        case DecideNode():
            return [*(rule.next for rule in node.rules), node.otherwise]
        case OutcomeNode():
            return []
        case _:
            assert_never(node)


def edge_labels(node: AnyNode) -> list[tuple[str, str, bool]]:
    """Each edge as (target, label, dashed), as a graph draws it: options by key and label, decide rules by
    their `because`, a wait's early edge dashed; a step's `next` and a wait's due edge unlabelled."""
    match node:
        case QuestionNode():
            return [(option.next, f"{option.key}: {option.label}", False) for option in node.options]
        case WaitNode():
            due = [(node.next, "", False)]
            return due if node.early is None else [*due, (node.early, "early, confirmed", True)]
        case DecideNode():
            return [*((rule.next, rule.because, False) for rule in node.rules), (node.otherwise, "otherwise", False)]
        case ActionNode() | InputNode() | RecordNode():
            return [(node.next, "", False)]
        case OutcomeNode():
            return []
        case _:
            assert_never(node)


def prompts(node: AnyNode) -> bool:
    """Whether the walk stops at this node for an answer (a decide routes itself; an outcome ends the walk)."""
    match node:
        case QuestionNode() | ActionNode() | InputNode() | WaitNode() | RecordNode():
            return True
        case DecideNode() | OutcomeNode():
            return False
        case _:
            assert_never(node)


def steps(node: AnyNode) -> list[str]:
    """The node's checklist lines (none for kinds without a checklist)."""
    match node:
        case ActionNode() | WaitNode() | OutcomeNode():
            return list(node.steps)
        case QuestionNode() | InputNode() | RecordNode() | DecideNode():
            return []
        case _:
            assert_never(node)


def shape(node: AnyNode) -> Shape:
    """How a graph draws the node: a question, a step, a decision (diamond) or an outcome."""
    match node:
        case QuestionNode():
            return "question"
        case ActionNode() | InputNode() | WaitNode() | RecordNode():
            return "step"
        case DecideNode():
            return "decide"
        case OutcomeNode():
            return "outcome"
        case _:
            assert_never(node)


def amount_text(value: str, unit: str | None) -> str:
    """A number with its unit, the unit singular for 1 (`1 area`, `2 areas`)."""
    if not unit:
        return value
    if value == "1" and unit.endswith("s") and not unit.endswith("ss") and len(unit) > 2:
        unit = unit[:-1]
    return f"{value} {unit}"


def answer_words(node: AnyNode, value: str) -> dict[str, Any]:
    """What an answer at a node means, for the log: the option's label, or the value with its unit.

    A record field's answer is worded by the engine, which knows which field is asked.
    """
    match node:
        case QuestionNode():
            return {"label": next((o.label for o in node.options if o.key == value), value)}
        case InputNode():
            return {"label": amount_text(value, node.unit), "value": int(value), "unit": node.unit}
        case WaitNode():
            return {"label": "continued early, confirmed" if value == "y" else "continued"}
        case ActionNode():
            return {"label": "done"}
        case RecordNode() | DecideNode() | OutcomeNode():
            return {}
        case _:
            assert_never(node)


def detail(node: AnyNode) -> str:
    """The node's figures in a few words beside its kind, for outlines, reviews and graphs ("" when none)."""
    match node:
        case InputNode():
            unit = f" {node.unit}" if node.unit else ""
            return f"{node.variable}: {node.min}..{node.max}{unit}"
        case WaitNode():
            return f"{node.minutes} min"
        case OutcomeNode():
            block = node.until_handover
            if block is None:
                return str(node.severity)
            timers = ", ".join(f"every {timer.every_minutes} min" for timer in block.timers)
            return f"{node.severity}, until handover" + (f": {timers}" if timers else "")
        case RecordNode():
            return f"{len(node.fields)} field(s)"
        case DecideNode():
            return f"{len(node.rules)} rule(s), no prompt"
        case QuestionNode() | ActionNode():
            return ""
        case _:
            assert_never(node)


def then(node: AnyNode) -> str | None:
    """The one node a step leads to, for an outline's `-> next` (None when it branches or ends)."""
    match node:
        case ActionNode() | InputNode() | WaitNode() | RecordNode():
            return node.next
        case QuestionNode() | DecideNode() | OutcomeNode():
            return None
        case _:
            assert_never(node)


def branches(node: AnyNode) -> list[tuple[str, str]]:
    """The node's branches beyond its options, in words: a decide's rules and `otherwise`, a wait's `early`."""
    match node:
        case DecideNode():
            return [*((f"if {condition_text(rule.when)} ({rule.because})", rule.next) for rule in node.rules),
                    ("otherwise", node.otherwise)]
        case WaitNode():
            return [] if node.early is None else [("early, once confirmed", node.early)]
        case QuestionNode() | ActionNode() | InputNode() | RecordNode() | OutcomeNode():
            return []
        case _:
            assert_never(node)


Where = tuple[str | int, ...]


def fact_edges(node: AnyNode) -> list[tuple[str, frozenset[str]]]:
    """Each edge with the facts known to be set along it: an option's `set:`, an input's variable, a record's
    required fields (an optional one may be left empty)."""
    match node:
        case QuestionNode():
            return [(option.next, frozenset(option.set)) for option in node.options]
        case InputNode():
            return [(node.next, frozenset({node.variable}))]
        case RecordNode():
            return [(node.next, frozenset(f.id for f in node.fields if f.required))]
        case ActionNode() | WaitNode() | DecideNode() | OutcomeNode():
            return [(target, frozenset()) for target in successors(node)]
        case _:
            assert_never(node)


def targets(node: AnyNode) -> list[tuple[Where, str]]:
    """Each node id the node names, with the path of the key that names it (below the node)."""
    match node:
        case QuestionNode():
            return [(("options", index, "next"), option.next) for index, option in enumerate(node.options)]
        case WaitNode():
            due: list[tuple[Where, str]] = [(("next",), node.next)]
            return due if node.early is None else [*due, (("early",), node.early)]
        case ActionNode() | InputNode() | RecordNode():
            return [(("next",), node.next)]
        case DecideNode():
            return [*((("rules", index, "next"), rule.next) for index, rule in enumerate(node.rules)),
                    (("otherwise",), node.otherwise)]
        case OutcomeNode():
            return []
        case _:
            assert_never(node)
