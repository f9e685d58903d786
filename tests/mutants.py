"""A semantic mutator of protocol trees, and the judge of whether the project's gates catch each mutant.

A mutant is one clinically meaningful change to a tree's parsed data: a `next` or red-flag `goto` pointed
elsewhere, an option key changed, two option labels of a question swapped, an outcome's severity changed,
an input's or record field's bound moved, a wait's minutes changed, a decide rule's or `otherwise` target
pointed elsewhere, a wait's `early` target pointed elsewhere, a fact an option sets given another value, an
until-handover timer's minutes changed; and, in a tree with derived values (none of the bundled 0.3.0 trees
has one), a derived dose's factor, unit or table limit changed. It is caught when `protocol validate
--strict` would refuse the tree (any problem), a scenario fails on it, or a walk's transcript differs from the
committed one. A silent mutant is one that would pass CI unseen. Used by tests/test_mutants.py (a seeded
sample) and benchmarks/bench_mutants.py (all).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aesthetic_protocols.checks import check
from aesthetic_protocols.loader import parse_source
from aesthetic_protocols.model import Protocol
from aesthetic_protocols.scenarios import load_scenarios, run_file, scenario_path
from aesthetic_protocols.search import file_id
from aesthetic_protocols.source import Source
from aesthetic_protocols.transcripts import compare, read_file, transcript_path

Data = dict[str, Any]
Edit = Callable[[Data], None]

# The classes the bundled trees make (a "derived" mutant is made only for a tree with derived values).
CLASSES = ("next", "option-key", "option-labels", "severity", "red-flag-goto", "input-bound", "record-bound",
           "wait-minutes", "decide-next", "early", "set-value", "timer-minutes")
SEVERITIES = ("resolved", "follow-up", "refer", "emergency")
UNITS = ("mL", "mg", "units")


@dataclass(frozen=True)
class Mutant:
    """One change to one tree: its class, where (in words), and the edit to apply to a copy of the data."""

    tree: str
    kind: str
    where: str
    edit: Edit


def _set(path: tuple[str | int, ...], value: Any) -> Edit:
    def edit(data: Data) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return edit


def _swap(path: tuple[str | int, ...], i: int, j: int, key: str) -> Edit:
    def edit(data: Data) -> None:
        target: Any = data
        for part in path:
            target = target[part]
        target[i][key], target[j][key] = target[j][key], target[i][key]
    return edit


def _number_moves(value: int | float) -> list[int | float]:
    """Nearby and distant values of a bound, a factor or minutes (never the value itself)."""
    moves: list[int | float] = [value + 1, value * 10, value * 4]
    if value > 1:
        moves += [value - 1, value // 2 if isinstance(value, int) else value / 2]
    if value == 0:
        moves.append(1)
    return [move for move in dict.fromkeys(moves) if move != value]


def mutants(tree: str, data: Data) -> Iterator[Mutant]:
    """Every mutant of one tree's data, in a fixed order."""
    nodes: dict[str, Data] = data["nodes"]
    ids = sorted(nodes)
    for nid, node in nodes.items():
        kind = node["kind"]
        if "next" in node:
            for other in ids:
                if other != node["next"]:
                    yield Mutant(tree, "next", f"{nid}.next -> {other}", _set(("nodes", nid, "next"), other))
        for index, option in enumerate(node.get("options", [])):
            for other in ids:
                if other != option["next"]:
                    yield Mutant(tree, "next", f"{nid}.options[{index}].next -> {other}",
                                 _set(("nodes", nid, "options", index, "next"), other))
            used = {o["key"] for o in node["options"]} | {f["key"] for f in data.get("red_flags", [])}
            free = next(letter for letter in "abcdefghijklmnopqrstuvwxyz" if letter not in used)
            yield Mutant(tree, "option-key", f"{nid}.options[{index}].key -> {free}",
                         _set(("nodes", nid, "options", index, "key"), free))
            for later in range(index + 1, len(node["options"])):
                if option["label"] != node["options"][later]["label"]:
                    yield Mutant(tree, "option-labels", f"{nid}.options[{index}]<->[{later}].label",
                                 _swap(("nodes", nid, "options"), index, later, "label"))
        if kind == "outcome":
            for severity in SEVERITIES:
                if severity != node["severity"]:
                    yield Mutant(tree, "severity", f"{nid}.severity -> {severity}",
                                 _set(("nodes", nid, "severity"), severity))
        if kind == "input":
            for bound in ("min", "max"):
                for value in _number_moves(node[bound]):
                    yield Mutant(tree, "input-bound", f"{nid}.{bound} -> {value}", _set(("nodes", nid, bound), value))
        if kind == "record":
            for index, record_field in enumerate(node["fields"]):
                for bound in ("min", "max"):
                    if record_field.get(bound) is not None:
                        for value in [*_number_moves(record_field[bound]), None]:  # None: the bound removed
                            yield Mutant(tree, "record-bound", f"{nid}.fields[{index}].{bound} -> {value}",
                                         _set(("nodes", nid, "fields", index, bound), value))
        if kind == "wait":
            for value in _number_moves(node["minutes"]):
                yield Mutant(tree, "wait-minutes", f"{nid}.minutes -> {value}", _set(("nodes", nid, "minutes"), value))
            if node.get("early") is not None:
                for other in ids:
                    if other != node["early"]:
                        yield Mutant(tree, "early", f"{nid}.early -> {other}", _set(("nodes", nid, "early"), other))
        if kind == "decide":
            yield from _decide_mutants(tree, nid, node, ids)
        for index, option in enumerate(node.get("options", [])):
            for name, value in option.get("set", {}).items():
                for other in _other_values(data.get("facts", {}).get(name, {}), value):
                    yield Mutant(tree, "set-value", f"{nid}.options[{index}].set.{name} -> {other}",
                                 _set(("nodes", nid, "options", index, "set", name), other))
        for index, timer in enumerate((node.get("until_handover") or {}).get("timers", [])):
            for value in _number_moves(timer["every_minutes"]):
                yield Mutant(tree, "timer-minutes", f"{nid}.until_handover.timers[{index}] -> {value}",
                             _set(("nodes", nid, "until_handover", "timers", index, "every_minutes"), value))
    for index, flag in enumerate(data.get("red_flags", [])):
        for other in ids:
            if other != flag["goto"]:
                yield Mutant(tree, "red-flag-goto", f"red_flags[{index}].goto -> {other}",
                             _set(("red_flags", index, "goto"), other))
    for name, derived in data.get("derived", {}).items():
        for field_name in ("times", "max_input"):
            if derived.get(field_name) is not None:
                for value in _number_moves(derived[field_name]):
                    yield Mutant(tree, "derived", f"derived.{name}.{field_name} -> {value}",
                                 _set(("derived", name, field_name), value))
        for unit in UNITS:
            if unit != derived["unit"]:
                yield Mutant(tree, "derived", f"derived.{name}.unit -> {unit}", _set(("derived", name, "unit"), unit))


