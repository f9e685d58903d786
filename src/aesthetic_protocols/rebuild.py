"""A protocol already validated, rebuilt from its JSON form without running its validators again.

The cache of validated protocols stores `Protocol.model_dump(mode="json")`; `rebuild` turns that data back
into the walk's plain classes (`tree`, `facts`) by their field types alone (enums, dates, the discriminated node
union), so a warm start never imports pydantic. It is a pure data walk: nothing in an entry can
name a class, a function or a module, and anything that does not fit the types raises ValueError.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing
from datetime import date
from enum import Enum
from typing import Any, TypeVar

M = TypeVar("M")
_FIELDS: dict[type, dict[str, Any]] = {}
_ALIASES: dict[type, dict[str, str]] = {}
_TAGS: dict[type, list[tuple[str, tuple[Any, ...], bool]]] = {}
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


def _fields(model: type) -> dict[str, Any]:
    """A plain data class's fields and their types (its annotations resolved once per process)."""
    known = _FIELDS.get(model)
    if known is None:
        hints = typing.get_type_hints(model)
        known = _FIELDS[model] = {item.name: hints[item.name] for item in dataclasses.fields(model)}
    return known


def _required(model: type, name: str) -> bool:
    item = next(item for item in dataclasses.fields(model) if item.name == name)
    return item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING


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
    if origin is list or origin is collections.abc.Sequence:
        if not isinstance(data, list):
            raise NotRebuilt("not a list")
        (item,) = args
        return [_value(item, value) for value in data]
    if origin is dict or origin is collections.abc.Mapping:
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
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
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


def _model(model: type, data: object) -> Any:
    if not isinstance(data, dict):
        raise NotRebuilt("not a mapping")
    fields = _fields(model)
    # A field dumped under its alias (a timer's `from`, a condition's `is`) is read back under its name.
    names = _ALIASES.get(model)
    if names is None:
        names = _ALIASES[model] = {name.rstrip("_"): name for name in fields if name.endswith("_")}
    named = {names.get(str(key), str(key)): value for key, value in data.items()}
    if not set(named) <= set(fields):
        raise NotRebuilt("a field the model does not have")
    return model(**{name: _value(fields[name], value) for name, value in named.items()})


def _union(members: tuple[Any, ...], data: object) -> Any:
    if data is None:
        if type(None) in members:
            return None
        raise NotRebuilt("a missing value")
    for member in members:
        if member is type(None):
            continue
        if isinstance(member, type) and dataclasses.is_dataclass(member) and not _tagged(member, data):
            continue
        try:
            return _value(member, data)
        except (NotRebuilt, ValueError, TypeError):
            continue
    raise NotRebuilt("no member of the union fits")


def _tagged(model: type, data: object) -> bool:
    """Whether `data` carries each Literal field (a discriminator such as `kind`) of `model` as it says."""
    if not isinstance(data, dict):
        return False
    tags = _TAGS.get(model)
    if tags is None:
        tags = _TAGS[model] = [(name, typing.get_args(kind), _required(model, name))
                               for name, kind in _fields(model).items() if typing.get_origin(kind) is typing.Literal]
    for name, allowed, required in tags:
        if name in data and data[name] not in allowed:
            return False
        if name not in data and required:
            return False
    return True


def dump(item: object) -> Any:
    """A plain (or validated) instance as the file writes it, JSON-ready: fields in order under their file
    names (`from`, `is`, `in`, `not`), enums as their values, dates as YYYY-MM-DD, and a condition without its
    empty forms. The same data as pydantic's `model_dump(mode="json", by_alias=True)` (a test holds them equal)."""
    if isinstance(item, Enum):
        return item.value
    if isinstance(item, date):
        return item.isoformat()
    if isinstance(item, list | tuple):
        return [dump(value) for value in item]
    if isinstance(item, dict):
        return {str(key): dump(value) for key, value in item.items()}
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        out = {name.rstrip("_"): dump(getattr(item, name)) for name in _fields(_plain(type(item)))}
        return {k: v for k, v in out.items() if v is not None} if _sparse(type(item)) else out
    return item


def _plain(cls: type) -> type:
    """The plain class behind a validated (pydantic) subclass: the first data class in its MRO without pydantic."""
    return next(base for base in cls.__mro__ if "__plain_data__" in base.__dict__)


def _sparse(cls: type) -> bool:
    """A condition is dumped as written: its one form alone."""
    return _plain(cls).__name__ == "Condition"
