from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from aesthetic_protocols import tree
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol
from aesthetic_protocols.rebuild import NotRebuilt, dump, rebuild
from aesthetic_protocols.search import protocol_files
from tests.strategies import protocol_data

ROOT = Path(__file__).resolve().parents[1]
FILES = [*protocol_files(ROOT / "protocols"), *protocol_files(ROOT / "tests" / "fixtures" / "valid")]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_validated_protocol_comes_back_equal_from_its_json(path: Path) -> None:
    protocol = load_file(path).protocol
    again = rebuild(tree.Protocol, protocol.model_dump(mode="json"))
    assert type(again) is tree.Protocol
    assert dump(again) == dump(protocol) == protocol.model_dump(mode="json", by_alias=True)
    assert rebuild(tree.Protocol, dump(again)) == again


@settings(max_examples=60, deadline=None)
@given(protocol_data())
def test_any_valid_protocol_comes_back_equal(data: dict[str, Any]) -> None:
    protocol = Protocol.model_validate(data)
    again = rebuild(tree.Protocol, protocol.model_dump(mode="json"))
    assert dump(again) == protocol.model_dump(mode="json", by_alias=True)


@pytest.mark.parametrize("planted", [
    [], {"id": "x", "nodes": {"a": {"kind": "no-such-kind", "title": "T"}}}, {"id": "x", "__class__": "os.system"},
    {"id": 5}, {"nodes": {"a": {"kind": "outcome", "title": "T", "severity": "worse"}}},
    {"review": {"next_review": "not a date"}},
])
def test_data_of_another_shape_is_refused(planted: Any) -> None:
    with pytest.raises((NotRebuilt, ValueError)):
        rebuild(tree.Protocol, planted)
