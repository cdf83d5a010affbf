"""The CLI's template reader and writer: short-form tags in, plain data out, faithful YAML back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission.cli.template_io import (
    NotATemplate,
    TemplateError,
    dump_template,
    load_template,
    read_template,
    to_plain,
)
from cfnlint.decode import cfn_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def write(tmp_path: Path, text: str, name: str = "template.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# (YAML value, the long form the loader must give)
SHORT_FORMS: list[tuple[str, Any]] = [
    ("!Ref Fn", {"Ref": "Fn"}),
    ("!GetAtt Fn.Arn", {"Fn::GetAtt": ["Fn", "Arn"]}),
    ("!GetAtt [Fn, Arn]", {"Fn::GetAtt": ["Fn", "Arn"]}),
    # a dotted attribute splits at the first dot only
    ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
    ("!Sub '${Fn.Arn}:live'", {"Fn::Sub": "${Fn.Arn}:live"}),
    ("!Sub ['${A}-x', {A: !Ref B}]", {"Fn::Sub": ["${A}-x", {"A": {"Ref": "B"}}]}),
    ("!If [C, !Ref A, !Ref AWS::NoValue]", {"Fn::If": ["C", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]}),
    ("!Join ['', [a, !Ref B]]", {"Fn::Join": ["", ["a", {"Ref": "B"}]]}),
    ("!Select [0, !Split [',', 'a,b']]", {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}),
    ("!FindInMap [M, K, V]", {"Fn::FindInMap": ["M", "K", "V"]}),
    ("!ImportValue Shared", {"Fn::ImportValue": "Shared"}),
    ("!Condition IsProd", {"Condition": "IsProd"}),
    ("!Equals [!Ref S, prod]", {"Fn::Equals": [{"Ref": "S"}, "prod"]}),
    ("!Not [!Condition C]", {"Fn::Not": [{"Condition": "C"}]}),
    ("!And [!Condition A, !Condition B]", {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}),
    ("!Base64 text", {"Fn::Base64": "text"}),
    ("!GetAZs ''", {"Fn::GetAZs": ""}),
]


@pytest.mark.parametrize(("yaml_value", "long_form"), SHORT_FORMS, ids=[s for s, _ in SHORT_FORMS])
def test_short_form_tags_load_as_long_form(tmp_path: Path, yaml_value: str, long_form: Any) -> None:
    path = write(tmp_path, f"Resources:\n  R:\n    Type: X\n    Properties:\n      V: {yaml_value}\n")
    assert load_template(path)["Resources"]["R"]["Properties"]["V"] == long_form


def _plain_types(value: Any) -> set[type]:
    if isinstance(value, dict):
        return {dict} | {type(k) for k in value} | set().union(*(_plain_types(v) for v in value.values()))
    if isinstance(value, list):
        return {list} | set().union(*(_plain_types(v) for v in value))
    return {type(value)}


def test_loaded_data_is_plain_json_shaped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "AWSTemplateFormatVersion: 2010-09-09\n"
        "Resources:\n  R:\n    Type: X\n"
        "    Properties: {A: !Ref B, N: 3, F: 1.5, T: true, Z: null, L: [a]}\n",
    )
    data = load_template(path)
    # the loader's node subclasses never leak into the core
    assert _plain_types(data) <= {dict, list, str, int, float, bool, type(None)}
    # an unquoted date is the string CloudFormation reads, not a datetime.date
    assert data["AWSTemplateFormatVersion"] == "2010-09-09"
    json.dumps(data)


def test_json_template(tmp_path: Path) -> None:
    template = {"Resources": {"R": {"Type": "X", "Properties": {"A": {"Fn::GetAtt": ["F", "Arn"]}}}}}
    loaded = read_template(write(tmp_path, json.dumps(template, indent=2), "template.json"))
    assert loaded.data == template
    assert loaded.source_format == "json"


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n")
    with pytest.raises(TemplateError) as error:
        load_template(path)
    assert str(error.value) == f"{path}:4: duplicate key 'A' (first at line 2)"


def test_duplicate_key_in_json(tmp_path: Path) -> None:
    text = '{\n  "Resources": {\n    "A": {"Type": "X"},\n    "A": {"Type": "Y"}\n  }\n}\n'
    path = write(tmp_path, text, "template.json")
    with pytest.raises(TemplateError, match=r":4: duplicate key 'A' \(first at line 3\)$"):
        load_template(path)


def test_duplicate_key_in_json_that_is_not_yaml(tmp_path: Path) -> None:
    # YAML keys are at most 1024 characters, JSON keys are not: this goes through cfn-lint's
    # JSON decoder, whose duplicate-key lines are 0-based; the message must give the real lines.
    long_key = "K" * 1100
    text = (
        f'{{\n  "Metadata": {{"{long_key}": 1}},\n  "Resources": {{\n'
        '    "A": {"Type": "X"},\n    "A": {"Type": "Y"}\n  }\n}\n'
    )
    path = write(tmp_path, text, "template.json")
    with pytest.raises(TemplateError, match=r':5: duplicate key "A" \(first at line 4\)$'):
        load_template(path)


def test_more_problems_are_counted_on_the_same_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Resources:\n  A: 1\n  A: 2\n  B: 1\n  B: 2\n")
    with pytest.raises(TemplateError) as error:
        load_template(path)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith(f"{path}:3: duplicate key 'A' (first at line 2)")


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        # an unclosed flow sequence: reported where the parser noticed
        ("Resources:\n  A: [1, 2\n  B: x\n", ":3:4:", "did not find expected ',' or ']'"),
        ("Resources: a: b\n", ":1:13:", "mapping values are not allowed"),
        ("Resources:\n\tA: 1\n", ":2:1:", "found character that cannot start any token"),
        ("a: 1\n---\nb: 2\n", ":2:1:", "but found another document"),
    ],
)
def test_parse_errors_are_one_line_with_position(tmp_path: Path, text: str, where: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TemplateError) as error:
        load_template(path)
    message = str(error.value)
    assert message.startswith(path + where)
    assert problem in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", r"not a template \(a list, not a mapping\)"),
        ("just text\n", r"not a template \(a string, not a mapping\)"),
        (
            "replicas: 3\nimage: !Foo x\n",
            r"not a template \(no Resources, AWSTemplateFormatVersion or Transform\)",
        ),
        ('{"name": "x"}', r"not a template \(no Resources"),
    ],
)
def test_not_a_template(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(NotATemplate, match=problem):
        load_template(path)


def test_unreadable_paths(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"missing.yaml: cannot read the template: No such file"):
        load_template(str(tmp_path / "missing.yaml"))
    with pytest.raises(TemplateError, match="cannot read the template"):
        load_template(str(tmp_path))
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"Resources: \xff\xfe\n")
    with pytest.raises(TemplateError, match="not UTF-8 text"):
        load_template(str(binary))


def test_line_of_finding_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Resources:\n"  # 1
        "  Caller:\n"  # 2
        "    Type: AWS::Serverless::Function\n"  # 3
        "    Properties:\n"  # 4
        "      Policies:\n"  # 5
        "        - Statement:\n"  # 6
        "            - Effect: Allow\n"  # 7
        "              Resource: '*'\n"  # 8
        "            - Effect: Allow\n"  # 9
        "              Resource: !GetAtt Callee.Arn\n"  # 10
        "  Callee:\n"  # 11
        "    Type: AWS::Serverless::Function\n"  # 12
        "Metadata:\n"  # 13
        "  AutoInvokePermission: {Mode: audit}\n",  # 14
    )
    loaded = read_template(path)
    assert loaded.line_of("Caller") == 2
    assert loaded.line_of("Callee") == 11
    assert loaded.line_of("Caller.Properties.Policies[0].Statement[0].Resource") == 8
    assert loaded.line_of("Caller.Properties.Policies[0].Statement[1]") == 9
    assert loaded.line_of("Caller.Properties.Policies[0].Statement[1].Resource") == 10
    # as deep as the template goes: the statement has no Condition
    assert loaded.line_of("Caller.Properties.Policies[0].Statement[1].Condition") == 9
    assert loaded.line_of("Metadata.AutoInvokePermission.Mode") == 14
    assert loaded.line_of("NoSuchResource.Properties") == 1


# ------------------------------------------------------------------ dump
def test_yaml_dump_keeps_short_form_and_order() -> None:
    data = {
        "Resources": {
            "Zed": {"Type": "AWS::Lambda::Permission", "Properties": {"F": {"Fn::GetAtt": ["Fn", "Arn"]}}},
            "Alpha": {"Type": "X", "Condition": "C", "Properties": {"R": {"Ref": "Zed"}}},
        }
    }
    text = dump_template(data, "yaml")
    assert "F: !GetAtt 'Fn.Arn'" in text or "F: !GetAtt Fn.Arn" in text
    assert "R: !Ref" in text
    assert text.index("Zed:") < text.index("Alpha:")  # no key sorting


def test_yaml_dump_is_faithful_where_clean_up_would_rewrite() -> None:
    data = {
        "Join": {
            "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":x"]]
        },  # cfn-flip clean-up makes a Sub
        "Dynamic": {"Fn::GetAtt": ["Fn", {"Ref": "Attribute"}]},  # `!GetAtt Fn.?` cannot say this
        "StringGetAtt": {"Fn::GetAtt": "Fn.Arn"},  # the short form would read back as a list
        "Strings": ["yes", "0123", "2010-09-09", "123456789012", "null", "*", "a: b", "line\nbreak"],
    }
    text = dump_template(data, "yaml")
    assert "!Join" in text and "Fn::Sub" not in text and "!Sub" not in text
    path_free = _load_text(text)
    assert path_free == data


def test_json_dump_is_indented_two() -> None:
    data = {"Resources": {"R": {"Type": "X"}}}
    assert dump_template(data, "json") == json.dumps(data, indent=2) + "\n"


def _load_text(text: str) -> Any:
    return to_plain(cfn_yaml.loads(text, "dumped.yaml"))


_KEYS = st.one_of(
    st.sampled_from(["Ref", "Condition", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::", "Type"]),
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12),
)
_SCALARS = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=120),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4))
def test_yaml_dump_reads_back_as_the_same_data(data: dict[str, Any]) -> None:
    # Any JSON-shaped data, including intrinsic-looking keys with odd arguments and
    # YAML's own line breaks (NEL, U+2028) in strings, survives dump and load unchanged.
    assert _load_text(dump_template(data, "yaml")) == data
