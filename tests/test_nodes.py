"""One place per node kind: the per-kind answers agree with each other for every node of every tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from aesthetic_protocols.loader import load_file, node_kinds
from aesthetic_protocols.nodes import edge_labels, fact_edges, prompts, shape, successors, targets
from aesthetic_protocols.search import protocol_files

ROOT = Path(__file__).resolve().parents[1]
TREES = [*protocol_files(ROOT / "protocols"), *protocol_files(ROOT / "tests" / "fixtures" / "valid")]
TREES = [path for path in TREES if not path.name.endswith(".scenarios.yaml")]


@pytest.mark.parametrize("path", TREES, ids=lambda p: p.stem)
def test_every_kind_names_the_same_edges_everywhere(path: Path) -> None:
    for node in load_file(path).protocol.nodes.values():
        nexts = successors(node)
        assert [target for _, target in targets(node)] == nexts
        assert [target for target, _, _ in edge_labels(node)] == nexts
        assert [target for target, _ in fact_edges(node)] == nexts
        assert prompts(node) is (node.kind not in ("decide", "outcome"))
        assert (shape(node) == "outcome") is (node.kind == "outcome")


def test_the_decide_kind_is_known_to_the_loader() -> None:
    assert node_kinds() == ["question", "action", "input", "wait", "record", "decide", "outcome"]
