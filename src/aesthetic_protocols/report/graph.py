"""Flowcharts of a protocol: ONE graph model (`flowchart`), drawn by a Mermaid and a Graphviz DOT renderer.

Both renderers show the same things the same way: each node kind and each outcome severity has its own
shape, outcomes are coloured by severity (resolved green, follow-up blue, refer orange, emergency red), and
red-flag jumps are red dashed edges from one "any step" node. Every label is escaped for its language, and
characters that could steer a terminal or a renderer (controls, bidirectional overrides) are replaced, so
an old or foreign file cannot inject markup (`<br>`, `<script>`, `#quot;`) into the drawing.
"""

from __future__ import annotations

import re
import textwrap

from aesthetic_protocols.nodes import edge_labels
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.report.review import node_detail, node_order
from aesthetic_protocols.tree import STEERING_RE, OutcomeNode, Protocol

RED_FLAGS = "red-flags"  # the kind of the one "any step" node the red-flag edges leave from


@dataclass(frozen=True)
class GraphNode:
    """A box of the drawing: its protocol node id (or the red-flag source), kind, label and severity."""

    id: str
    kind: str  # a node kind, or RED_FLAGS
    title: str
    detail: str
    severity: str | None  # outcomes only


@dataclass(frozen=True)
class GraphEdge:
    """An arrow: an option's answer, a step's `next`, or a red flag's jump."""

    source: str
    target: str
    label: str
    red_flag: bool = False
    early: bool = False  # a wait's `early` edge (drawn dashed)


@dataclass(frozen=True)
class Flowchart:
    """What both renderers draw, in walking order."""

    name: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]


_ANY_STEP = "any step"


def flowchart(protocol: Protocol) -> Flowchart:
    """The graph model of a protocol: its nodes in walking order, their edges, then the red-flag jumps."""
    order = node_order(protocol)
    nodes = [GraphNode(nid, protocol.nodes[nid].kind, protocol.nodes[nid].title, node_detail(protocol.nodes[nid]),
                       str(node.severity) if isinstance(node := protocol.nodes[nid], OutcomeNode) else None)
             for nid in order]
    edges: list[GraphEdge] = []
    for nid in order:
        edges += [GraphEdge(nid, target, label, early=dashed) for target, label, dashed
                  in edge_labels(protocol.nodes[nid]) if target in protocol.nodes]
    flags = [GraphEdge(_ANY_STEP, flag.goto, f"{flag.key}: {flag.label}", red_flag=True)
             for flag in protocol.red_flags if flag.goto in protocol.nodes]
    if flags:
        nodes.append(GraphNode(_ANY_STEP, RED_FLAGS, "any step", "red flags", None))
    return Flowchart(protocol.id, tuple(nodes), tuple(edges + flags))


# Severity colours: (fill, stroke). The stroke doubles as the red-flag colour.
_COLOURS = {"resolved": ("#dcfce7", "#15803d"), "follow-up": ("#dbeafe", "#1d4ed8"),
            "refer": ("#ffedd5", "#c2410c"), "emergency": ("#fee2e2", "#b91c1c")}
_RED = _COLOURS["emergency"][1]
FONT = "Helvetica"


def _plain(text: str) -> str:
    """One line, nothing that steers a terminal or a renderer (old or foreign files are not trusted)."""
    return STEERING_RE.sub("\ufffd", text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


def _label(node: GraphNode, sep: str) -> str:
    return node.title + (f"{sep}({node.detail})" if node.detail else "")


# --- Mermaid ------------------------------------------------------------------------------------------

_MERMAID_SHAPES = {
    "question": ('{"', '"}'),
    "action": ('["', '"]'),
    "input": ('[/"', '"/]'),
    "wait": ('(["', '"])'),
    "record": ('[("', '")]'),
    "decide": ('{"', '"}'),
    RED_FLAGS: ('(("', '"))'),
}
_MERMAID_OUTCOMES = {"resolved": ('("', '")'), "follow-up": ('[["', '"]]'), "refer": ('{{"', '"}}'),
                     "emergency": ('>"', '"]')}
# Mermaid reads `#name;` and `#123;` as entities and HTML in labels: every character that could start
# either, or end the quoted label, is written as its numeric entity (`#` first, so no entity is doubled).
_MERMAID_ENTITIES = re.compile(r"[#\"<>&`|{}\[\]]")


def _mermaid_text(text: str) -> str:
    return _MERMAID_ENTITIES.sub(lambda match: f"#{ord(match.group())};", _plain(text))


def _css(severity: str) -> str:
    return severity.replace("-", "")  # a Mermaid class name: follow-up -> followup


def render_mermaid(chart: Flowchart) -> str:
    """Mermaid flowchart source (renders on code-hosting sites)."""
    ids = {node.id: f"n{index}" for index, node in enumerate(chart.nodes)}
    ids[_ANY_STEP] = "rf"
    lines = ["flowchart TD"]
    for node in chart.nodes:
        left, right = (_MERMAID_OUTCOMES[node.severity] if node.severity in _MERMAID_OUTCOMES
                       else _MERMAID_SHAPES.get(node.kind, _MERMAID_SHAPES["action"]))
        lines.append(f"    {ids[node.id]}{left}{_mermaid_text(_label(node, ' '))}{right}")
    red_links: list[str] = []
    for index, edge in enumerate(chart.edges):
        arrow = "-.->" if edge.red_flag or edge.early else "-->"
        text = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"    {ids[edge.source]} {arrow}{text} {ids[edge.target]}")
        if edge.red_flag:
            red_links.append(str(index))
    for severity, (fill, stroke) in _COLOURS.items():
        lines.append(f"    classDef {_css(severity)} fill:{fill},stroke:{stroke},stroke-width:2px,color:#111")
    lines.append(f"    classDef redflags fill:#fff,stroke:{_RED},stroke-width:2px,color:{_RED}")
    for severity in _COLOURS:
        members = [ids[node.id] for node in chart.nodes if node.severity == severity]
        if members:
            lines.append(f"    class {','.join(members)} {_css(severity)}")
    if red_links:
        lines.append("    class rf redflags")
        lines.append(f"    linkStyle {','.join(red_links)} stroke:{_RED},stroke-width:2px,color:{_RED}")
    return "\n".join(lines) + "\n"


