"""Facts and conditions as a walk reads them: plain data classes (no pydantic) and their evaluation.

The file format's validation lives in `conditions` (pydantic models subclassing these, so a validated condition
is one of these too); a walk served from the cache of validated protocols builds these classes directly
(`rebuild`) and never imports pydantic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import field
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol

from aesthetic_protocols.plain_data import dataclass

FACT_PATTERN = r"^[a-z][a-z0-9_]*$"
FactType = Literal["boolean", "choice", "number", "date", "time", "text"]
# A value a condition compares with, or an option sets: typed as YAML writes it (an unquoted date is a date).
FactValue = bool | int | float | date | str
# A value the engine holds for a fact on the path.
Known = bool | int | float | Decimal | date | time | str
FORMS = ("is", "in", "known", "lt", "le", "gt", "ge", "before", "after")
KIT_FORMS = ("expired", "present")
KIT_ITEM_PATTERN = r"^[a-z0-9][a-z0-9-]*$"


@dataclass(frozen=True, kw_only=True)
class Fact:
    """A fact an option sets, declared once at the top of the file with its type."""

    type: FactType
    label: str | None = None
    choices: Sequence[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class DaysAgo:
    """A date N days before today."""

    days_ago: int


@dataclass(frozen=True, kw_only=True)
class DaysAhead:
    """A date N days after today."""

    days_ahead: int


DateForm = Literal["today"] | date | DaysAgo | DaysAhead


@dataclass(frozen=True, kw_only=True)
class Condition:
    """Exactly one form: a fact compared, a kit item read, or all, any, not (see `conditions`)."""

    fact: str | None = None
    kit: str | None = None
    expired: Literal[True] | None = None
    present: Literal[False] | None = None
    is_: FactValue | None = None
    in_: Sequence[FactValue] | None = None
    known: bool | None = None
    lt: int | float | None = None
    le: int | float | None = None
    gt: int | float | None = None
    ge: int | float | None = None
    before: DateForm | None = None
    after: DateForm | None = None
    all: Sequence[Condition] | None = None
    any: Sequence[Condition] | None = None
    not_: Condition | None = None

    def part(self, name: str) -> Any:
        """The value of one form's key by its YAML name (`is`, `in`, `not` included)."""
        return getattr(self, {"is": "is_", "in": "in_", "not": "not_"}.get(name, name))

    @property
    def form(self) -> str:
        """The form's key: `is`, `lt`, `expired`, `all`, ..."""
        return next(name for name in (*FORMS, *KIT_FORMS, "all", "any", "not") if self.part(name) is not None)


def resolve_date(form: DateForm, today: date) -> date:
    """The day a date form names, seen from `today` (the walk's clock)."""
    if form == "today":
        return today
    if isinstance(form, DaysAgo):
        return today - timedelta(days=form.days_ago)
    if isinstance(form, DaysAhead):
        return today + timedelta(days=form.days_ahead)
    assert isinstance(form, date)
    return form


def date_form_text(form: DateForm) -> str:
    """A date form in words: `today`, `2026-01-01`, `30 days ago`, `7 days ahead`."""
    if isinstance(form, DaysAgo):
        return f"{form.days_ago} days ago"
    if isinstance(form, DaysAhead):
        return f"{form.days_ahead} days ahead"
    return str(form)


class Kit(Protocol):
    """What a kit condition reads: the clinic file's kit (`clinic.Clinic`)."""

    def kit_expired(self, item: str, today: date) -> bool: ...

    def kit_present(self, item: str) -> bool: ...


NO_CLINIC_FILE = "no clinic file"


def kit_key(condition: Condition) -> str:
    """The name a kit condition's reading goes under in a `decided` event: `kit:hyaluronidase expired`."""
    return f"kit:{condition.kit} {condition.form}"


def kit_reading(condition: Condition, kit: Kit | None, today: date) -> bool | None:
    """What the clinic file says for a kit condition's item: expired? (`expired`) or present? (`present`);
    None without a clinic file."""
    assert condition.kit is not None
    if kit is None:
        return None
    if condition.form == "expired":
        return kit.kit_expired(condition.kit, today)
    return kit.kit_present(condition.kit)


def kit_conditions(condition: Condition, where: Path = (), negated: bool = False) \
        -> Iterator[tuple[Condition, Path, bool]]:
    """Every kit condition inside a condition, with its path and whether it sits under a `not`."""
    if condition.kit is not None:
        yield condition, where, negated
        return
    if condition.not_ is not None:
        yield from kit_conditions(condition.not_, (*where, "not"), True)
    for name in ("all", "any"):
        for index, part in enumerate(condition.part(name) or []):
            yield from kit_conditions(part, (*where, name, index), negated)


Path = tuple[str | int, ...]


def comparisons(condition: Condition, where: Path = ()) -> Iterator[tuple[Condition, Path]]:
    """Every fact comparison inside a condition, with its path below the condition (for locating errors)."""
    if condition.fact is not None:
        yield condition, where
        return
    if condition.not_ is not None:
        yield from comparisons(condition.not_, (*where, "not"))
    for name in ("all", "any"):
        for index, part in enumerate(condition.part(name) or []):
            yield from comparisons(part, (*where, name, index))


