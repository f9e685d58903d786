from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from aesthetic_protocols import report
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol
from aesthetic_protocols.report.graph import flowchart

FIXTURE = Path(__file__).parent / "fixtures" / "valid" / "every-kind.yaml"


@pytest.fixture()
def protocol() -> Protocol:
    return load_file(FIXTURE).protocol


def test_node_order_is_walking_order(protocol: Protocol) -> None:
    assert report.node_order(protocol) == ["begin", "assess", "areas", "fine", "treat", "wait", "better", "refer",
                                           "emergency"]


def test_mermaid_is_exact(protocol: Protocol) -> None:
    assert report.mermaid(protocol).splitlines() == [
        "flowchart TD",
        '    n0["Stop and prepare"]',
        '    n1{"What do you see?"}',
        '    n2[/"Areas affected (areas: 1..4 areas)"/]',
        '    n3("Resolved (resolved)")',
        '    n4["Treat"]',
        '    n5(["Reassess in 60 minutes (60 min)"])',
        '    n6{"Resolved?"}',
        '    n7{{"Refer (refer)"}}',
        '    n8>"Emergency referral (emergency)"]',
        '    rf(("any step (red flags)"))',
        "    n0 --> n1",
        '    n1 -->|"y: Blanching"| n2',
        '    n1 -->|"n: Neither"| n3',
        "    n2 --> n4",
        "    n4 --> n5",
        "    n5 --> n6",
        '    n6 -->|"y: Yes"| n3',
        '    n6 -->|"n: No"| n4',
        '    n6 -->|"r: Refer"| n7',
        '    rf -.->|"v: Vision change"| n8',
        "    classDef resolved fill:#dcfce7,stroke:#15803d,stroke-width:2px,color:#111",
        "    classDef followup fill:#dbeafe,stroke:#1d4ed8,stroke-width:2px,color:#111",
        "    classDef refer fill:#ffedd5,stroke:#c2410c,stroke-width:2px,color:#111",
        "    classDef emergency fill:#fee2e2,stroke:#b91c1c,stroke-width:2px,color:#111",
        "    classDef redflags fill:#fff,stroke:#b91c1c,stroke-width:2px,color:#b91c1c",
        "    class n3 resolved",
        "    class n7 refer",
        "    class n8 emergency",
        "    class rf redflags",
        "    linkStyle 9 stroke:#b91c1c,stroke-width:2px,color:#b91c1c",
    ]


def test_dot_escapes_quotes_and_marks_red_flags(protocol: Protocol) -> None:
    changed = protocol.model_copy(update={"id": 'say "hi"'})
    text = report.dot(changed)
    assert text.splitlines()[0] == 'digraph "say \\"hi\\"" {'
    assert ('    "any step" -> "emergency" [label="v: Vision change", style=dashed, color="#b91c1c", '
            'fontcolor="#b91c1c"];') in text.splitlines()
    assert '    "areas" [label="Areas affected\\n(areas: 1..4 areas)", shape=parallelogram];' in text.splitlines()


def test_mermaid_escapes_quotes(protocol: Protocol) -> None:
    node = protocol.nodes["begin"].model_copy(update={"title": 'Say "stop"'})
    changed = protocol.model_copy(update={"nodes": {**protocol.nodes, "begin": node}})
    assert '    n0["Say #34;stop#34;"]' in report.mermaid(changed).splitlines()


# --- issue 9: one graph model, severity by shape and colour, red flags red, labels escaped, one font ---------

HOSTILE = 'A<br>B <script>x</script> #quot; "q" & `m` |p| {c} [d] \x1b[2J \u202eevil\nmore'


def _with_title(protocol: Protocol, node_id: str, title: str) -> Protocol:
    # Built around validation on purpose: an old or foreign file is not trusted by the renderers either.
    node = protocol.nodes[node_id].model_copy(update={"title": title})
    return protocol.model_copy(update={"nodes": {**protocol.nodes, node_id: node}})


def test_both_renderers_draw_the_one_graph_model(protocol: Protocol) -> None:
    chart = flowchart(protocol)
    assert [n.id for n in chart.nodes] == [*report.node_order(protocol), "any step"]
    assert [(e.source, e.target) for e in chart.edges if e.red_flag] == [("any step", "emergency")]
    mermaid_edges = [line for line in report.mermaid(protocol).splitlines() if "-->" in line or "-.->" in line]
    dot_edges = [line for line in report.dot(protocol).splitlines() if " -> " in line]
    assert len(mermaid_edges) == len(dot_edges) == len(chart.edges) == 10


