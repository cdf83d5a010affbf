"""`Record`: `typing.NamedTuple` to the type checker; at run time the same class, built cheaper.

`class Token(Record): kind: str ...` declares a named tuple exactly as `NamedTuple` does (mypy sees
`typing.NamedTuple`). At run time `typing.NamedTuple` checks every field's annotation when the class
is created; under `from __future__ import annotations` each one is a string, which it compiles into a
`ForwardRef`. That made a record cost a quarter to half a millisecond to define, most of the
handler's cold import (`make bench` (d)). `Record` skips that check and builds the class as
`NamedTupleMeta` does otherwise: `collections.namedtuple` with the same fields, defaults and module,
then the class body's methods, properties and docstring. Equality, hashing, `repr`, `_replace`,
`_asdict` and pickling are `collections.namedtuple`'s, as before. `__annotations__` keeps the
annotations as written (strings) instead of `ForwardRef`s; nothing reads them at run time.
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

    _KEPT_BY_NAMEDTUPLE = frozenset({"__module__", "__annotations__"})

    class _RecordMeta(type):
        """Builds each subclass of `Record` as a `collections.namedtuple` class (not a `_RecordMeta`)."""

        def __new__(cls, typename, bases, namespace):
            fields = namespace.get("__annotations__", {})
            defaults = [namespace[name] for name in fields if name in namespace]
            record = namedtuple(typename, fields, defaults=defaults, module=namespace["__module__"])
            record.__annotations__ = record.__new__.__annotations__ = fields
            for key, value in namespace.items():
                if key not in _KEPT_BY_NAMEDTUPLE and key not in fields:
                    setattr(record, key, value)
            return record

    Record = type.__new__(_RecordMeta, "Record", (), {})
