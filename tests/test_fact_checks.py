"""The fact rules' graph work: linear in the file, whatever its shape (the messages are tested in test_checks)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aesthetic_protocols import fact_checks
from aesthetic_protocols.checks import validate_path
from aesthetic_protocols.fact_checks import _on_loops, path_words

HEAD = ("id: chain\ntitle: Chain\nversion: 1.0.0\nstatus: draft\nstart: q\nreferences:\n  R: {citation: Example.}\n"
        "facts:\n  f: {type: boolean}\nnodes:\n")


def _reaches_itself(graph: dict[str, list[str]], node: str) -> bool:
    seen, todo = set(), list(graph[node])
    while todo:
        here = todo.pop()
        if here == node:
            return True
        if here not in seen:
            seen.add(here)
            todo.extend(graph[here])
    return False


graphs = st.integers(1, 9).flatmap(lambda n: st.lists(
    st.lists(st.integers(0, n - 1), max_size=3), min_size=n, max_size=n))


@given(graphs)
def test_the_nodes_on_loops_are_those_that_reach_themselves(edges: list[list[int]]) -> None:
    graph = {f"d{i}": [f"d{j}" for j in out] for i, out in enumerate(edges)}
    assert _on_loops(graph) == {node for node in graph if _reaches_itself(graph, node)}


@given(graphs, st.lists(st.lists(st.sampled_from(["f", "g"]), max_size=2), max_size=30))
def test_one_pass_finds_the_facts_each_search_would(edges: list[list[int]], sets: list[list[str]]) -> None:
    graph: dict[str, list[Any]] = {f"d{i}": [] for i in range(len(edges))}
    labels = iter(sets)
    for i, out in enumerate(edges):
        graph[f"d{i}"] = [(f"d{j}", frozenset(next(labels, []))) for j in out]
    graph[fact_checks.FLAG_HUB] = []

    class Tree:
        start, nodes = "d0", graph

    unset = fact_checks._maybe_unset(Tree, graph, ["f", "g"])  # type: ignore[arg-type]
    for node in graph:
        for bit, fact in ((1, "f"), (2, "g")):
            found = fact_checks._unset_path(Tree, graph, node, fact)  # type: ignore[arg-type]
            assert bool(unset.get(node, 0) & bit) == (found is not None)


def test_a_long_path_is_shown_by_its_ends() -> None:
    assert path_words(["a", "b", "c"]) == "a -> b -> c"
    long = [f"n{i}" for i in range(40)]
    assert path_words(long) == ("n0 -> n1 -> n2 -> n3 -> n4 -> n5 -> n6 -> ... (26 more) -> "
                                "n33 -> n34 -> n35 -> n36 -> n37 -> n38 -> n39")


def _decide(i: int, fact_next: str, otherwise: str) -> str:
    return (f"  d{i}: {{kind: decide, title: D, rules: [{{when: {{fact: f, is: true}}, next: {fact_next}, "
            f"because: B}}], otherwise: {otherwise}}}\n")


@pytest.mark.parametrize("shape", ["unset", "loop"])
def test_a_rule_searches_paths_only_for_the_problems_that_can_be_shown(shape: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # 300 decides each reading a fact no path sets, or 300 decides in one loop: one search per problem was
    # quadratic (a 1 MiB file took a minute). Past the first 100 of a rule, problems are only counted.
    calls: list[str] = []
    for name in ("_unset_path", "_loop"):
        real = getattr(fact_checks, name)
        monkeypatch.setattr(fact_checks, name, lambda *a, real=real, name=name: calls.append(name) or real(*a))
    if shape == "unset":
        body = "".join(f"  a{i}: {{kind: action, title: A, refs: [R], next: d{i}}}\n" + _decide(i, f"a{i + 1}",
                                                                                           f"a{i + 1}")
                       for i in range(300))
        text = HEAD + "  q: {kind: action, title: Q, refs: [R], next: a0}\n" + body + \
            "  a300: {kind: outcome, title: Done, severity: resolved, refs: [R]}\n"
    else:
        body = "".join(_decide(i, f"d{(i + 1) % 300}", "end") for i in range(300))
        text = (HEAD + "  q: {kind: question, title: Q, options: [{key: y, label: Y, set: {f: true}, next: d0}, "
                "{key: n, label: N, set: {f: false}, next: d0}]}\n" + body
                + "  end: {kind: outcome, title: Done, severity: resolved, refs: [R]}\n")
    path = tmp_path / "chain.yaml"
    path.write_text(text)
    problems = validate_path(path, date(2026, 6, 1))
    rule = "fact-unset" if shape == "unset" else "decide-loop"
    assert [p.rule for p in problems[:100]] == [rule] * 100
    assert problems[-1].message.startswith("200 more problem(s) not shown")
    assert len(calls) == 100
    shown = problems[0].message
    assert (" -> ... (" in shown) if shape == "loop" else shown.startswith("may be unset here: not set on the path q")
