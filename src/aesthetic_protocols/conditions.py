"""Facts and conditions (docs/protocol-format.md, "Facts and decisions"): their models, their evaluation and
their static type checks.

A condition is a mapping of exactly one form: `{fact: F, is: V}`, `{fact: F, in: [V, ...]}`,
`{fact: F, known: true|false}`, `{fact: F, lt|le|gt|ge: N}`, `{fact: F, before|after: D}` (D is `today`, a
date, `{days_ago: N}` or `{days_ahead: N}`), `{all: [...]}`, `{any: [...]}` or `{not: C}`. Evaluation reads
typed values and compares them: no text is ever executed. A fact not known on the path makes every form false
except `known: false`.

Kept free of `model` (which builds on this module), so the models here carry their descriptions themselves.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from aesthetic_protocols import facts

# The walk's side (plain classes and the evaluation) lives in `facts`; re-exported for the rules and the tests.
from aesthetic_protocols.facts import FACT_PATTERN as FACT_PATTERN
from aesthetic_protocols.facts import KIT_ITEM_PATTERN as KIT_ITEM_PATTERN
from aesthetic_protocols.facts import NO_CLINIC_FILE as NO_CLINIC_FILE
from aesthetic_protocols.facts import FactType as FactType
from aesthetic_protocols.facts import Kit as Kit
from aesthetic_protocols.facts import Known as Known
from aesthetic_protocols.facts import Path as Path
from aesthetic_protocols.facts import comparison_problem as comparison_problem
from aesthetic_protocols.facts import comparisons as comparisons
from aesthetic_protocols.facts import condition_text as condition_text
from aesthetic_protocols.facts import date_form_text as date_form_text
from aesthetic_protocols.facts import fits as fits
from aesthetic_protocols.facts import holds as holds
from aesthetic_protocols.facts import kit_conditions as kit_conditions
from aesthetic_protocols.facts import kit_key as kit_key
from aesthetic_protocols.facts import kit_reading as kit_reading
from aesthetic_protocols.facts import read_facts as read_facts
from aesthetic_protocols.facts import resolve_date as resolve_date
from aesthetic_protocols.facts import shown as shown

FactName = Annotated[StrictStr, StringConstraints(pattern=FACT_PATTERN, max_length=40)]
Word = Annotated[StrictStr, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)]
# A value a condition compares with, or an option sets: typed as YAML writes it (an unquoted date is a date).
FactValue = StrictBool | StrictInt | Annotated[float, Field(ge=-1_000_000, le=1_000_000, allow_inf_nan=False)] \
    | date | Annotated[StrictStr, StringConstraints(max_length=120)]
_MAX_DAYS = 36_600


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class Fact(_Strict, facts.Fact):
    """A fact an option sets, declared once at the top of the file with its type."""

    type: FactType = Field(description="boolean, choice, number, date, time or text.")
    label: Annotated[StrictStr, StringConstraints(min_length=1, max_length=400, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")] \
        | None = Field(default=None, description="The fact in words, for the record (e.g. \"Planned treatment\").")
    choices: list[Word] = Field(default_factory=list, max_length=26,
                                description="choice: the values it may take (e.g. [toxin, filler, both]).")


class DaysAgo(_Strict, facts.DaysAgo):
    """A date N days before today."""

    days_ago: StrictInt = Field(ge=0, le=_MAX_DAYS, description="How many days before today.")


class DaysAhead(_Strict, facts.DaysAhead):
    """A date N days after today."""

    days_ahead: StrictInt = Field(ge=0, le=_MAX_DAYS, description="How many days after today.")


def _as_date(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("date_impossible", "is not a real date (YYYY-MM-DD)") from None
    return value


DateForm = Literal["today"] | date | DaysAgo | DaysAhead


class Condition(_Strict, facts.Condition):
    """Exactly one form: a fact compared (`fact` with one of is, in, known, lt, le, gt, ge, before, after),
    or all, any, not."""

    fact: FactName | None = Field(default=None, description="The fact the condition reads.")
    kit: Annotated[StrictStr, StringConstraints(pattern=KIT_ITEM_PATTERN, max_length=40)] | None = Field(
        default=None, description="A kit item's key in the clinic file (with `expired: true` or `present: false`).")
    expired: Literal[True] | None = Field(
        default=None, description="kit: true when the clinic file shows every stocked entry of the item expired "
                                  "(false without a clinic file).")
    present: Literal[False] | None = Field(
        default=None, description="kit: false when the clinic file shows the item missing from the kit "
                                  "(the condition is false without a clinic file).")
    is_: FactValue | None = Field(default=None, alias="is", description="The fact equals this value.")
    in_: list[FactValue] | None = Field(default=None, alias="in", min_length=1, max_length=26,
                                        description="The fact equals one of these values.")
    known: StrictBool | None = Field(default=None, description="true: the fact has a value on this path; false: not.")
    lt: StrictInt | float | None = Field(default=None, description="number: the fact is below this.")
    le: StrictInt | float | None = Field(default=None, description="number: the fact is at most this.")
    gt: StrictInt | float | None = Field(default=None, description="number: the fact is above this.")
    ge: StrictInt | float | None = Field(default=None, description="number: the fact is at least this.")
    before: DateForm | None = Field(default=None, description="date: the fact is before this day.")
    after: DateForm | None = Field(default=None, description="date: the fact is after this day.")
    all: list[Condition] | None = Field(default=None, min_length=1, max_length=20, description="Every one holds.")
    any: list[Condition] | None = Field(default=None, min_length=1, max_length=20, description="At least one holds.")
    not_: Condition | None = Field(default=None, alias="not", description="It does not hold.")

    @model_validator(mode="before")
    @classmethod
    def _dates(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: _as_date(v) if k in ("before", "after", "is") else v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [name for name in (*facts.FORMS, *facts.KIT_FORMS, "all", "any", "not") if self.part(name) is not None]
        if self.fact is not None and self.kit is None and len(forms) == 1 and forms[0] in facts.FORMS:
            return self
        if self.kit is not None and self.fact is None and len(forms) == 1 and forms[0] in facts.KIT_FORMS:
            return self
        if self.fact is None and self.kit is None and len(forms) == 1 and forms[0] in ("all", "any", "not"):
            return self
        raise PydanticCustomError("condition_form", "a condition is exactly one form: {fact: F, is: V} (or in, "
                                  "known, lt, le, gt, ge, before, after), {kit: ITEM, expired: true}, "
                                  "{kit: ITEM, present: false}, {all: [...]}, {any: [...]} or {not: C}")

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Dumped as written: its one form, without the empty others (`protocol show --format json`)."""
        return {key: value for key, value in handler(self).items() if value is not None}
