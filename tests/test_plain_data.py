"""The package's data classes behave as the standard library's do, without compiling code per class."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aesthetic_protocols import plain_data
from aesthetic_protocols.plain_data import dataclass


@dataclass(frozen=True)
class Step:
    kind: ClassVar[str] = "step"
    node: str | None
    answer: str = ""
    shown: dict[str, str] = dataclasses.field(default_factory=dict)
    line: str = dataclasses.field(default="", repr=False, compare=False)


@dataclass(frozen=True)
class Answered(Step):
    value: int | None = None


@dataclass
class Trail:
    taken: list[str] = dataclasses.field(default_factory=list)
    at: str = "start"


@dataclass(frozen=True, order=True)
class Place:
    line: int
    column: int


# The same classes by the standard library, to hold ours to.
@dataclasses.dataclass(frozen=True)
class StdStep:
    kind: ClassVar[str] = "step"
    node: str | None
    answer: str = ""
    shown: dict[str, str] = dataclasses.field(default_factory=dict)
    line: str = dataclasses.field(default="", repr=False, compare=False)


@dataclasses.dataclass(frozen=True)
class StdAnswered(StdStep):
    value: int | None = None


def test_fields_defaults_and_factories_as_the_standard_library_reads_them() -> None:
    assert [f.name for f in dataclasses.fields(Answered)] == ["node", "answer", "shown", "line", "value"]
    assert Answered.__match_args__ == ("node", "answer", "shown", "line", "value")
    first, second = Step("a"), Step("a")
    assert first.answer == "" and first.shown == {} and first.shown is not second.shown
    assert dataclasses.replace(Answered("a", value=3), answer="y") == Answered("a", "y", value=3)
    assert dataclasses.asdict(Answered("a", "y", {"d": "1"})) == {
        "node": "a", "answer": "y", "shown": {"d": "1"}, "line": "", "value": None}
    assert dataclasses.is_dataclass(Step) and Step.kind == "step"


def test_repr_equality_and_hash_leave_out_what_the_fields_say() -> None:
    assert repr(Answered("a", "y", value=2, line="raw")) == \
        "Answered(node='a', answer='y', shown={}, value=2)"
    assert Step("a", line="one") == Step("a", line="two")  # compare=False
    assert hash(Place(1, 2)) == hash(Place(1, 2)) == hash(dataclasses.astuple(Place(1, 2)))
    assert Step("a") != Answered("a")  # another class is never equal, as with dataclasses
    assert Step("a").__eq__(StdStep("a")) is NotImplemented
    assert Trail.__hash__ is None  # a mutable data class is unhashable
    with pytest.raises(TypeError, match="unhashable"):
        hash(Trail())


def test_a_frozen_class_refuses_changes_and_a_mutable_one_takes_them() -> None:
    step = Step("a")
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'answer'"):
        step.answer = "y"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'node'"):
        del step.node  # type: ignore[misc]
    trail = Trail()
    trail.at = "b"
    trail.taken.append("a")
    assert trail == Trail(["a"], "b")


def test_order_compares_the_fields_in_turn() -> None:
    assert sorted([Place(3, 1), Place(1, 9), Place(1, 2)]) == [Place(1, 2), Place(1, 9), Place(3, 1)]
    assert Place(1, 2) <= Place(1, 2) and Place(2, 0) > Place(1, 9) and Place(2, 0) >= Place(2, 0)
    with pytest.raises(TypeError):
        assert Place(1, 2) < (1, 2)  # type: ignore[operator]


def test_wrong_arguments_are_refused_as_the_standard_library_refuses_them() -> None:
    with pytest.raises(TypeError, match=r"missing 1 required argument: 'node'"):
        Step()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'nod'"):
        Step("a", nod="b")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values for argument 'node'"):
        Step("a", node="b")  # type: ignore[misc]
    with pytest.raises(TypeError, match="takes 5 positional arguments but 6 were given"):
        Answered("a", "y", {}, "", 1, 2)  # type: ignore[call-arg]


def test_a_method_the_class_writes_itself_is_kept() -> None:
    @dataclass(frozen=True)
    class Spoken:
        word: str

        def __repr__(self) -> str:
            return f"<{self.word}>"

    assert repr(Spoken("yes")) == "<yes>"
    assert Spoken("yes") == Spoken("yes")


texts = st.text(max_size=5)
optional_ints = st.none() | st.integers(-5, 5)


@given(st.tuples(st.none() | texts, texts, st.dictionaries(texts, texts, max_size=2), texts, optional_ints),
       st.tuples(st.none() | texts, texts, st.dictionaries(texts, texts, max_size=2), texts, optional_ints))
def test_equality_hash_and_repr_match_the_standard_librarys(one: tuple, other: tuple) -> None:  # type: ignore[type-arg]
    ours = Answered(*one), Answered(*other)
    theirs = StdAnswered(*one), StdAnswered(*other)
    assert (ours[0] == ours[1]) == (theirs[0] == theirs[1])
    assert repr(ours[0]).removeprefix("Answered") == repr(theirs[0]).removeprefix("StdAnswered")
    assert dataclasses.astuple(ours[0]) == dataclasses.astuple(theirs[0])
    for instance in (ours[0], theirs[0]):  # the dict field makes both unhashable, though frozen
        with pytest.raises(TypeError, match="unhashable type: 'dict'"):
            hash(instance)


def test_a_module_of_data_classes_compiles_no_function_per_class() -> None:
    # The point of the module: defining a data class runs no `exec`. Counted with an audit hook in a fresh
    # interpreter (the standard library's frozen data class compiles six functions, each an `exec`).
    probe = """
import sys
calls = []
sys.addaudithook(lambda event, args: calls.append(event) if event == "exec" else None)
from aesthetic_protocols.plain_data import dataclass
import dataclasses
before = len(calls)
@dataclass(frozen=True)
class Ours:
    node: str
    answer: str = ""
ours = len(calls) - before
@dataclasses.dataclass(frozen=True)
class Theirs:
    node: str
    answer: str = ""
print(ours, len(calls) - before - ours)
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["0", "6"]
    assert plain_data.__all__ == ["dataclass"]


def test_a_keyword_only_class_refuses_positional_arguments() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Node:
        title: str
        text: str | None = None
        kind: str  # required after a default: allowed, as every field is named

    assert Node(title="T", kind="action") == Node(kind="action", title="T", text=None)
    with pytest.raises(TypeError, match="takes 0 positional arguments but 1 were given"):
        Node("T", kind="action")  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing 1 required argument: 'kind'"):
        Node(title="T")  # type: ignore[call-arg]
