"""Conditions: the one-form rule, evaluation without eval (with property tests of its laws), date forms and the
static type checks."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from aesthetic_protocols.conditions import (
    Condition,
    DaysAgo,
    DaysAhead,
    Fact,
    Known,
    comparison_problem,
    comparisons,
    condition_text,
    holds,
    kit_conditions,
    kit_key,
    kit_reading,
    read_facts,
    resolve_date,
    shown,
)

TODAY = date(2026, 12, 6)
FACTS: dict[str, Known] = {"pregnant": True, "treatment": "toxin", "areas": 3, "volume": Decimal("0.5"),
                           "expiry": date(2026, 1, 1), "at": time(9, 30), "batch": "AB12"}
TABLE = {"pregnant": Fact(type="boolean"), "treatment": Fact(type="choice", choices=["toxin", "filler", "both"]),
         "areas": Fact(type="number"), "volume": Fact(type="number"), "expiry": Fact(type="date"),
         "at": Fact(type="time"), "batch": Fact(type="text")}


def cond(data: dict[str, Any]) -> Condition:
    return Condition.model_validate(data)


@pytest.mark.parametrize(("data", "expected"), [
    ({"fact": "pregnant", "is": True}, True),
    ({"fact": "pregnant", "is": False}, False),
    ({"fact": "areas", "is": 1}, False),
    ({"fact": "pregnant", "is": 1}, False),  # true is no 1
    ({"fact": "treatment", "in": ["toxin", "both"]}, True),
    ({"fact": "treatment", "in": ["filler"]}, False),
    ({"fact": "areas", "gt": 2}, True),
    ({"fact": "areas", "ge": 3}, True),
    ({"fact": "areas", "lt": 3}, False),
    ({"fact": "volume", "le": 0.5}, True),
    ({"fact": "expiry", "before": "today"}, True),
    ({"fact": "expiry", "after": date(2025, 12, 31)}, True),
    ({"fact": "expiry", "before": "2026-01-01"}, False),
    ({"fact": "expiry", "after": {"days_ago": 365}}, True),
    ({"fact": "expiry", "before": {"days_ahead": 1}}, True),
    ({"fact": "at", "is": "09:30"}, True),
    ({"fact": "batch", "is": "AB12"}, True),
    ({"fact": "batch", "known": True}, True),
    ({"fact": "missing", "known": False}, True),
    ({"fact": "missing", "known": True}, False),
    ({"fact": "missing", "is": True}, False),
    ({"not": {"fact": "missing", "is": True}}, True),
    ({"all": [{"fact": "pregnant", "is": True}, {"fact": "treatment", "in": ["toxin", "both"]}]}, True),
    ({"any": [{"fact": "missing", "gt": 0}, {"fact": "areas", "is": 3}]}, True),
])
def test_each_form_holds_as_documented(data: dict[str, Any], expected: bool) -> None:
    assert holds(cond(data), FACTS, TODAY) is expected


@pytest.mark.parametrize("data", [
    {"fact": "pregnant", "is": True, "lt": 3},
    {"fact": "pregnant"},
    {"all": [{"fact": "a", "known": True}], "fact": "a"},
    {"all": [{"fact": "a", "known": True}], "any": [{"fact": "a", "known": True}]},
    {"is": True},
    {"fact": "a", "is": "x", "eval": "1"},
    {"fact": "a", "is_": True},  # the Python names are no YAML keys
    {"kit": "hyaluronidase", "expired": False},  # only the two alarm forms
    {"kit": "hyaluronidase", "present": True},
    {"kit": "hyaluronidase"},
    {"kit": "hyaluronidase", "expired": True, "present": False},
    {"kit": "hyaluronidase", "is": True},
    {"kit": "hyaluronidase", "expired": True, "fact": "a"},
    {"fact": "a", "expired": True},
    {"kit": "Hyaluronidase 1500", "expired": True},  # an item key is a slug
    {"kit": "hyaluronidase", "expired": "yes"},
])
def test_a_condition_is_exactly_one_form(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        cond(data)


def test_date_forms_resolve_from_the_given_today() -> None:
    assert resolve_date("today", TODAY) == TODAY
    assert resolve_date(DaysAgo(days_ago=6), TODAY) == date(2026, 11, 30)
    assert resolve_date(DaysAhead(days_ahead=26), TODAY) == date(2027, 1, 1)
    assert resolve_date(date(2020, 1, 1), TODAY) == date(2020, 1, 1)


def test_text_is_never_executed() -> None:
    # A value that looks like code is compared as text, never run.
    assert holds(cond({"fact": "batch", "is": "__import__('os')"}), FACTS, TODAY) is False


def test_facts_read_and_shown() -> None:
    both = cond({"all": [{"fact": "pregnant", "is": True}, {"not": {"fact": "treatment", "in": ["toxin"]}},
                         {"fact": "pregnant", "known": True}]})
    assert read_facts(both) == ["pregnant", "treatment"]
    assert [where for _, where in comparisons(both)] == [("all", 0), ("all", 1, "not"), ("all", 2)]
    assert [shown(v) for v in (True, False, None, time(9, 5), Decimal("0.50"), date(2026, 1, 2), 3)] == [
        "yes", "no", "not known", "09:05", "0.5", "2026-01-02", "3"]


@pytest.mark.parametrize(("data", "problem"), [
    ({"fact": "nope", "is": True}, "unknown-fact"),
    ({"fact": "expiry", "lt": 3}, "condition-type"),
    ({"fact": "areas", "before": "today"}, "condition-type"),
    ({"fact": "treatment", "is": "laser"}, "condition-type"),
    ({"fact": "pregnant", "is": "yes"}, "condition-type"),
    ({"fact": "at", "is": "9:30"}, "condition-type"),
    ({"fact": "expiry", "in": [3]}, "condition-type"),
])
def test_static_checks_find_unknown_facts_and_wrong_types(data: dict[str, Any], problem: str) -> None:
    found = comparison_problem(cond(data), TABLE)
    assert found is not None and found[0] == problem


def test_static_checks_accept_fitting_comparisons() -> None:
    for data in ({"fact": "expiry", "before": {"days_ago": 3}}, {"fact": "areas", "ge": 1},
                 {"fact": "treatment", "in": ["toxin", "both"]}, {"fact": "at", "is": "09:30"},
                 {"fact": "batch", "known": False}):
        assert comparison_problem(cond(data), TABLE) is None


# --- laws of evaluation ------------------------------------------------------------------------------------

NAMES = ["pregnant", "areas", "expiry", "missing"]
values = st.one_of(st.booleans(), st.integers(-5, 5), st.dates(date(2025, 1, 1), date(2027, 12, 31)))
leaves = st.one_of(
    st.builds(lambda f, v: {"fact": f, "is": v}, st.sampled_from(NAMES), values),
    st.builds(lambda f, k: {"fact": f, "known": k}, st.sampled_from(NAMES), st.booleans()),
    st.builds(lambda f, n: {"fact": f, "gt": n}, st.sampled_from(NAMES), st.integers(-5, 5)),
    st.builds(lambda f, d: {"fact": f, "before": d}, st.sampled_from(NAMES),
              st.one_of(st.just("today"), st.builds(lambda n: {"days_ago": n}, st.integers(0, 400)))),
)
conditions = st.recursive(leaves, lambda inner: st.one_of(
    st.builds(lambda c: {"not": c}, inner),
    st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=3)),
), max_leaves=8)
fact_maps = st.dictionaries(st.sampled_from(NAMES[:3]), values, max_size=3)


@settings(max_examples=150, deadline=None)
@given(conditions, fact_maps)
def test_not_negates_and_double_negation_is_identity(data: dict[str, Any], facts: dict[str, Known]) -> None:
    once = holds(cond({"not": data}), facts, TODAY)
    assert once is not holds(cond(data), facts, TODAY)
    assert holds(cond({"not": {"not": data}}), facts, TODAY) is holds(cond(data), facts, TODAY)


@settings(max_examples=150, deadline=None)
@given(st.lists(conditions, min_size=1, max_size=3), fact_maps)
def test_all_and_any_follow_de_morgan(parts: list[dict[str, Any]], facts: dict[str, Known]) -> None:
    each = [holds(cond(p), facts, TODAY) for p in parts]
    assert holds(cond({"all": parts}), facts, TODAY) is all(each)
    assert holds(cond({"any": parts}), facts, TODAY) is any(each)
    assert holds(cond({"not": {"all": parts}}), facts, TODAY) is \
        holds(cond({"any": [{"not": p} for p in parts]}), facts, TODAY)


@settings(max_examples=150, deadline=None)
@given(leaves)
def test_an_unknown_fact_makes_every_form_false_except_known_false(data: dict[str, Any]) -> None:
    unknown = {**data, "fact": "missing"}
    assert holds(cond(unknown), {}, TODAY) is (unknown.get("known") is False)


def test_a_condition_is_dumped_as_written_and_read_back() -> None:
    written = {"all": [{"fact": "pregnant", "is": True}, {"not": {"fact": "expiry", "before": {"days_ago": 3}}}]}
    dumped = cond(written).model_dump(mode="json", by_alias=True)
    assert dumped == written
    assert cond(dumped) == cond(written)


# --- kit conditions ----------------------------------------------------------------------------------------

EXPIRED = {"kit": "hyaluronidase", "expired": True}
ABSENT = {"kit": "adrenaline", "present": False}


@pytest.mark.parametrize(("data", "readings", "expected"), [
    (EXPIRED, {"kit:hyaluronidase expired": True}, True),
    (EXPIRED, {"kit:hyaluronidase expired": False}, False),
    (ABSENT, {"kit:adrenaline present": False}, True),
    (ABSENT, {"kit:adrenaline present": True}, False),
    # Without a clinic file (no reading, or None): every kit form is false; nothing is flagged.
    (EXPIRED, {"kit:hyaluronidase expired": None}, False),
    (ABSENT, {"kit:adrenaline present": None}, False),
    (EXPIRED, None, False),
    (ABSENT, {}, False),
    ({"any": [EXPIRED, ABSENT]}, {"kit:adrenaline present": False}, True),
])
def test_a_kit_form_holds_only_on_the_clinic_files_alarm(data: dict[str, Any], readings: dict[str, bool | None] | None,
                                                         expected: bool) -> None:
    assert holds(cond(data), FACTS, TODAY, readings) is expected


class StubKit:
    """The two queries of `clinic.Clinic` (tests/test_clinic.py tests them on a real file)."""

    def kit_expired(self, item: str, today: date) -> bool:
        return item == "hyaluronidase" and today > date(2026, 12, 1)

    def kit_present(self, item: str) -> bool:
        return item != "adrenaline"


def test_a_kit_reading_asks_the_clinic_file_and_is_none_without_one() -> None:
    expired, absent = cond(EXPIRED), cond(ABSENT)
    assert kit_reading(expired, StubKit(), TODAY) is True
    assert kit_reading(expired, StubKit(), date(2026, 11, 30)) is False  # today from the walk's clock
    assert kit_reading(absent, StubKit(), TODAY) is False
    assert kit_reading(cond({"kit": "aspirin", "present": False}), StubKit(), TODAY) is True
    assert kit_reading(expired, None, TODAY) is None and kit_reading(absent, None, TODAY) is None
    assert (kit_key(expired), kit_key(absent)) == ("kit:hyaluronidase expired", "kit:adrenaline present")


def test_kit_forms_are_found_with_their_place_and_said_in_words() -> None:
    both = cond({"all": [EXPIRED, {"not": ABSENT}, {"fact": "pregnant", "is": True}]})
    assert [(c.kit, where, negated) for c, where, negated in kit_conditions(both)] == [
        ("hyaluronidase", ("all", 0), False), ("adrenaline", ("all", 1, "not"), True)]
    assert read_facts(both) == ["pregnant"]  # a kit form reads no fact
    assert condition_text(both) == ("all of (kit hyaluronidase expired; not (kit adrenaline not present); "
                                    "pregnant is true)")
    assert cond(EXPIRED).model_dump(mode="json", by_alias=True) == EXPIRED
