"""`dump_template` over a source text in the layouts the splicer does not take: each output must read
back as the data, and keep the source's comments where the layout allows."""

from __future__ import annotations

import math
from typing import Any

import pytest
from auto_invoke_permission.cli.template_io import dump_template, read_template
from auto_invoke_permission.cli.yaml_output import dump_yaml, dumps_over


def reads_back(text: str) -> dict[str, Any]:
    return read_template("out.yaml", text).data


def test_a_source_that_is_not_a_mapping_gives_no_candidate() -> None:
    assert list(dumps_over("- a\n- b\n", {"Resources": {}})) == []
    assert list(dumps_over("Resources: [unclosed\n", {"Resources": {}})) == []


def test_source_without_a_final_newline_is_spliced() -> None:
    source = "# keep me\nResources:\n  A:\n    Type: X  # and me\n  B:\n    Type: Y"
    data = {"Resources": {"A": {"Type": "X"}, "B": {"Type": "Z"}}}
    text = dump_template(data, source=source)
    assert reads_back(text) == data
    assert text.startswith("# keep me\nResources:\n  A:\n    Type: X  # and me\n")


def test_reordered_keys_fall_back_to_the_whole_document_keeping_comments() -> None:
    source = "Resources:  # the resources\n  A: {Type: X}\n  B: {Type: Y}\nOutputs: {}\n"
    data: dict[str, Any] = {"Outputs": {}, "Resources": {"B": {"Type": "Y"}, "A": {"Type": "X"}}}
    text = dump_template(data, source=source)
    assert reads_back(text) == data
    assert "# the resources" in text


def test_a_nested_change_under_reordered_keys() -> None:
    source = "Resources:\n  A:\n    Type: X\n    Properties:\n      P: 1\n      Q: 2\n"
    data = {"Resources": {"A": {"Type": "X", "Properties": {"Q": 2, "P": 3}}}}
    text = dump_template(data, source=source)
    assert reads_back(text) == data


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (["a", "b", "c"], ["a", "x", "c"]),  # replaced in place
        (["a", "b", "c"], ["a", "c"]),  # removed
        (["a", "c"], ["a", "b1", "b2", "c"]),  # inserted
        (["a", "b"], ["x", "y", "z"]),  # replaced by more
    ],
)
def test_lists_change_item_by_item(before: list[str], after: list[str]) -> None:
    items = "".join(f"      - {item}  # {item}\n" for item in before)
    source = f"Resources:\n  A:\n    Type: X\n    Properties:\n      L:\n{items}"
    data = {"Resources": {"A": {"Type": "X", "Properties": {"L": after}}}}
    text = dump_template(data, source=source)
    assert reads_back(text) == data
    for kept in set(before) & set(after):
        assert f"# {kept}" in text


@pytest.mark.parametrize(
    ("value", "text"),
    [(5e-324, "5.0e-324"), (math.inf, ".inf"), (-math.inf, "-.inf"), (1.5, "1.5")],
)
def test_floats_are_written_as_yaml_1_1_reads_them(value: float, text: str) -> None:
    out = dump_yaml({"Resources": {}, "Metadata": {"F": value}})
    assert f"F: {text}\n" in out
    assert reads_back(out)["Metadata"]["F"] == value


def test_nan_is_written_as_yaml_nan() -> None:
    out = dump_yaml({"Resources": {}, "Metadata": {"F": math.nan}})
    assert "F: .nan\n" in out
    assert math.isnan(reads_back(out)["Metadata"]["F"])
