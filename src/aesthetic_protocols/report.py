"""Protocol -> outline, Markdown review document, Mermaid / DOT flowchart, JSON; session log -> record.

Pure functions from data to text; the CLI prints what they return.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from typing import Any

from aesthetic_protocols.model import (
    ActionNode,
    AnyNode,
    InputNode,
    OutcomeNode,
    Protocol,
    QuestionNode,
    WaitNode,
    successors,
)


def node_order(protocol: Protocol) -> list[str]:
    """Nodes in walking order: breadth-first from the start, then red-flag targets, then the rest."""
    order: list[str] = []
    seen: set[str] = set()
    entries = [protocol.start] + [flag.goto for flag in protocol.red_flags] + list(protocol.nodes)
    for entry in entries:
        if entry in seen or entry not in protocol.nodes:
            continue
        seen.add(entry)
        queue = deque([entry])
        while queue:
            nid = queue.popleft()
            order.append(nid)
            for nxt in successors(protocol.nodes[nid]):
                if nxt not in seen and nxt in protocol.nodes:
                    seen.add(nxt)
                    queue.append(nxt)
    return order


def protocol_json(protocol: Protocol) -> str:
    """The validated model with defaults filled in (`show --format json`)."""
    return json.dumps(protocol.model_dump(mode="json"), indent=2, ensure_ascii=False)


def _detail(node: AnyNode) -> str:
    if isinstance(node, InputNode):
        unit = f" {node.unit}" if node.unit else ""
        return f"{node.variable}: {node.min}..{node.max}{unit}"
    if isinstance(node, WaitNode):
        return f"{node.minutes} min"
    if isinstance(node, OutcomeNode):
        return str(node.severity)
    return ""


def outline(protocol: Protocol) -> str:
    """A compact text outline of the tree, one node a paragraph."""
    lines = [f"{protocol.id} {protocol.version} ({protocol.status}) - {protocol.title}", f"start: {protocol.start}"]
    for flag in protocol.red_flags:
        lines.append(f"red flag [{flag.key}] {flag.label} -> {flag.goto}")
    for nid in node_order(protocol):
        node = protocol.nodes[nid]
        detail = _detail(node)
        head = f"{nid}  {node.kind}  {node.title}" + (f"  ({detail})" if detail else "")
        if isinstance(node, ActionNode | InputNode | WaitNode):
            head += f" -> {node.next}"
        lines += ["", head]
        if node.text:
            lines.append(f"  {node.text}")
        if isinstance(node, QuestionNode):
            lines += [f"  [{o.key}] {o.label} -> {o.next}" for o in node.options]
        if isinstance(node, ActionNode | WaitNode | OutcomeNode):
            lines += [f"  - {step}" for step in node.steps]
        if node.refs:
            lines.append(f"  sources: {', '.join(node.refs)}")
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(protocol: Protocol) -> str:
    """The review document a clinical lead reads and signs: every node in order, with full sources."""
    review = protocol.review
    out = [f"# {protocol.title}", "",
           f"- **Protocol id:** `{protocol.id}`",
           f"- **Version:** {protocol.version}",
           f"- **Status:** {protocol.status}" + (" (reference content, not approved for clinical use)"
                                                  if protocol.status != "approved" else ""),
           f"- **Approved by:** {review.approved_by or 'not approved'}"
           + (f" on {review.approved_on}" if review.approved_on else ""),
           f"- **Last reviewed:** {review.last_reviewed or 'never'}",
           f"- **Next review:** {review.next_review or 'not set'}", ""]
    if protocol.summary:
        out += [protocol.summary, ""]
    if protocol.red_flags:
        out += ["## Red flags (offered at every step)", ""]
        out += [f"- **[{f.key}]** {f.label} -> {_anchor(protocol, f.goto)}" for f in protocol.red_flags]
        out.append("")
    if protocol.derived:
        out += ["## Derived values", ""]
        for name, d in protocol.derived.items():
            limit = f", up to {d.variable} = {d.max_input}; beyond: {d.beyond_text}" if d.max_input else ""
            out.append(f"- `{{{name}}}` = {d.variable} x {d.times} {d.unit}{limit}")
        out.append("")
    out += ["## Steps", ""]
    disagreements: list[str] = []
    for number, nid in enumerate(node_order(protocol), start=1):
        node = protocol.nodes[nid]
        detail = _detail(node)
        out += [f"### {number}. {node.title}", "",
                f"`{nid}` - {node.kind}" + (f" ({detail})" if detail else ""), ""]
        if node.text:
            out += [node.text, ""]
        if isinstance(node, QuestionNode):
            for option in node.options:
                extra = f" - {option.detail}" if option.detail else ""
                refs = f" [{', '.join(option.refs)}]" if option.refs else ""
                out.append(f"- **[{option.key}]** {option.label}{extra}{refs} -> {_anchor(protocol, option.next)}")
            out.append("")
        if isinstance(node, ActionNode | WaitNode | OutcomeNode) and node.steps:
            out += [f"- [ ] {step}" for step in node.steps]
            out.append("")
        if isinstance(node, ActionNode | InputNode | WaitNode):
            out += [f"Next: {_anchor(protocol, node.next)}", ""]
        if node.requires:
            out += [f"Only after: {', '.join(node.requires)}", ""]
        if node.disagreement:
            out += [f"> **Sources disagree:** {node.disagreement}", ""]
            disagreements.append(f"- {node.title} (`{nid}`): {node.disagreement}")
        if node.refs:
            out += [f"Sources: {', '.join(node.refs)}", ""]
    if disagreements:
        out += ["## Where sources disagree", "", *disagreements, ""]
    out += ["## References", ""]
    for key, ref in protocol.references.items():
        url = f" <{ref.url}>" if ref.url else ""
        out.append(f"- **{key}**: {_md_escape(ref.citation)}{url}")
    out += ["", "## Sign-off", "", "| Role | Name | Signature | Date |", "|---|---|---|---|",
            "| Clinical lead | | | |", "| Reviewer | | | |", ""]
    return "\n".join(out)


def _anchor(protocol: Protocol, nid: str) -> str:
    node = protocol.nodes.get(nid)
    return f"{node.title} (`{nid}`)" if node else f"`{nid}`"


# --- flowcharts ------------------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


_MERMAID_SHAPES = {
    "question": ('{"', '"}'),
    "action": ('["', '"]'),
    "input": ('[/"', '"/]'),
    "wait": ('(["', '"])'),
    "outcome": ('[["', '"]]'),
}


def mermaid(protocol: Protocol) -> str:
    """Mermaid flowchart source that renders on code-hosting sites."""
    ids = {nid: f"n{index}" for index, nid in enumerate(node_order(protocol))}
    lines = ["flowchart TD"]
    for nid, short in ids.items():
        node = protocol.nodes[nid]
        left, right = _MERMAID_SHAPES[node.kind]
        detail = _detail(node)
        label = node.title + (f" ({detail})" if detail else "")
        lines.append(f"    {short}{left}{_mermaid_text(label)}{right}")
    for source, target, label in _edges(protocol):
        text = f'|"{_mermaid_text(label)}"|' if label else ""
        lines.append(f"    {ids[source]} -->{text} {ids[target]}")
    if protocol.red_flags:
        lines.append('    rf(("any step"))')
        for flag in protocol.red_flags:
            if flag.goto in ids:
                lines.append(f'    rf -.->|"{_mermaid_text(flag.key + ": " + flag.label)}"| {ids[flag.goto]}')
    lines.append("    classDef outcome stroke-width:3px")
    outcome_ids = [ids[n] for n in ids if isinstance(protocol.nodes[n], OutcomeNode)]
    if outcome_ids:
        lines.append(f"    class {','.join(outcome_ids)} outcome")
    return "\n".join(lines) + "\n"


def _edges(protocol: Protocol) -> Iterator[tuple[str, str, str]]:
    for nid in node_order(protocol):
        node = protocol.nodes[nid]
        if isinstance(node, QuestionNode):
            for option in node.options:
                if option.next in protocol.nodes:
                    yield nid, option.next, f"{option.key}: {option.label}"
        else:
            for target in successors(node):
                if target in protocol.nodes:
                    yield nid, target, ""


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_DOT_SHAPES = {"question": "diamond", "action": "box", "input": "parallelogram", "wait": "ellipse",
               "outcome": "doubleoctagon"}


def dot(protocol: Protocol) -> str:
    """Graphviz DOT source."""
    lines = [f"digraph {_dot_text(protocol.id)} {{", "    rankdir=TB;", "    node [fontname=Helvetica];"]
    for nid in node_order(protocol):
        node = protocol.nodes[nid]
        detail = _detail(node)
        label = node.title + (f"\n({detail})" if detail else "")
        lines.append(f"    {_dot_text(nid)} [label={_dot_text(label)}, shape={_DOT_SHAPES[node.kind]}];")
    for source, target, label in _edges(protocol):
        attrs = f" [label={_dot_text(label)}]" if label else ""
        lines.append(f"    {_dot_text(source)} -> {_dot_text(target)}{attrs};")
    if protocol.red_flags:
        lines.append('    "any step" [shape=plaintext];')
        for flag in protocol.red_flags:
            if flag.goto in protocol.nodes:
                label = _dot_text(f"{flag.key}: {flag.label}")
                lines.append(f'    "any step" -> {_dot_text(flag.goto)} [style=dashed, color=red, label={label}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def protocol_row(protocol: Protocol) -> dict[str, Any]:
    """One `protocol list` row."""
    return {"id": protocol.id, "title": protocol.title, "version": protocol.version,
            "status": str(protocol.status),
            "next_review": protocol.review.next_review.isoformat() if protocol.review.next_review else None}