def test_each_severity_has_its_own_shape_and_colour_in_both(protocol: Protocol) -> None:
    dot_lines = report.dot(protocol).splitlines()
    assert '    "fine" [label="Resolved\\n(resolved)", shape=box, style="rounded,filled", fillcolor="#dcfce7", ' \
           'color="#15803d"];' in dot_lines
    assert '    "refer" [label="Refer\\n(refer)", shape=hexagon, style=filled, fillcolor="#ffedd5", ' \
           'color="#c2410c"];' in dot_lines
    assert '    "emergency" [label="Emergency referral\\n(emergency)", shape=doubleoctagon, style=filled, ' \
           'penwidth=2, fillcolor="#fee2e2", color="#b91c1c"];' in dot_lines
    outcomes = [line for line in dot_lines if "(resolved)" in line or "(refer)" in line or "(emergency)" in line]
    assert len({line.split("shape=")[1].split(",")[0] for line in outcomes}) == 3


def test_red_flag_edges_are_red_in_both(protocol: Protocol) -> None:
    mermaid_lines = report.mermaid(protocol).splitlines()
    index = [i for i, line in enumerate(line for line in mermaid_lines if "-->" in line or "-.->" in line)
             if "-.->" in line]
    assert index == [9] and "    linkStyle 9 stroke:#b91c1c,stroke-width:2px,color:#b91c1c" in mermaid_lines
    assert [line for line in report.dot(protocol).splitlines() if "style=dashed" in line] == [
        '    "any step" -> "emergency" [label="v: Vision change", style=dashed, color="#b91c1c", '
        'fontcolor="#b91c1c"];']


def test_mermaid_labels_are_escaped(protocol: Protocol) -> None:
    line = report.mermaid(_with_title(protocol, "begin", HOSTILE)).splitlines()[1]
    assert line == ('    n0["A#60;br#62;B #60;script#62;x#60;/script#62; #35;quot; #34;q#34; #38; #96;m#96; '
                    '#124;p#124; #123;c#125; #91;d#93; \ufffd#91;2J \ufffdevil more"]')


def test_dot_labels_are_escaped(protocol: Protocol) -> None:
    text = report.dot(_with_title(protocol, "begin", HOSTILE + " \\N"))
    assert '    "begin" [label="A<br>B <script>x</script> #quot; \\"q\\" & `m` |p| {c} [d] \ufffd[2J \ufffdevil more ' \
           '\\\\N", shape=box];' in text.splitlines()
    assert "\x1b" not in text and "\u202e" not in text


def test_dot_uses_one_font_for_graph_nodes_and_edges(protocol: Protocol) -> None:
    lines = report.dot(protocol).splitlines()
    fonts = {line.split("fontname=")[1].split('"')[1] for line in lines if "fontname=" in line}
    assert fonts == {"Helvetica"}
    assert {line.split("[")[0].strip() for line in lines if "fontname=" in line} == {"graph", "node", "edge"}


@pytest.mark.parametrize("tree", ["vascular-occlusion", "ptosis", "nodules", "pre-treatment-check"])
def test_graphviz_keeps_edge_labels_of_the_bundled_trees_apart(tree: str) -> None:
    import os
    import subprocess

    if shutil.which("dot") is None:  # CI installs Graphviz and sets the variable: there a skip is a failure
        if os.environ.get("AESTHETIC_PROTOCOLS_REQUIRE_GRAPHVIZ") == "1":
            pytest.fail("Graphviz's dot is required here (AESTHETIC_PROTOCOLS_REQUIRE_GRAPHVIZ=1) but not on PATH")
        pytest.skip("needs Graphviz's dot (Debian package graphviz)")

    from aesthetic_protocols.search import bundled_dir

    source = report.dot(load_file(bundled_dir() / f"{tree}.yaml").protocol)
    laid = subprocess.run(["dot", "-Tjson"], input=source, capture_output=True, text=True, check=True, timeout=120)
    gap = 4  # points of clear space around each label
    boxes = []
    for edge in json.loads(laid.stdout).get("edges", []):
        size, lines = 14.0, []
        for draw in edge.get("_ldraw_", []):
            if draw["op"] == "F":
                size = draw["size"]
            elif draw["op"] == "T":
                x, y = draw["pt"]
                left = {"c": x - draw["width"] / 2, "l": x, "r": x - draw["width"]}[draw.get("align", "c")]
                lines.append((left, y - size / 4, left + draw["width"], y + size * 0.8))
        if lines:  # one box per label, over all its lines
            boxes.append((min(b[0] for b in lines) - gap, min(b[1] for b in lines) - gap,
                          max(b[2] for b in lines) + gap, max(b[3] for b in lines) + gap))
    clashes = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
               if not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])]
    assert clashes == []


