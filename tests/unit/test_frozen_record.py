"""`FrozenRecord` behaves as the frozen dataclass it replaces: construction, equality, hash, repr, replace."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from auto_invoke_permission.frozen_record import FrozenRecord, field, replace


class Mine(FrozenRecord):
    name: str
    count: int = 1
    tags: list[str] = field(default_factory=list)
    hidden: str = field(default="h", repr=False)
    ignored: Any = field(default=None, compare=False)


@dataclasses.dataclass(frozen=True)
class Mine2:  # the same fields as a frozen dataclass: what Mine must match
    name: str
    count: int = 1
    tags: list[str] = dataclasses.field(default_factory=list)
    hidden: str = dataclasses.field(default="h", repr=False)
    ignored: Any = dataclasses.field(default=None, compare=False)


class Pair(FrozenRecord):
    value: int
    ignored: Any = field(default=None, compare=False)


@dataclasses.dataclass(frozen=True)
class Pair2:
    value: int
    ignored: Any = dataclasses.field(default=None, compare=False)


CASES: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a",), {}),
    (("a", 2), {}),
    (("a",), {"count": 3, "hidden": "x"}),
    ((), {"name": "b", "ignored": object()}),
    (("a", 1, ["t"]), {}),
]


@pytest.mark.parametrize(("args", "kwargs"), CASES)
def test_a_record_reads_as_its_dataclass(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    record, twin = Mine(*args, **kwargs), Mine2(*args, **kwargs)
    assert repr(record) == repr(twin).replace("Mine2(", "Mine(")
    assert [getattr(record, f.name) for f in dataclasses.fields(twin)] == [
        getattr(twin, f.name) for f in dataclasses.fields(twin)
    ]
    assert Mine.__match_args__ == Mine2.__match_args__


def test_equality_and_hash_count_the_compared_fields_of_the_same_class() -> None:
    assert Mine("a", ignored=1) == Mine("a", ignored=2)
    assert Mine("a") != Mine("a", count=2)
    assert Mine("a") != Mine2("a")
    assert hash(Pair(1, ignored=1)) == hash(Pair(1, ignored=2)) == hash(Pair2(1))
    with pytest.raises(TypeError):
        hash(Mine("a"))  # as the dataclass: a list field cannot be hashed


def test_each_record_gets_its_own_factory_default() -> None:
    first, second = Mine("a"), Mine("b")
    first.tags.append("t")
    assert second.tags == []
    assert Mine.count == 1  # a plain default stays on the class, as a dataclass keeps it
    assert "tags" not in Mine.__dict__


def test_a_record_is_frozen() -> None:
    record = Mine("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.name = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del record.name


def test_replace_keeps_the_other_fields() -> None:
    record = Mine("a", 2, ["t"], hidden="x")
    assert replace(record, count=5) == Mine("a", 5, ["t"], hidden="x")
    assert type(replace(record)) is Mine


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), (("a", 1, [], "h", None, "extra"), {}), (("a",), {"name": "b"}), (("a",), {"nope": 1})],
)
def test_wrong_arguments_raise_type_error(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        Mine(*args, **kwargs)


def test_dataclasses_functions_read_a_record_as_its_dataclass() -> None:
    record, twin = Mine("a", 2, ["t"], hidden="x"), Mine2("a", 2, ["t"], hidden="x")
    assert dataclasses.is_dataclass(record)
    assert [(f.name, f.compare, f.repr) for f in dataclasses.fields(record)] == [
        (f.name, f.compare, f.repr) for f in dataclasses.fields(twin)
    ]
    assert dataclasses.asdict(record) == dataclasses.asdict(twin)
    assert dataclasses.replace(record, count=3) == Mine("a", 3, ["t"], hidden="x")