def holds(condition: Condition, facts: Mapping[str, Known], today: date,
          kit: Mapping[str, bool | None] | None = None) -> bool:
    """Whether the condition holds for the facts known on the path, `today` by the walk's clock; `kit` holds
    the kit conditions' readings by `kit_key` (a reading missing or None, no clinic file: the form is false)."""
    if condition.all is not None:
        return all(holds(part, facts, today, kit) for part in condition.all)
    if condition.any is not None:
        return any(holds(part, facts, today, kit) for part in condition.any)
    if condition.not_ is not None:
        return not holds(condition.not_, facts, today, kit)
    if condition.kit is not None:
        reading = (kit or {}).get(kit_key(condition))
        return reading is not None and reading is condition.part(condition.form)
    assert condition.fact is not None
    value = facts.get(condition.fact)
    form = condition.form
    if form == "known":
        return (value is not None) is condition.known
    if value is None:
        return False
    if form == "is":
        return _same(value, condition.is_)
    if form == "in":
        return any(_same(value, item) for item in condition.in_ or [])
    if form in ("before", "after"):
        if not isinstance(value, date):
            return False
        day = resolve_date(condition.part(form), today)
        return value < day if form == "before" else value > day
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    bound = Decimal(str(condition.part(form)))
    number = Decimal(str(value))
    return {"lt": number < bound, "le": number <= bound, "gt": number > bound, "ge": number >= bound}[form]


def _same(value: Known, wanted: Any) -> bool:
    """Equality without YAML's or Python's coercions: true is no 1, a number compares by value."""
    if isinstance(value, bool) or isinstance(wanted, bool):
        return isinstance(value, bool) and isinstance(wanted, bool) and value is wanted
    if isinstance(value, int | float | Decimal) and isinstance(wanted, int | float):
        return Decimal(str(value)) == Decimal(str(wanted))
    if isinstance(value, time):
        return isinstance(wanted, str) and value.strftime("%H:%M") == wanted
    return type(value) is type(wanted) and value == wanted


def read_facts(condition: Condition) -> list[str]:
    """The facts a condition reads, in order, once each."""
    names: list[str] = []
    for part, _ in comparisons(condition):
        if part.fact is not None and part.fact not in names:
            names.append(part.fact)
    return names


def shown(value: Known | None) -> str:
    """A fact's value in words, for the log and the record."""
    if value is None:
        return "not known"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


# --- static type checks ------------------------------------------------------------------------------------


def fits(fact: Fact, value: Any) -> bool:
    """Whether a value written in the file is one of the fact's type."""
    match fact.type:
        case "boolean":
            return isinstance(value, bool)
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        case "date":
            return isinstance(value, date)
        case "choice":
            return isinstance(value, str) and (not fact.choices or value in fact.choices)
        case "time":
            return isinstance(value, str) and len(value) == 5 and value[2] == ":" and _is_time(value)
        case "text":
            return isinstance(value, str)


def _is_time(value: str) -> bool:
    try:
        time.fromisoformat(value)
    except ValueError:
        return False
    return True


def comparison_problem(part: Condition, facts: Mapping[str, Fact]) -> tuple[str, str] | None:
    """(rule id, message) when a comparison names an unknown fact or does not fit its type; else None."""
    assert part.fact is not None
    fact = facts.get(part.fact)
    if fact is None:
        return "unknown-fact", "names no fact: declare it under `facts:`, or use an input variable or a record field id"
    form = part.form
    if form in ("lt", "le", "gt", "ge") and fact.type != "number":
        return "condition-type", f"`{form}` compares numbers, and this fact is a {fact.type}"
    if form in ("before", "after") and fact.type != "date":
        return "condition-type", f"`{form}` compares dates, and this fact is a {fact.type}"
    values = [part.is_] if form == "is" else part.in_ or [] if form == "in" else []
    if any(not fits(fact, value) for value in values):
        wanted = f"one of {', '.join(fact.choices)}" if fact.type == "choice" and fact.choices else f"a {fact.type}"
        return "condition-type", f"`{form}` needs {wanted}, as the fact is typed"
    return None


def condition_text(condition: Condition) -> str:
    """A condition in words for outlines and reviews: `expiry before today`, `all of (a is true; b known)`."""
    if condition.kit is not None:
        return f"kit {condition.kit} {'expired' if condition.form == 'expired' else 'not present'}"
    if condition.fact is None:
        if condition.not_ is not None:
            return f"not ({condition_text(condition.not_)})"
        name = "all" if condition.all is not None else "any"
        return f"{name} of ({'; '.join(condition_text(part) for part in condition.part(name))})"
    form = condition.form
    value = condition.part(form)
    if form in ("before", "after"):
        words = date_form_text(value)
    elif form == "in":
        words = "[" + ", ".join(shown(item) if isinstance(item, bool) else str(item) for item in value) + "]"
    elif isinstance(value, bool):
        words = "true" if value else "false"
    else:
        words = str(value)
    return f"{condition.fact} {form} {words}"
