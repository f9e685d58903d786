"""A parsed protocol file (`Source`) and a validated protocol with its source (`Loaded`).

Kept apart from the parser so that a walk served from the cache of validated protocols (JSON entries of
`Loaded`) imports neither yaml nor the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from typing import Any

from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.tree import Protocol

MAX_BYTES = 1024 * 1024  # the largest protocol file read
Position = tuple[int, int]
PathKey = tuple[str | int, ...]


@dataclass
class Source:
    """A parsed protocol file: its data, where each key and item stands, and its content hash."""

    path: str
    data: Any
    positions: dict[PathKey, Position] = field(default_factory=dict)
    sha256: str = ""
    # Where each node's `kind:` VALUE stands (keyed by the node's path): an unknown kind is shown there.
    kinds: dict[PathKey, Position] = field(default_factory=dict)
    # Where a condition's `fact:` value and each `set:` value stand: rules on facts point at the value.
    values: dict[PathKey, Position] = field(default_factory=dict)

    def where(self, loc: Sequence[str | int]) -> Position:
        """The position of the deepest part of `loc` that exists in the file (pydantic loc -> mark)."""
        best: Position = self.positions.get((), (1, 1))
        here: Any = self.data
        found: list[str | int] = []
        for part in loc:
            present, child = child_of(here, part)
            if not present:
                continue  # a union tag or a missing field: stay at the nearest existing parent
            here = child
            found.append(part)
            best = self.positions.get(tuple(found), best)
        return best


def child_of(here: Any, part: str | int) -> tuple[bool, Any]:
    """(True, the item at `part` of a mapping or list) or (False, None) when it has none."""
    if isinstance(here, dict):
        return (True, here[part]) if part in here else (False, None)
    if isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
        return True, here[part]
    return False, None


@dataclass(frozen=True)
class Loaded:
    """A validated protocol and the source it came from."""

    protocol: Protocol
    source: Source
