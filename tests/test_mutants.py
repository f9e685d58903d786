"""Every semantic mutant of the bundled trees is caught by validate, scenarios or transcripts (issue 14).

A seeded sample of each class keeps this test fast; benchmarks/bench_mutants.py judges all of them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from aesthetic_protocols.search import file_id, protocol_files
from tests.mutants import CLASSES, Mutant, Tree, sample

BUNDLED = Path(__file__).resolve().parents[1] / "protocols"
TODAY = date.today()
TREES = {file_id(path): Tree.read(path) for path in protocol_files(BUNDLED)}
ALL = [mutant for tree in TREES.values() for mutant in tree.all_mutants()]


def test_the_unmutated_trees_pass_every_gate() -> None:
    for name, tree in TREES.items():
        assert tree.caught_by(Mutant(name, "none", "unchanged", lambda data: None), TODAY) is None, name


def test_the_mutator_makes_every_class() -> None:
    assert {mutant.kind for mutant in ALL} == set(CLASSES)
    assert len(ALL) > 2000


@pytest.mark.parametrize("mutant", sample(ALL, per_class=5, seed=14), ids=lambda m: f"{m.tree}:{m.where}")
def test_a_sampled_mutant_is_caught(mutant: Mutant) -> None:
    assert TREES[mutant.tree].caught_by(mutant, TODAY) is not None, f"silent: {mutant.kind} {mutant.where}"


def test_swapped_labels_and_changed_minutes_are_caught_by_the_transcripts_alone() -> None:
    """What only the transcripts see: these passed validate and every scenario before transcripts."""
    tree = TREES["vascular-occlusion"]
    for kind in ("option-labels", "wait-minutes"):
        mutant = next(m for m in ALL if m.tree == "vascular-occlusion" and m.kind == kind)
        assert tree.caught_by(mutant, TODAY) == "transcripts", mutant.where
