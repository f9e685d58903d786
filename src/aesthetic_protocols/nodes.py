"""One place per node kind: what each kind leads to, whether it prompts, its checklist, its words and its shape.

Every function dispatches with `match` and ends in `assert_never`, so a new kind in `model.Node` that is not
handled here fails mypy instead of falling through to a silent default. Modules that need a kind's behaviour
ask here rather than test `isinstance` themselves.
"""

from __future__ import annotations

from typing import Any, Literal, assert_never

from aesthetic_protocols.model import (
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
    """Each edge as (target, label, dashed): options by label, decide rules by their `because`, a wait's
    early edge dashed."""
    match node:
        case QuestionNode():
            return [(option.next, option.label, False) for option in node.options]
        case WaitNode():
            due = [(node.next, f"after {node.minutes} min", False)]
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


def answer_words(node: AnyNode, value: str) -> dict[str, Any]:
    """What an answer at a node means, for the log: the option's label, or the value with its unit.

    A record field's answer is worded by the engine, which knows which field is asked.
    """
    match node:
        case QuestionNode():
            return {"label": next((o.label for o in node.options if o.key == value), value)}
        case InputNode():
            return {"label": f"{value} {node.unit}" if node.unit else value, "value": int(value), "unit": node.unit}
        case WaitNode():
            return {"label": "continued early, confirmed" if value == "y" else "continued"}
        case ActionNode():
            return {"label": "done"}
        case RecordNode() | DecideNode() | OutcomeNode():
            return {}
        case _:
            assert_never(node)


def kind_text(node: AnyNode) -> str:
    """What the node asks or does, in a few words, for outlines and reviews."""
    match node:
        case QuestionNode():
            return f"question, {len(node.options)} options"
        case ActionNode():
            return "action"
        case InputNode():
            return f"input {node.variable}, {node.min}-{node.max}" + (f" {node.unit}" if node.unit else "")
        case WaitNode():
            return f"wait {node.minutes} min" + (f", early -> {node.early}" if node.early else "")
        case RecordNode():
            return f"record, {len(node.fields)} fields"
        case DecideNode():
            return f"decide, {len(node.rules)} rules"
        case OutcomeNode():
            return f"outcome, {node.severity}"
        case _:
            assert_never(node)


Where = tuple[str | int, ...]


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
