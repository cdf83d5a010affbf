"""`Record`: `typing.NamedTuple` to the type checker; at run time the same class, built cheaper.

`class Token(Record): kind: str ...` declares a named tuple exactly as `NamedTuple` does (mypy sees
`typing.NamedTuple`). At run time `typing.NamedTuple` checks every field's annotation when the class
is created; under `from __future__ import annotations` each one is a string, which it compiles into a
`ForwardRef`. That made a record cost a quarter to half a millisecond to define, most of the
handler's cold import (`make bench` (d)). `Record` skips that check, and builds the class that
`collections.namedtuple` builds without its cost per class either: `namedtuple` compiles a new
constructor from source text for every class (`eval`, about 40 microseconds, 50 records on a
`check`). Here one named tuple per number of fields lends its constructor's code, renamed to the
record's fields (the same bytecode: `tuple.__new__` of the arguments), and its field getters (each
reads one position of the tuple). The class has the same bases, fields, defaults, docstring,
`__match_args__`, `_make`, `_replace`, `_asdict`, `repr` and pickling as `namedtuple`'s
(`tests/unit/test_records.py` compares them with `typing.NamedTuple`'s), then the class body's
methods, properties and docstring. `__annotations__` keeps the annotations as written (strings)
instead of `ForwardRef`s; nothing reads them at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["EMPTY_MAPPING", "Record"]

# The default of a record's mapping field: a record is immutable, and one empty dict shared by every
# record as a default would not be.
EMPTY_MAPPING: Mapping[str, Any] = MappingProxyType({})

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
    from typing import NamedTuple as Record
else:
    from collections import namedtuple
    from types import FunctionType

    _KEPT_BY_NAMEDTUPLE = frozenset({"__module__", "__annotations__"})
    _SHAPES = {}  # number of fields -> a `collections.namedtuple` class with fields f0, f1, ...

    def _shape(size):
        """The named tuple class of `size` fields `f0`, `f1`...: its field getters and its `__new__`
        serve every record of that size (one `collections.namedtuple` call per size, not per record)."""
        shape = _SHAPES.get(size)
        if shape is None:
            shape = _SHAPES[size] = namedtuple(f"Shape{size}", [f"f{i}" for i in range(size)])
        return shape

    def _constructor(typename, fields, defaults):
        """The shape's `__new__` with the record's parameter names: the same code (`tuple.__new__`
        of the arguments), with `fields` for `f0`, `f1`... so that keywords and messages name them."""
        template = _shape(len(fields)).__new__
        code = template.__code__.replace(
            co_varnames=("_cls", *fields), co_name="__new__", co_qualname=f"{typename}.__new__"
        )
        new = FunctionType(code, template.__globals__, "__new__", tuple(defaults) or None)
        new.__qualname__ = f"{typename}.__new__"
        new.__doc__ = f"Create new instance of {typename}({', '.join(fields)})"
        return new

    def _make(cls, iterable):
        result = tuple.__new__(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self, /, **kwds):
        result = self._make(map(kwds.pop, self._fields, self))
        if kwds:
            raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
        return result

    def __repr__(self):
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True))
        return f"{self.__class__.__name__}({fields})"

    def _asdict(self):
        return dict(zip(self._fields, self, strict=True))

    def __getnewargs__(self):
        return tuple(self)

    _METHODS = {
        "_make": classmethod(_make),
        "_replace": _replace,
        "__repr__": __repr__,
        "_asdict": _asdict,
        "__getnewargs__": __getnewargs__,
    }

    class _RecordMeta(type):
        """Builds each subclass of `Record` as the class `collections.namedtuple` would build (a
        subclass of `tuple`, not a `_RecordMeta`), without compiling a constructor for each."""

        def __new__(cls, typename, bases, namespace):
            annotations = namespace.get("__annotations__", {})
            fields = tuple(annotations)
            defaults = [namespace[name] for name in fields if name in namespace]
            shape = vars(_shape(len(fields)))
            body = {
                "__doc__": f"{typename}({', '.join(fields)}{',' if len(fields) == 1 else ''})",
                "__slots__": (),
                "_fields": fields,
                "_field_defaults": dict(zip(fields[len(fields) - len(defaults) :], defaults, strict=True)),
                "__new__": _constructor(typename, fields, defaults),
                **_METHODS,
                "__match_args__": fields,
                **{name: shape[f"f{i}"] for i, name in enumerate(fields)},  # getters of position i
            }
            record = type.__new__(type, typename, (tuple,), body)
            record.__module__ = namespace["__module__"]
            record.__annotations__ = record.__new__.__annotations__ = annotations
            for key, value in namespace.items():
                if key not in _KEPT_BY_NAMEDTUPLE and key not in annotations:
                    setattr(record, key, value)
            return record

    Record = type.__new__(_RecordMeta, "Record", (), {})
