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
_ALIASES: dict[type[BaseModel], dict[str, str]] = {}
_TAGS: dict[type[BaseModel], list[tuple[str, tuple[Any, ...], bool]]] = {}
# Each annotation's (origin, args), once per process: a warm start reads a few thousand values of a few
# dozen annotations. Keyed by identity (an annotation may hold unhashable metadata); the annotation is kept
# in the entry, so an id is never reused while it is here.
_SHAPES: dict[int, tuple[Any, Any, tuple[Any, ...]]] = {}


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


def _shape(kind: Any) -> tuple[Any, tuple[Any, ...]]:
    """`typing.get_origin(kind)` and `typing.get_args(kind)`, remembered."""
    known = _SHAPES.get(id(kind))
    if known is None or known[0] is not kind:
        known = _SHAPES[id(kind)] = (kind, typing.get_origin(kind), typing.get_args(kind))
    return known[1], known[2]


def _value(kind: Any, data: object) -> Any:
    origin, args = _shape(kind)
    if origin is typing.Annotated:
        return _value(args[0], data)
    if origin is typing.Union or origin is types.UnionType:
        return _union(args, data)
    if origin is typing.Literal:
        if data not in args:
            raise NotRebuilt("a literal out of place")
        return data
    if origin is list:
        if not isinstance(data, list):
            raise NotRebuilt("not a list")
        (item,) = args
        return [_value(item, value) for value in data]
    if origin is dict:
        if not isinstance(data, dict):
            raise NotRebuilt("not a mapping")
        _, item = args
        return {str(name): _value(item, value) for name, value in data.items()}
    if origin is tuple:
        if not isinstance(data, list):
            raise NotRebuilt("not a list")
        items = args
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
    names = _ALIASES.get(model)
    if names is None:
        names = _ALIASES[model] = {info.alias: name for name, info in model.model_fields.items()
                                   if info.alias is not None}
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
    tags = _TAGS.get(model)
    if tags is None:
        tags = _TAGS[model] = [(name, typing.get_args(kind), model.model_fields[name].is_required())
                               for name, kind in _fields(model).items() if typing.get_origin(kind) is typing.Literal]
    for name, allowed, required in tags:
        if name in data and data[name] not in allowed:
            return False
        if name not in data and required:
            return False
    return True