def _decide_mutants(tree: str, nid: str, node: Data, ids: list[str]) -> Iterator[Mutant]:
    """Each rule's `next` and the `otherwise` pointed at every other node."""
    for index, rule in enumerate(node["rules"]):
        for other in ids:
            if other != rule["next"]:
                yield Mutant(tree, "decide-next", f"{nid}.rules[{index}].next -> {other}",
                             _set(("nodes", nid, "rules", index, "next"), other))
    for other in ids:
        if other != node["otherwise"]:
            yield Mutant(tree, "decide-next", f"{nid}.otherwise -> {other}", _set(("nodes", nid, "otherwise"), other))


def _other_values(fact: Data, value: Any) -> list[Any]:
    """The other values a declared fact may take: a boolean flipped, another choice."""
    if fact.get("type") == "boolean":
        return [not value]
    return [choice for choice in fact.get("choices", []) if choice != value]


@dataclass
class Tree:
    """A bundled tree read once: its source, scenarios and committed transcripts."""

    path: Path
    source: Source
    scenarios: Any
    transcripts: dict[str, list[str]]

    @classmethod
    def read(cls, path: Path) -> Tree:
        scenarios = scenario_path(path)
        return cls(path, parse_source(path), load_scenarios(scenarios), read_file(transcript_path(scenarios)))

    def all_mutants(self) -> list[Mutant]:
        return list(mutants(file_id(self.path), self.source.data))

    def caught_by(self, mutant: Mutant, today: date) -> str | None:
        """Which gate catches the mutant (validate, scenarios, transcripts), or None when it is silent."""
        data = copy.deepcopy(self.source.data)
        mutant.edit(data)
        try:
            protocol = Protocol.model_validate(data)
        except ValidationError:
            return "validate"
        if check(protocol, replace(self.source, data=data), today, file_id(self.path)):
            return "validate"  # `validate --strict` in CI: a warning fails too
        results, _ = run_file(protocol, self.scenarios)
        if not all(result.passed for result in results):
            return "scenarios"
        if compare(self.transcripts, {result.name: list(result.transcript) for result in results}):
            return "transcripts"
        return None


def sample(items: list[Mutant], per_class: int, seed: int) -> list[Mutant]:
    """A deterministic sample: up to `per_class` mutants of each class."""
    chooser = random.Random(seed)
    out: list[Mutant] = []
    for kind in CLASSES:
        of_kind = [m for m in items if m.kind == kind]
        out += chooser.sample(of_kind, min(per_class, len(of_kind)))
    return out
