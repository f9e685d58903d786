"""A protocol already validated, rebuilt from its JSON form without running its validators again.

The cache of validated protocols stores `Protocol.model_dump(mode="json")`; `rebuild` turns that data back
into the same models by their field types alone (`model_construct`, enums, dates, the discriminated node
union), so a warm start never builds pydantic's validators. It is a pure data walk: nothing in an entry can
name a class, a function or a module, and anything that does not fit the types raises ValueError.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_FIELDS: dict[type[BaseModel], dict[str, Any]] = {}


class NotRebuilt(ValueError):
    """The data does not have the shape of the model (a corrupt or planted cache entry)."""


def rebuild(model: type[M], data: object) -> M:
    """`data` (a model's JSON dump) as an instance of `model`; NotRebuilt when its shape does not fit."""
    built = _value(model, data)
    assert isinstance(built, model)
    return built


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    known = _FIELDS.get(model)
    if known is None:
        known = _FIELDS[model] = {name: info.annotation for name, info in model.model_fields.items()}
    return known


def _value(kind: Any, data: object) -> Any:
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:
        return _value(typing.get_args(kind)[0], data)
    if origin is typing.Union or origin is types.UnionType:
        return _union(typing.get_args(kind), data)
    if origin is typing.Literal:
        if data not in typing.get_args(kind):
            raise NotRebuilt("a literal out of place")
        return data
    if origin is list:
        if not isinstance(data, list):
            raise NotRebuilt("not a list")
        (item,) = typing.get_args(kind)
        return [_value(item, value) for value in data]
    if origin is dict:
        if not isinstance(data, dict):
            raise NotRebuilt("not a mapping")
        _, item = typing.get_args(kind)
        return {str(name): _value(item, value) for name, value in data.items()}
    if origin is tuple:
        if not isinstance(data, list):
            raise NotRebuilt("not a list")
        items = typing.get_args(kind)
        if len(items) == 2 and items[1] is Ellipsis:
            return tuple(_value(items[0], value) for value in data)
        if len(items) != len(data):
            raise NotRebuilt("a tuple of another length")
        return tuple(_value(item, value) for item, value in zip(items, data, strict=True))
    if origin is not None:
        raise NotRebuilt(f"a type this rebuild does not know ({origin!r}): a miss, never a guess")
    if kind is Any:
        return data
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return _model(kind, data)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(data)
    if kind is date:
        if not isinstance(data, str):
            raise NotRebuilt("not a date")
        return date.fromisoformat(data)
    if kind is float and isinstance(data, int | float) and not isinstance(data, bool):
        return data
    if isinstance(kind, type) and not isinstance(data, kind):
        raise NotRebuilt("a value of the wrong type")
    return data


def _model(model: type[BaseModel], data: object) -> BaseModel:
    if not isinstance(data, dict):
        raise NotRebuilt("not a mapping")
    fields = _fields(model)
    # A field dumped under its alias (a timer's `from`, a condition's `is`) is read back under its name.
    names = {info.alias: name for name, info in model.model_fields.items() if info.alias is not None}
    named = {names.get(str(key), str(key)): value for key, value in data.items()}
    if not set(named) <= set(fields):
        raise NotRebuilt("a field the model does not have")
    return model.model_construct(**{name: _value(fields[name], value) for name, value in named.items()})


def _union(members: tuple[Any, ...], data: object) -> Any:
    if data is None:
        if type(None) in members:
            return None
        raise NotRebuilt("a missing value")
    for member in members:
        if member is type(None):
            continue
        if isinstance(member, type) and issubclass(member, BaseModel) and not _tagged(member, data):
            continue
        try:
            return _value(member, data)
        except (NotRebuilt, ValueError, TypeError):
            continue
    raise NotRebuilt("no member of the union fits")


def _tagged(model: type[BaseModel], data: object) -> bool:
    """Whether `data` carries each Literal field (a discriminator such as `kind`) of `model` as it says."""
    if not isinstance(data, dict):
        return False
    for name, kind in _fields(model).items():
        if typing.get_origin(kind) is typing.Literal and name in data and data[name] not in typing.get_args(kind):
            return False
        if typing.get_origin(kind) is typing.Literal and name not in data and model.model_fields[name].is_required():
            return False
    return True
