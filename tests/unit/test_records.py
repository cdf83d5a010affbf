"""`records.Record`: a class declared with it behaves as the same class declared with `typing.NamedTuple`."""

from __future__ import annotations

import copy
import inspect
import pickle
from typing import NamedTuple

import pytest
from auto_invoke_permission.records import Record


class Declared(NamedTuple):
    """A record with defaults."""

    name: str
    size: int = 0
    tags: tuple[str, ...] = ()


class Built(Record):
    """A record with defaults."""

    name: str
    size: int = 0
    tags: tuple[str, ...] = ()

    def doubled(self) -> int:
        return 2 * self.size

    @property
    def first_tag(self) -> str:
        return self.tags[0] if self.tags else ""


class Bare(Record):
    value: str


def test_same_fields_defaults_and_documentation() -> None:
    assert Built._fields == Declared._fields
    assert Built._field_defaults == Declared._field_defaults
    assert Built.__match_args__ == Declared.__match_args__
    assert Built.__doc__ == Declared.__doc__
    assert Bare.__doc__ == "Bare(value,)"
    assert (Built.__module__, Built.__qualname__) == (__name__, "Built")
    assert Built.__bases__ == (tuple,)
    assert list(Built.__annotations__) == ["name", "size", "tags"]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [(("a",), {}), (("a", 2), {}), ((), {"name": "a", "tags": ("x", "y")}), (("a", 3, ("z",)), {})],
)
def test_same_values_equality_hash_and_text(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    declared, built = Declared(*args, **kwargs), Built(*args, **kwargs)  # type: ignore[arg-type]
    assert tuple(built) == tuple(declared)
    assert hash(built) == hash(declared) == hash(tuple(declared))
    assert repr(built) == repr(declared).replace("Declared", "Built")
    assert built._asdict() == declared._asdict()
    assert tuple(built._replace(size=5)) == tuple(declared._replace(size=5))
    assert Built._make(declared) == built
    assert (built.doubled(), built.first_tag) == (
        2 * declared.size,
        declared.tags[0] if declared.tags else "",
    )
    assert pickle.loads(pickle.dumps(built)) == built
    assert type(copy.deepcopy(built)) is Built


def test_same_signature() -> None:
    def parameters(cls: type) -> list[tuple[str, object, object]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls).parameters.values()]

    assert parameters(Built) == parameters(Declared)  # the annotations: strings, not ForwardRefs
    assert Built.__new__.__qualname__ == "Built.__new__"


def test_same_errors() -> None:
    with pytest.raises(TypeError, match=r"Built.__new__\(\) missing 1 required positional argument: 'name'"):
        Built()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'other'"):
        Built("a", other=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="unexpected field"):
        Built("a")._replace(other=1)  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        Built("a").name = "b"  # type: ignore[misc]
