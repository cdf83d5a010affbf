"""The CLI's template reader in-process: the JSON fast path, parse errors, depth, tags and paths.

test_cli_inputs.py runs the depth cases in a subprocess, as the installed command meets them; here
the helpers that build those messages are checked one by one.
"""

from __future__ import annotations

from typing import Any

import pytest
from auto_invoke_permission.cli.template_read import (
    LoadedTemplate,
    NotATemplate,
    TemplateError,
    _deepest_point,
    _reject_unknown_tags,
    _too_deep,
    read_template,
    template_path,
    to_plain,
)


def error_of(text: str, path: str = "t.yaml") -> str:
    with pytest.raises(TemplateError) as caught:
        read_template(path, text)
    return str(caught.value)


def test_plain_json_takes_the_fast_path_without_nodes() -> None:
    loaded = read_template("t.json", '{"Resources": {"A": {"Type": "X"}}}')
    assert (loaded.data, loaded.source_format, loaded.parsed_nodes) == (
        {"Resources": {"A": {"Type": "X"}}},
        "json",
        None,
    )
    # positions come from the text when a report first asks for a line
    assert loaded.line_of("A") == 1


def test_json_with_nan_is_left_to_cfn_lint_which_reads_it_as_text() -> None:
    loaded = read_template("t.json", '{"Resources": {}, "X": NaN}')
    assert loaded.data == {"Resources": {}, "X": "NaN"}
    assert loaded.source_format == "json"
    assert loaded.parsed_nodes is not None


def test_nodes_of_text_cfn_lint_refuses_are_none() -> None:
    loaded = LoadedTemplate(path="t.yaml", data={"Resources": {}}, text="Resources: {a: 1, a: 2}\n")
    assert loaded.nodes is None
    assert loaded.line_of("a") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"Resources": {"a": 1}, "Resources": {}}', "t.yaml:1: duplicate key 'Resources'"),
        (
            '{\n"Resources": {},\n"Resources": {}}',
            "t.yaml:3: duplicate key 'Resources' (first at line 2)",
        ),
        (
            '{\n\t"Resources": {},\n\t"Resources": {}, "A": 1, "A": 2}',
            "t.yaml:3: duplicate key 'Resources' (first at line 2) (and 1 more problem)",
        ),
        ('{\n\t"Resources": {}\n\t"X": 1}', "t.yaml:3:3: Expecting ',' delimiter"),
    ],
)
def test_parse_errors_are_one_line_with_the_place(text: str, message: str) -> None:
    assert error_of(text) == message


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        ("-", "[1]", "<stdin>: not a template (a list, not a mapping)"),
        ("t.yaml", "42", "t.yaml: not a template (a int, not a mapping)"),
        ("t.yaml", "just text", "t.yaml: not a template (a string, not a mapping)"),
        ("t.yaml", "", "t.yaml: the file is empty"),
        (
            "-",
            '{"Outputs": {}}',
            "<stdin>: not a template (no Resources, AWSTemplateFormatVersion or Transform)",
        ),
    ],
)
def test_not_a_template(path: str, text: str, message: str) -> None:
    with pytest.raises(NotATemplate) as caught:
        read_template(path, text)
    assert str(caught.value) == message


def test_deep_json_in_process_is_one_clean_error() -> None:
    depth = 5000
    head = '{"Resources": '
    text = head + "[" * depth + "]" * depth + "}"
    assert error_of(text, "deep.json") == (
        f"deep.json:1:{len(head) + depth}: the template is nested too deeply to read "
        f"({depth + 1} levels of brackets)"
    )


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("a:\n  b:\n    c: 1\n\n", (3, 5, None)),  # block YAML: the most indented line
        ("a: [1,\n  [2, {b: 3}]]", (2, 7, 3)),
        # brackets inside quotes do not count; an escaped quote does not end a string
        ('{"[": [{}], \'{{\': "\\"[" }', (1, 8, 3)),
        ("{a: '[[[', b: [x]}", (1, 15, 2)),
    ],
)
def test_deepest_point(text: str, point: tuple[int, int, int | None]) -> None:
    assert _deepest_point(text) == point


def test_too_deep_block_yaml_names_no_bracket_count() -> None:
    assert _too_deep("p.yaml", "a:\n  b: 1\n") == "p.yaml:2:3: the template is nested too deeply to read"
    assert (
        _too_deep("p.json", "[[]]")
        == "p.json:1:2: the template is nested too deeply to read (2 levels of brackets)"
    )


def test_unknown_tag_without_a_position_names_the_file() -> None:
    with pytest.raises(TemplateError) as caught:
        _reject_unknown_tags("p.yaml", {"Resources": {}, "A": [{"Fn::Foo": 1}]})
    assert str(caught.value) == "p.yaml: unknown tag !Foo (CloudFormation has no Fn::Foo)"
    _reject_unknown_tags("p.yaml", {"Resources": {}, "A": [{"Fn::GetAtt": ["B", "Arn"]}, {"Ref": "C"}]})


NODES: dict[str, Any] = {
    "Metadata": {"AutoInvokePermission": {"Mode": "audit"}},
    "Resources": {"Fn": {"Properties": {"Policies": [{"Statement": []}]}}},
}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        (
            "Fn.Properties.Policies[0].Statement[1]",
            ["Resources", "Fn", "Properties", "Policies", 0, "Statement"],
        ),
        ("Fn.Properties.Policies[3]", ["Resources", "Fn", "Properties", "Policies"]),
        ("Metadata.AutoInvokePermission.Mode", ["Metadata", "AutoInvokePermission", "Mode"]),
        ("Gone.Properties", ["Resources"]),
        ("", []),
    ],
)
def test_template_path_goes_as_far_as_the_template_has_it(path: str, found: list[str | int]) -> None:
    assert template_path(NODES, path) == found


def test_template_path_without_resources() -> None:
    assert template_path({}, "Fn.Properties") == []


def test_to_plain_writes_other_keys_as_json() -> None:
    assert to_plain({1: "x", 2.5: ["y"], None: {"a": True}}) == {"1": "x", "2.5": ["y"], "null": {"a": True}}