# --- Graphviz DOT -----------------------------------------------------------------------------------

_DOT_SHAPES = {"question": "diamond", "action": "box", "input": "parallelogram", "wait": "ellipse",
               "record": "cylinder", "decide": "diamond, peripheries=2", RED_FLAGS: "octagon"}
_DOT_OUTCOMES = {"resolved": 'shape=box, style="rounded,filled"', "follow-up": 'shape=note, style=filled',
                 "refer": 'shape=hexagon, style=filled', "emergency": 'shape=doubleoctagon, style=filled, penwidth=2'}


def _dot_text(text: str) -> str:
    # A quoted DOT string: `\` starts escapes (\N, \G, \l) and `"` ends it; a newline is written as \n.
    return '"' + _plain(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


_EDGE_LABEL_WIDTH = 26


def _dot_label(text: str) -> str:
    """An edge label wrapped into short lines: long one-line labels are what runs into a neighbour's."""
    lines = textwrap.wrap(_plain(text), _EDGE_LABEL_WIDTH, break_long_words=False) or [""]
    return "\\n".join(_dot_text(line)[1:-1] for line in lines).join('""')


def render_dot(chart: Flowchart) -> str:
    """Graphviz DOT source. One font for the graph, its nodes and its edges; each edge label is an `xlabel`-free
    `label` that dot places as a node of its own, with room between ranks, so labels do not overlap."""
    lines = [f"digraph {_dot_text(chart.name)} {{",
             "    rankdir=TB;",
             "    nodesep=0.8;",
             "    ranksep=0.7;",
             f'    graph [fontname="{FONT}"];',
             f'    node [fontname="{FONT}", fontsize=11];',
             f'    edge [fontname="{FONT}", fontsize=10];']
    for node in chart.nodes:
        title = _dot_text(node.title)[:-1] + (f"\\n({_dot_text(node.detail)[1:-1]})" if node.detail else "") + '"'
        if node.severity in _DOT_OUTCOMES:
            fill, stroke = _COLOURS[node.severity]
            style = f'{_DOT_OUTCOMES[node.severity]}, fillcolor="{fill}", color="{stroke}"'
        elif node.kind == RED_FLAGS:
            style = f'shape={_DOT_SHAPES[RED_FLAGS]}, color="{_RED}", fontcolor="{_RED}"'
        else:
            style = f"shape={_DOT_SHAPES.get(node.kind, 'box')}"
        lines.append(f"    {_dot_text(node.id)} [label={title}, {style}];")
    for edge in chart.edges:
        attrs = [f"label={_dot_label(edge.label)}"] if edge.label else []
        if edge.red_flag:
            attrs += ["style=dashed", f'color="{_RED}"', f'fontcolor="{_RED}"']
        elif edge.early:
            attrs += ["style=dashed"]
        shown = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"    {_dot_text(edge.source)} -> {_dot_text(edge.target)}{shown};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def mermaid(protocol: Protocol) -> str:
    """Mermaid flowchart source that renders on code-hosting sites."""
    return render_mermaid(flowchart(protocol))


def dot(protocol: Protocol) -> str:
    """Graphviz DOT source."""
    return render_dot(flowchart(protocol))
