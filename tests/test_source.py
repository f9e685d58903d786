"""A parsed file's records: `Source.where` finds the nearest position that exists; `child_of` one step down."""

from __future__ import annotations

from aesthetic_protocols.source import Source, child_of


def test_child_of_steps_into_mappings_and_lists_only_where_the_part_exists() -> None:
    data = {"nodes": {"a": {"options": ["x", "y"]}}}
    assert child_of(data, "nodes") == (True, {"a": {"options": ["x", "y"]}})
    assert child_of(data, "missing") == (False, None)
    assert child_of(["x", "y"], 1) == (True, "y")
    assert [child_of(["x", "y"], index) for index in (2, -1)] == [(False, None), (False, None)]
    assert child_of("text", 0) == (False, None)


def test_where_is_the_deepest_part_of_a_loc_that_exists_in_the_file() -> None:
    source = Source("p.yaml", {"nodes": {"a": {"options": ["x"]}}},
                    {(): (1, 1), ("nodes",): (2, 1), ("nodes", "a"): (3, 3), ("nodes", "a", "options", 0): (5, 7)})
    assert source.where(("nodes", "a", "question", "options", 0)) == (5, 7)  # a union tag is skipped
    assert source.where(("nodes", "a", "next")) == (3, 3)  # a missing field stands at its node
    assert source.where(("red_flags", 0)) == (1, 1)
