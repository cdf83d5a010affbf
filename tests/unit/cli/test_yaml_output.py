"""`autoinvoke transform` YAML output keeps the input's text: a diff shows only what the macro added.

Golden: every sample's transform, compared with its input line by line (difflib). The only lines
removed or changed are the `Transform` entry that no longer names the macro.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission.cli.main import main
from auto_invoke_permission.cli.template_io import dump_template, load_template
from auto_invoke_permission.cli.yaml_output import dump_yaml, dumps_over
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from repository import REPO
from test_template_io import _KEYS, _VALUES, _load_text

ROOT = REPO
SAMPLES = sorted(ROOT.glob("samples/*/template.yaml"))

Capture = pytest.CaptureFixture[str]

# Comments, double quotes, a flow mapping, a literal block ending in a comment-like line,
# '1e5' quoted, a comment at the end of Resources, and options in Metadata that get a Report.
LAYOUT = """\
# top comment
AWSTemplateFormatVersion: "2010-09-09"
Transform: AutoInvokePermission
Metadata:
  AutoInvokePermission:
    Mode: inject   # kept
Parameters:
  Ratio: {Type: String, Default: '1e5'}
Resources:
  Caller:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: index.handler
      Role: !GetAtt CallerRole.Arn
      Code:
        ZipFile: |
          import boto3
          def handler(event, context):
              return boto3.client("lambda").invoke(FunctionName="x")
          # the end
      Environment:
        Variables: {RATIO: '1e5', FLAG: "yes"}
  CallerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
        - Effect: Allow
          Principal: {Service: lambda.amazonaws.com}
          Action: sts:AssumeRole
      Policies:
      - PolicyName: invoke
        PolicyDocument:
          Statement:
          - Effect: Allow
            Action: lambda:InvokeFunction
            Resource: !GetAtt Callee.Arn
  Callee:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: index.handler
      Role: !GetAtt CallerRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
  # trailing comment in Resources

Outputs:
  X: {Value: !Ref Caller}
"""


@pytest.fixture(autouse=True)
def no_aws_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)


def transformed(path: Path, capsys: Capture) -> str:
    assert main(["transform", str(path)]) == 0
    return capsys.readouterr().out


def changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """(lines removed, lines added) by a line diff."""
    removed: list[str] = []
    added: list[str] = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


@pytest.mark.parametrize("path", SAMPLES, ids=[p.parent.name for p in SAMPLES])
def test_sample_transform_only_adds_lines(path: Path, capsys: Capture) -> None:
    source = path.read_text(encoding="utf-8")
    output = transformed(path, capsys)
    removed, added = changes(source, output)
    source_transform = [line for line in source.splitlines() if line.startswith("Transform:")]
    assert removed == source_transform  # the one entry that names the macro
    kept_transform = [line for line in added if line.startswith("Transform:")]
    assert kept_transform in ([], ["Transform: [AWS::Serverless-2016-10-31]"])
    # what was added: the permissions and the report, nothing else of the source changed
    assert "  AutoInvokePermission:" in added or "Metadata:" in added
    assert any(line.endswith("Type: AWS::Lambda::Permission") for line in added)


def test_layout_survives_and_additions_read_back(tmp_path: Path, capsys: Capture) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(LAYOUT, encoding="utf-8")
    output = transformed(path, capsys)
    removed, added = changes(LAYOUT, output)
    assert removed == ["Transform: AutoInvokePermission"]
    # the report goes into the existing Metadata entry, right after its options
    assert output.index("    Mode: inject   # kept\n    Report:\n") > 0
    # the new permission sits after the last resource, before the comment that ends Resources
    assert output.index("  CalleeInvokeFromCallerRole:") < output.index("  # trailing comment")
    assert "      FunctionName: !GetAtt Callee.Arn" in added
    out_path = tmp_path / "out.yaml"
    out_path.write_text(output, encoding="utf-8")
    data = load_template(str(out_path))
    assert data["Resources"]["Caller"]["Properties"]["Code"]["ZipFile"].endswith("# the end\n")


def test_json_input_gives_json_output(tmp_path: Path, capsys: Capture) -> None:
    source = load_template(str(SAMPLES[0]))
    path = tmp_path / "template.json"
    path.write_text(json.dumps(source, indent=2), encoding="utf-8")
    output = transformed(path, capsys)
    assert "Transform" not in json.loads(output)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        # a YAML 1.1 reader would take these for a float, a boolean, an octal number, a date
        ("1e5", "'1e5'"),
        ("yes", "'yes'"),
        ("0755", "'0755'"),
        ("2010-09-09", "'2010-09-09'"),
        # a float YAML 1.1 reads as a float (ruamel alone writes 1e+16, a string there)
        (1e16, "1.0e+16"),
        # code as a literal block
        ("import os\nprint(os)\n", "|\n  import os\n  print(os)"),
        # short forms where they read back as the same data, long form where not
        ({"Fn::GetAtt": ["F", "Arn"]}, "!GetAtt F.Arn"),
        ({"Fn::Sub": "${F.Arn}:live"}, "!Sub ${F.Arn}:live"),
        ({"Fn::GetAtt": ["F", {"Ref": "Attr"}]}, "Fn::GetAtt:"),
        ({"Fn::ForEach::Loop": ["x", [], {}]}, "Fn::ForEach::Loop:"),
    ],
)
def test_new_values(value: Any, written: str) -> None:
    text = dump_yaml({"Key": value})
    assert text.startswith(f"Key: {written}") or text.startswith(f"Key:\n  {written}")


def test_unreadable_source_gives_no_spliced_candidate() -> None:
    assert list(dumps_over("a: [unclosed", {"a": 1})) == []


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4),
    st.dictionaries(_KEYS, _VALUES, max_size=3),
)
def test_written_over_any_source_reads_back_as_the_data(
    source_data: dict[str, Any], extra: dict[str, Any]
) -> None:
    # Whatever the source and the change (entries added, replaced, removed), the output says the data.
    source = dump_template(source_data, "yaml")
    data = {k: v for k, v in source_data.items() if len(k) % 3} | extra
    if not data:
        return
    assert _load_text(dump_template(data, "yaml", source=source)) == data
