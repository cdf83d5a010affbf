"""Frozen records for the library face (api.py), the CLI and offline/, without `dataclasses`.

`@dataclass(frozen=True)` writes each class's methods as source text and compiles it when its
module is imported (about a millisecond a class), and `dataclasses` imports `inspect`: the CLI's
start-up paid that for twenty records. A `FrozenRecord` subclass behaves as that frozen dataclass,
from one set of shared methods: the constructor takes the fields in order or by name, with
their defaults (`field(default_factory=...)` builds one per record); two records of the same
class are equal when their compared fields are, and hash as those fields; the repr is
`Name(field=value, ...)`; assigning or deleting an attribute raises
`dataclasses.FrozenInstanceError`. mypy reads a subclass as a frozen dataclass
(`dataclass_transform`). `replace(record, **changes)` is `dataclasses.replace`; `dataclasses`'
own `fields`, `replace`, `asdict` and `is_dataclass` take records too (their fields are built,
and `dataclasses` imported, the first time one of them asks).

A record is no tuple (unlike the core's `NamedTuple` records): it compares, hashes and prints as
the dataclass it stands for. Not on the macro's Lambda path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform

R = TypeVar("R", bound="FrozenRecord")


class _Field:
    """What `field()` gives the class body; `FrozenRecord` reads it when the class is made."""

    __slots__ = ("compare", "default", "factory", "repr")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, compare: bool, repr: bool) -> None:
        self.default, self.factory, self.compare, self.repr = default, factory, compare, repr


_NO_DEFAULT: Any = object()


def field(
    *,
    default: Any = _NO_DEFAULT,
    default_factory: Callable[[], Any] | None = None,
    compare: bool = True,
    repr: bool = True,
) -> Any:
    """As `dataclasses.field`: a default, or a factory called for each record; whether the field
    counts for equality and hashing (`compare`) and is shown by the repr."""
    return _Field(default, default_factory, compare, repr)


class _DataclassFields:
    """A record class's `__dataclass_fields__`, taken on first use from a frozen dataclass with the
    same fields, so that `dataclasses.fields`, `replace`, `asdict` and `is_dataclass` read records."""

    def __get__(self, instance: object, owner: type[FrozenRecord]) -> dict[str, Any]:
        built: dict[str, Any] | None = owner.__dict__.get("_dataclass_twin_fields")
        if built is None:
            import dataclasses

            annotations = {}
            for klass in reversed(owner.__mro__):
                annotations.update(klass.__dict__.get("__annotations__", {}))  # noqa: RUF063
            specs = [(name, annotations[name], owner._dataclass_field(name)) for name in owner._fields]
            twin = dataclasses.make_dataclass(owner.__qualname__, specs, frozen=True)
            built = {twin_field.name: twin_field for twin_field in dataclasses.fields(twin)}
            type.__setattr__(owner, "_dataclass_twin_fields", built)
        return built


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class FrozenRecord:
    """A frozen record: subclasses declare their fields as annotations, with defaults after them."""

    __slots__ = ()
    __dataclass_fields__ = _DataclassFields()
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    _factories: ClassVar[dict[str, Callable[[], Any]]] = {}
    _compared: ClassVar[tuple[str, ...]] = ()
    _shown: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields, compared, shown = list(cls._fields), list(cls._compared), list(cls._shown)
        defaults, factories = dict(cls._defaults), dict(cls._factories)
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 (inspect is what this module avoids)
        for name, annotation in own.items():
            if str(annotation).removeprefix("typing.").startswith("ClassVar"):
                continue
            spec = cls.__dict__.get(name, _NO_DEFAULT)
            if not isinstance(spec, _Field):
                spec = _Field(spec, None, True, True)
            _declare(cls, name, spec, defaults, factories)
            fields.append(name)
            compared += [name] if spec.compare else []
            shown += [name] if spec.repr else []
        cls._fields, cls._compared, cls._shown = tuple(fields), tuple(compared), tuple(shown)
        cls._defaults, cls._factories = defaults, factories
        setattr(cls, "__match_args__", cls._fields)  # noqa: B010 (mypy reads the class's own)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        fields = cls._fields
        if len(args) > len(fields):
            raise TypeError(f"{cls.__qualname__}() takes {len(fields)} arguments, {len(args)} given")
        values = dict(zip(fields, args, strict=False))
        if kwargs:
            for name in kwargs:
                if name not in fields:
                    raise TypeError(f"{cls.__qualname__}() got an unexpected keyword argument {name!r}")
                if name in values:
                    raise TypeError(f"{cls.__qualname__}() got multiple values for argument {name!r}")
            values.update(kwargs)
        if kwargs or len(values) < len(fields):  # in the fields' order, the defaults filled in
            values = {name: values[name] if name in values else cls._default(name) for name in fields}
        self.__dict__.update(values)  # as a frozen dataclass sets them: past __setattr__

    @classmethod
    def _dataclass_field(cls, name: str) -> Any:
        """The `dataclasses.field` this record's field stands for."""
        import dataclasses

        compare, shown = name in cls._compared, name in cls._shown
        if name in cls._factories:
            return dataclasses.field(default_factory=cls._factories[name], compare=compare, repr=shown)
        if name in cls._defaults:
            return dataclasses.field(default=cls._defaults[name], compare=compare, repr=shown)
        return dataclasses.field(compare=compare, repr=shown)

    @classmethod
    def _default(cls, name: str) -> Any:
        if name in cls._defaults:
            return cls._defaults[name]
        if name in cls._factories:
            return cls._factories[name]()
        raise TypeError(f"{cls.__qualname__}() missing required argument: {name!r}")

    def _compared_values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._compared)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, FrozenRecord)
        return self._compared_values() == other._compared_values()

    def __hash__(self) -> int:
        return hash(self._compared_values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        from dataclasses import FrozenInstanceError  # only when something tries to change a record

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")


def _declare(
    cls: type, name: str, spec: _Field, defaults: dict[str, Any], factories: dict[str, Callable[[], Any]]
) -> None:
    """A field's default (kept on the class, as a dataclass keeps it) or its factory."""
    if spec.factory is not None:
        factories[name] = spec.factory
        if name in cls.__dict__:
            delattr(cls, name)
    elif spec.default is not _NO_DEFAULT:
        defaults[name] = spec.default
        setattr(cls, name, spec.default)


def replace(record: R, /, **changes: Any) -> R:
    """A copy of `record` with `changes`, as `dataclasses.replace`."""
    values = {name: getattr(record, name) for name in record._fields}
    values.update(changes)
    return type(record)(**values)