def test_outline_lists_every_node_with_its_sources(protocol: Protocol) -> None:
    lines = report.outline(protocol).splitlines()
    assert lines[:3] == ["every-kind 1.0.0 (draft) - Example tree using every node kind", "start: begin",
                         "red flag [v] Vision change -> emergency"]
    assert "  [n] Neither (weak evidence) -> fine" in lines
    assert "wait  wait  Reassess in 60 minutes  (60 min) -> better" in lines


def test_markdown_review_document_has_every_node_sources_and_sign_off(protocol: Protocol) -> None:
    text = report.markdown(protocol)
    for node in protocol.nodes.values():
        assert f". {node.title}\n" in text
    assert "- **EX-2**: Example source two. <https://example.invalid/two>" in text
    assert "- **Status:** draft (reference content, not approved for clinical use)" in text
    assert "| Clinical lead | | | |" in text


def test_markdown_ties_the_sign_off_to_the_file_hash_when_given(protocol: Protocol) -> None:
    assert "sha256" not in report.markdown(protocol)
    text = report.markdown(protocol, "ab" * 32)
    assert (f"## Sign-off\n\nSigning approves exactly this file: `every-kind.yaml` version 1.0.0, sha256 `{'ab' * 32}`."
            "\n\n| Role | Name | Signature | Date |") in text


def test_outline_and_markdown_mark_treatment_steps(protocol: Protocol) -> None:
    node = protocol.nodes["treat"].model_copy(update={"treatment": True})
    changed = protocol.model_copy(update={"nodes": {**protocol.nodes, "treat": node}})
    assert "  treatment step: a wait and a recheck come before any resolved outcome" in report.outline(changed)
    assert "\nTreatment step: a wait and a recheck come before any resolved outcome\n" in report.markdown(changed)
    assert "treatment step" not in report.outline(protocol).lower()


def test_markdown_collects_disagreements(protocol: Protocol) -> None:
    node = protocol.nodes["treat"].model_copy(update={"disagreement": "A says 450, B says 500."})
    changed = protocol.model_copy(update={"nodes": {**protocol.nodes, "treat": node}})
    text = report.markdown(changed)
    assert "> **Sources disagree:** A says 450, B says 500." in text
    assert "## Where sources disagree\n\n- Treat (`treat`): A says 450, B says 500." in text


def test_protocol_json_round_trips(protocol: Protocol) -> None:
    assert Protocol.model_validate_json(report.protocol_json(protocol)) == protocol
    assert json.loads(report.protocol_json(protocol))["nodes"]["begin"]["requires"] == []


def test_anonymised_json_record_keeps_elapsed_and_drops_identity() -> None:
    events = [
        {"seq": 0, "ts": "2026-11-27T12:00:00.000Z", "session": "S", "event": "start", "patient": "R1",
         "practitioner": "Dr X", "prev": None, "hash": "h0"},
        {"seq": 1, "ts": "2026-11-27T12:01:30.000Z", "session": "S", "event": "note", "node": "a",
         "text": "Mrs Smith anxious", "prev": "h0", "hash": "h1"},
    ]
    cleaned = json.loads(report.record_json(events, anonymise=True))
    assert cleaned == [{"seq": 0, "event": "start", "elapsed_s": 0},
                       {"seq": 1, "event": "note", "node": "a", "text": "[removed]", "elapsed_s": 90}]


def test_the_review_document_shows_protocol_text_literally(tmp_path: Path) -> None:
    # What a clinical lead signs must read as the file says: markup in a label is shown, never obeyed.
    nasty = load_file(Path(__file__).parent / "fixtures" / "nasty" / "nasty.yaml").protocol
    text = report.markdown(nasty)
    assert "# Tree \\<script\\>alert(1)\\</script\\> \\& \\*stars\\* \\# hash" in text.splitlines()
    assert re.search(r"(?<!\\)[<*]", text.replace("**", "")) is None  # no unescaped markup but our own bold
    assert "Eye \\<img src=x onerror=alert(1)\\> \\| pipe" in text


def test_every_name_the_report_package_offers_is_loaded_on_use() -> None:
    import aesthetic_protocols.report as package

    for name in package.__all__:
        assert callable(getattr(package, name)), name
    with pytest.raises(AttributeError):
        _ = package.no_such_renderer
