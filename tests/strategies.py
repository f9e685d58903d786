"""Hypothesis strategies shared by the tests: random valid protocol trees as plain data."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

KINDS = ("question", "action", "input", "wait")
LETTERS = "abcdefghijklmnopqrstu"  # option keys; red flags use w, x, z


@st.composite
def protocol_data(draw: st.DrawFn, max_nodes: int = 12) -> dict[str, Any]:
    """A valid protocol: a chain of steps (so every node is reachable and can finish) plus random
    extra options that jump anywhere, forwards or back (loops), and a few outcomes."""
    steps = draw(st.integers(min_value=1, max_value=max_nodes))
    outcomes = draw(st.integers(min_value=1, max_value=3))
    step_ids = [f"s{i}" for i in range(steps)]
    outcome_ids = [f"o{i}" for i in range(outcomes)]
    everything = step_ids + outcome_ids
    nodes: dict[str, Any] = {}
    for index, nid in enumerate(step_ids):
        follow = step_ids[index + 1] if index + 1 < steps else outcome_ids[0]
        kind = draw(st.sampled_from(KINDS))
        node: dict[str, Any] = {"kind": kind, "title": f"Step {index}"}
        if kind == "question":
            extra = draw(st.lists(st.sampled_from(everything), max_size=3))
            targets = [follow, *extra]
            node["options"] = [{"key": LETTERS[i], "label": f"Option {i}", "next": t} for i, t in enumerate(targets)]
        elif kind == "input":
            low = draw(st.integers(min_value=0, max_value=5))
            node.update(variable=f"v{index}", min=low, max=low + draw(st.integers(min_value=0, max_value=5)),
                        next=follow)
        elif kind == "wait":
            node.update(minutes=draw(st.integers(min_value=1, max_value=120)), refs=["R1"], next=follow)
        else:
            node.update(steps=["Do it"], refs=["R1"], next=follow)
        nodes[nid] = node
    severities = ["resolved", "follow-up", "refer"]
    for index, nid in enumerate(outcome_ids):
        nodes[nid] = {"kind": "outcome", "title": f"Outcome {index}", "severity": severities[index % 3],
                      "refs": ["R1"]}
    nodes["emergency"] = {"kind": "outcome", "title": "Emergency", "severity": "emergency", "refs": ["R1"]}
    return {
        "id": "random-tree",
        "title": "Random tree",
        "version": "1.0.0",
        "status": "draft",
        "references": {"R1": {"citation": "A source."}},
        "start": step_ids[0],
        "red_flags": [{"key": "z", "label": "Emergency sign", "goto": "emergency"}],
        "nodes": nodes,
    }
