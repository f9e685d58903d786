"""`dataclass` for this package: the standard library's data classes, without compiling code per class.

`dataclasses.dataclass` writes `__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__` and `__delattr__` as
source and compiles each with `exec` (about 0.1 ms apiece on a small machine): some 0.6 ms per class, and about
25 ms of the chairside start for the events, screens and sessions it defines. This decorator lets the standard
library collect the fields (so `dataclasses.fields`, `replace`, `asdict` and `match` work as before) and gives
every class the same few shared methods, which read the fields from the class. The type checker sees
`dataclasses.dataclass` itself, so every constructor call is checked as before.

Supported: `frozen`, `order`, field defaults and `field(default_factory=..., repr=..., compare=..., hash=...)`.
Not supported (and not used here): `__post_init__`, `InitVar`, `kw_only`, `slots`, `unsafe_hash`. A class made
here is extended with this decorator too: to the standard library it is a data class made with `init=False,
repr=False, eq=False` (its `__dataclass_params__` say so), so its own `dataclass(frozen=True)` refuses it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

__all__ = ["dataclass"]

if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
else:

    def dataclass(cls: type | None = None, /, *, frozen: bool = False, order: bool = False,
                  kw_only: bool = False) -> Any:
        """A data class: fields as `dataclasses` reads them, methods shared (see the module's docstring)."""

        def wrap(cls: type) -> type:
            made = _finish(dataclasses.dataclass(init=False, repr=False, eq=False)(cls), frozen, order)
            if kw_only:
                made.__plain_data__.positional = 0
            return made

        return wrap if cls is None else wrap(cls)


class _Shape:
    """What the shared methods need of one class, worked out once when it is defined."""

    __slots__ = ("compared", "defaults", "factories", "hashed", "names", "positional", "shown")

    def __init__(self, cls: type) -> None:
        known = dataclasses.fields(cls)
        self.names = tuple(item.name for item in known if item.init)
        self.positional = len(self.names)  # 0 for a `kw_only` class
        self.defaults = {item.name: item.default for item in known if item.default is not dataclasses.MISSING}
        self.factories = {item.name: item.default_factory for item in known
                          if item.default_factory is not dataclasses.MISSING}
        self.shown = tuple(item.name for item in known if item.repr)
        self.compared = tuple(item.name for item in known if item.compare)
        self.hashed = tuple(item.name for item in known if (item.compare if item.hash is None else item.hash))


def _finish(cls: type, frozen: bool, order: bool) -> type:
    shape = _Shape(cls)
    methods: dict[str, Any] = {"__init__": _init, "__repr__": _repr, "__eq__": _eq,
                               "__hash__": _hash if frozen else None}
    if order:
        methods |= {"__lt__": _lt, "__le__": _le, "__gt__": _gt, "__ge__": _ge}
    if frozen:
        methods |= {"__setattr__": _frozen_setattr, "__delattr__": _frozen_delattr}
    cls.__plain_data__ = shape  # type: ignore[attr-defined]
    for name, method in methods.items():
        # As `dataclasses` does: a method the class writes itself is kept (and its own __eq__ keeps its hash).
        if name not in cls.__dict__ or (name == "__hash__" and "__eq__" not in cls.__dict__):
            setattr(cls, name, method)
    return cls


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    shape: _Shape = cls.__plain_data__
    names = shape.names
    if len(args) > shape.positional:
        raise TypeError(f"{cls.__name__}() takes {shape.positional} positional arguments but {len(args)} were given")
    values = dict(zip(names, args, strict=False))
    for name, value in kwargs.items():
        if name in values:
            raise TypeError(f"{cls.__name__}() got multiple values for argument {name!r}")
        if name not in names:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {name!r}")
        values[name] = value
    if len(values) < len(names):
        for name in names:
            if name in values:
                continue
            if name in shape.defaults:
                values[name] = shape.defaults[name]
            elif name in shape.factories:
                values[name] = shape.factories[name]()
            else:
                raise TypeError(f"{cls.__name__}() missing 1 required argument: {name!r}")
    self.__dict__.update(values)  # past a frozen class's __setattr__, as dataclasses' own __init__ goes


def _repr(self: Any) -> str:
    shape: _Shape = type(self).__plain_data__
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in shape.shown)
    return f"{type(self).__qualname__}({shown})"


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self).__plain_data__.compared)


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _compared(self) == _compared(other)


def _lt(self: Any, other: object) -> Any:
    return _compared(self) < _compared(other) if other.__class__ is self.__class__ else NotImplemented


def _le(self: Any, other: object) -> Any:
    return _compared(self) <= _compared(other) if other.__class__ is self.__class__ else NotImplemented


def _gt(self: Any, other: object) -> Any:
    return _compared(self) > _compared(other) if other.__class__ is self.__class__ else NotImplemented


def _ge(self: Any, other: object) -> Any:
    return _compared(self) >= _compared(other) if other.__class__ is self.__class__ else NotImplemented


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, name) for name in type(self).__plain_data__.hashed))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
