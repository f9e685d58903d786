"""Synthetic, valid protocol files for the benchmarks (not a benchmark itself).

`tree_yaml(protocol_id, n)` writes a protocol of about `n` nodes as YAML text, block style like the
hand-written protocols: a mix of question, action, wait and outcome nodes (plus one input node and a
derived value once there is room), every node reachable from `start`, every node able to reach an
outcome, every action/wait/outcome citing a reference, one red flag to an emergency outcome, and some
back edges ("not resolved -> treat again") so the graph is not a pure tree.
"""

from __future__ import annotations

import json
from collections import deque

# Kinds repeat in this order; with two-option questions the number of open edges stays small, so the
# generator can close every edge with an outcome at the end.
PATTERN = ("question", "action", "outcome", "question", "wait", "outcome")
REFS = ("REF-1", "REF-2", "REF-3")


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML for ASCII text)."""
    return json.dumps(text)


def tree_yaml(protocol_id: str, n: int) -> str:
    """YAML text of a valid protocol with `n` nodes (n >= 8), plus an emergency outcome for the red flag."""
    if n < 8:
        raise ValueError("n must be at least 8")
    kinds: list[str] = []
    edges: dict[int, list[int]] = {}
    back: dict[int, int] = {}
    pending: deque[int] = deque()  # parents with an edge still to fill, one entry per edge
    last_action = -1
    for i in range(n):
        if i:
            parent = pending.popleft()
            edges.setdefault(parent, []).append(i)
        remaining = n - i - 1
        kind = "input" if i == 1 else PATTERN[i % len(PATTERN)]
        wants = {"question": 2, "outcome": 0}.get(kind, 1)
        if len(pending) + wants > remaining:
            kind, wants = "outcome", 0
        if kind == "outcome" and not pending and remaining:
            kind, wants = "action", 1
        kinds.append(kind)
        pending.extend([i] * wants)
        if kind == "question" and last_action >= 0 and i % 4 == 0:
            back[i] = last_action  # a loop back to an earlier action, still able to finish
        if kind == "action":
            last_action = i
    assert not pending

    lines = [
        f"id: {protocol_id}",
        f"title: {_q(f'Synthetic protocol of {n} nodes')}",
        "version: 1.0.0",
        "status: draft",
        "summary: Generated for benchmarks; not clinical content.",
        "review: {last_reviewed: 2026-01-01, next_review: 2099-01-01}",
        "references:",
        '  REF-1: {citation: "Example source one."}',
        '  REF-2: {citation: "Example source two.", url: "https://example.invalid/two"}',
        '  REF-3: {citation: "Example source three."}',
        "derived:",
        '  dose: {variable: areas, times: 500, unit: U, max_input: 3, beyond_text: "get senior help"}',
        "start: n0",
        "red_flags:",
        '  - {key: z, label: "Vision change", goto: emergency}',
        "nodes:",
    ]
    dose_shown = False
    for i, kind in enumerate(kinds):
        ref = REFS[i % len(REFS)]
        nxt = edges.get(i, [])
        lines += [f"  n{i}:", f"    kind: {kind}", f"    title: {_q(f'Step {i}: {kind} node')}"]
        if i % 5 == 0:
            lines.append(f"    text: {_q(f'Longer guidance for step {i}, written out as a trainer would.')}")
        if kind == "question":
            lines.append("    options:")
            for key, target in zip("ab", nxt, strict=True):
                lines.append(f"      - {{key: {key}, label: {_q(f'Answer {key} of {i}')}, next: n{target}}}")
            if i in back:
                lines.append(f"      - {{key: c, label: \"Not resolved\", next: n{back[i]}, refs: [{ref}]}}")
        elif kind == "input":
            lines += ["    variable: areas", "    min: 1", "    max: 4", "    unit: areas", f"    next: n{nxt[0]}"]
        else:
            if kind == "wait":
                lines.append(f"    minutes: {5 + i % 55}")
            if kind == "outcome":
                lines.append(f"    severity: {('resolved', 'follow-up', 'refer')[i % 3]}")
            if kind == "action":
                lines.append("    steps:")
                lines += [f"      - {_q(f'Do part {s} of step {i}')}" for s in range(1 + i % 3)]
                if not dose_shown:
                    dose_shown = True
                    lines.append('      - "Give {dose} across {areas} area(s)."')
            lines.append(f"    refs: [{ref}]")
            if kind != "outcome":
                lines.append(f"    next: n{nxt[0]}")
    lines += ["  emergency:", "    kind: outcome", '    title: "Emergency referral"', "    severity: emergency",
              "    refs: [REF-1]"]
    return "\n".join(lines) + "\n"
