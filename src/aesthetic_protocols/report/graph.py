"""Flowcharts of a protocol: Mermaid (renders on code-hosting sites) and Graphviz DOT."""

from __future__ import annotations

from collections.abc import Iterator

from aesthetic_protocols.model import OutcomeNode, Protocol, QuestionNode, successors
from aesthetic_protocols.report.review import node_detail, node_order


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


_MERMAID_SHAPES = {
    "question": ('{"', '"}'),
    "action": ('["', '"]'),
    "input": ('[/"', '"/]'),
    "wait": ('(["', '"])'),
    "record": ('[("', '")]'),
    "outcome": ('[["', '"]]'),
}


def mermaid(protocol: Protocol) -> str:
    """Mermaid flowchart source that renders on code-hosting sites."""
    ids = {nid: f"n{index}" for index, nid in enumerate(node_order(protocol))}
    lines = ["flowchart TD"]
    for nid, short in ids.items():
        node = protocol.nodes[nid]
        left, right = _MERMAID_SHAPES[node.kind]
        detail = node_detail(node)
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
               "record": "cylinder", "outcome": "doubleoctagon"}


def dot(protocol: Protocol) -> str:
    """Graphviz DOT source."""
    lines = [f"digraph {_dot_text(protocol.id)} {{", "    rankdir=TB;", "    node [fontname=Helvetica];"]
    for nid in node_order(protocol):
        node = protocol.nodes[nid]
        detail = node_detail(node)
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
