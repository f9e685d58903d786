from __future__ import annotations

import json
from pathlib import Path

import pytest

from aesthetic_protocols import report
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol

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
        '    n3[["Resolved (resolved)"]]',
        '    n4["Treat"]',
        '    n5(["Reassess in 60 minutes (60 min)"])',
        '    n6{"Resolved?"}',
        '    n7[["Refer (refer)"]]',
        '    n8[["Emergency referral (emergency)"]]',
        "    n0 --> n1",
        '    n1 -->|"y: Blanching"| n2',
        '    n1 -->|"n: Neither"| n3',
        "    n2 --> n4",
        "    n4 --> n5",
        "    n5 --> n6",
        '    n6 -->|"y: Yes"| n3',
        '    n6 -->|"n: No"| n4',
        '    n6 -->|"r: Refer"| n7',
        '    rf(("any step"))',
        '    rf -.->|"v: Vision change"| n8',
        "    classDef outcome stroke-width:3px",
        "    class n3,n7,n8 outcome",
    ]


def test_dot_escapes_quotes_and_marks_red_flags(protocol: Protocol) -> None:
    changed = protocol.model_copy(update={"id": 'say "hi"'})
    text = report.dot(changed)
    assert text.splitlines()[0] == 'digraph "say \\"hi\\"" {'
    assert '    "any step" -> "emergency" [style=dashed, color=red, label="v: Vision change"];' in text.splitlines()
    assert '    "areas" [label="Areas affected\\n(areas: 1..4 areas)", shape=parallelogram];' in text.splitlines()


def test_mermaid_escapes_quotes(protocol: Protocol) -> None:
    node = protocol.nodes["begin"].model_copy(update={"title": 'Say "stop"'})
    changed = protocol.model_copy(update={"nodes": {**protocol.nodes, "begin": node}})
    assert '    n0["Say #quot;stop#quot;"]' in report.mermaid(changed).splitlines()


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
