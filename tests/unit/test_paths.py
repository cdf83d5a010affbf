"""`paths.TemplatePath`: rendered once for messages, followed as keys and indexes for look-ups."""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.paths import PathPart, TemplatePath, indexed
from hypothesis import given
from hypothesis import strategies as st

RENDERED = [
    (("Fn",), "Fn"),
    (
        ("Fn", "Properties", "Policies", 0, "Statement", 1, "Resource"),
        "Fn.Properties.Policies[0].Statement[1].Resource",
    ),
    (("Metadata", "AutoInvokePermission", "Mode"), "Metadata.AutoInvokePermission.Mode"),
    (("Fn", "Properties", "Environment", "Variables", "A_B"), "Fn.Properties.Environment.Variables.A_B"),
    ((), ""),
    ((3, "Fn", 15, 16, 123), "[3].Fn[15][16][123]"),  # indexes in the table and past it
]


@pytest.mark.parametrize(("parts", "text"), RENDERED)
def test_rendered_once_and_read_back(parts: tuple[PathPart, ...], text: str) -> None:
    path = TemplatePath(parts)
    assert str(path) == text
    assert f"{path}" == text
    assert TemplatePath.parse(text) == path


def test_built_with_slash_is_a_path() -> None:
    path = TemplatePath.of("Fn", "Properties") / "Policies" / 0
    assert isinstance(path, TemplatePath)
    assert str(path) == "Fn.Properties.Policies[0]"
    assert path.resource == "Fn"
    assert TemplatePath().resource == ""


keys = st.text(alphabet=st.characters(blacklist_characters=".[]"), min_size=1)


@given(
    st.lists(st.one_of(keys, st.integers(min_value=0, max_value=10**6)), max_size=8).filter(
        lambda parts: not parts or isinstance(parts[0], str)
    )
)
def test_parse_reads_back_what_str_renders(parts: list[PathPart]) -> None:
    path = TemplatePath(parts)
    assert TemplatePath.parse(str(path)) == path


TEMPLATE: dict[str, Any] = {
    "Fn": {"Properties": {"Policies": [{"Statement": [{"Effect": "Allow"}]}], "Nil": None}}
}


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            "Fn.Properties.Policies[0].Statement[0].Effect",
            ["Fn", "Properties", "Policies", 0, "Statement", 0, "Effect"],
        ),
        ("Fn.Properties.Policies[1].Statement", ["Fn", "Properties", "Policies"]),  # index past the end
        ("Fn.Properties.Policies.Statement", ["Fn", "Properties", "Policies"]),  # a key on a list
        ("Fn.Properties[0]", ["Fn", "Properties"]),  # an index on a mapping
        ("Fn.Properties.Nil.Deeper", ["Fn", "Properties", "Nil"]),  # nothing under a null
        ("Other.Properties", []),
    ],
)
def test_steps_follow_the_parts_the_template_has(text: str, found: list[PathPart]) -> None:
    steps = list(TemplatePath.parse(text).steps(TEMPLATE))
    assert [part for _, part, _ in steps] == found
    for parent, part, child in steps:
        assert parent[part] is child


@pytest.mark.parametrize(
    ("text", "index", "rendered"),
    [
        ("Statement", 0, "Statement[0]"),
        ("S", 15, "S[15]"),
        ("S", 16, "S[16]"),
        ("", 2, "[2]"),
        ("S", -1, "S[-1]"),
    ],
)
def test_indexed(text: str, index: int, rendered: str) -> None:
    assert indexed(text, index) == rendered == f"{text}[{index}]"
