"""`autoinvoke` and the Transform section: CloudFormation's order and forms, the same in every command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission.cli.main import main
from auto_invoke_permission.offline.toolbox import macro_event, packaged, placeholder_location
from cli_support import Capture
from snippets import PLACE, SAM_CALLEE, SAM_CALLER_STATEMENTS

RESOURCES = (
    SAM_CALLER_STATEMENTS
    + """\
            - {Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Callee.Arn}
"""
    + SAM_CALLEE
)
PERMISSION = "CalleeInvokeFromCallerRole"
INCLUDE = "{Name: AWS::Include, Parameters: {Location: 's3://bucket/snippet.yaml'}}"


def template(transform: str, resources: str = RESOURCES) -> str:
    return f"Transform: {transform}\nResources:\n{resources}"


def run(capsys: Capture, tmp_path: Path, text: str, *argv: str) -> tuple[int, str, str]:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    code = main([argv[0], str(path), *argv[1:], *PLACE])
    out, err = capsys.readouterr()
    return code, out, err


def types(fragment: dict[str, Any]) -> set[str]:
    return {r["Type"] for r in fragment["Resources"].values()}


@pytest.mark.parametrize(
    ("transform", "macro_sees_sam_output"),
    [
        ("[AutoInvokePermission, AWS::Serverless-2016-10-31]", False),
        ("[AWS::Serverless-2016-10-31, AutoInvokePermission]", True),
        ("AutoInvokePermission", False),
    ],
)
def test_event_is_what_cloudformation_sends(
    capsys: Capture, tmp_path: Path, transform: str, macro_sees_sam_output: bool
) -> None:
    code, out, err = run(capsys, tmp_path, template(transform), "event")
    assert code == 0, err
    fragment = json.loads(out)["fragment"]
    assert "Transform" not in fragment
    assert ("AWS::Serverless::Function" in types(fragment)) is not macro_sees_sam_output
    assert ("AWS::IAM::Role" in types(fragment)) is macro_sees_sam_output


@pytest.mark.parametrize(
    ("transform", "after"),
    [
        ("[AutoInvokePermission, AWS::Serverless-2016-10-31]", ["AWS::Serverless-2016-10-31"]),
        ("[AWS::Serverless-2016-10-31, AutoInvokePermission]", None),
        (
            f"[AutoInvokePermission, {INCLUDE}]",
            [{"Name": "AWS::Include", "Parameters": {"Location": "s3://bucket/snippet.yaml"}}],
        ),
    ],
)
def test_transform_prints_what_cloudformation_receives(
    capsys: Capture, tmp_path: Path, transform: str, after: list[Any] | None
) -> None:
    code, out, err = run(capsys, tmp_path, template(transform), "transform", "--format", "json")
    assert code == 0, err
    output = json.loads(out)
    assert output.get("Transform") == after
    permission = output["Resources"][PERMISSION]["Properties"]
    assert permission["Principal"] == {"Fn::GetAtt": ["CallerRole", "Arn"]}
    assert ("AWS::IAM::Role" in types(output)) is (after is None)  # SAM ran first: its role is there


@pytest.mark.parametrize("command", ["transform", "check", "expand", "graph", "event"])
@pytest.mark.parametrize(
    ("transform", "message"),
    [
        (f"[{INCLUDE}, AutoInvokePermission]", "Transform AWS::Include fetches its snippet from S3"),
        ("[Acme::Thing, AutoInvokePermission]", "Transform Acme::Thing cannot be run offline"),
        (
            "[{Parameters: {}}, AutoInvokePermission]",
            "Transform must be a transform name, a {Name, Parameters}",
        ),
    ],
)
def test_what_cannot_run_offline_is_one_line_in_every_command(
    capsys: Capture, tmp_path: Path, command: str, transform: str, message: str
) -> None:
    code, out, err = run(capsys, tmp_path, template(transform), command)
    assert code == 1
    lines = (out if command == "check" else err).splitlines()
    assert message in lines[0]
    assert out == "" or command == "check"
    assert len(err.splitlines()) == (0 if command == "check" else 1)


SNIPPET = """\
  Fn::Transform:
    Name: AutoInvokePermission
    Parameters: {Mode: enforce}
"""


@pytest.mark.parametrize("command", ["check", "transform", "event", "graph", "expand"])
def test_fn_transform_under_resources(capsys: Capture, tmp_path: Path, command: str) -> None:
    text = template("AWS::Serverless-2016-10-31", RESOURCES + SNIPPET)
    code, out, err = run(
        capsys, tmp_path, text, command, *(("--format", "json") if command in ("transform", "expand") else ())
    )
    assert code == 0, err
    if command == "event":
        event = json.loads(out)
        assert event["params"] == {"Mode": "enforce"}
        assert set(event["fragment"]) == {"Caller", "Callee"}  # the sibling resources
    elif command == "transform":
        output = json.loads(out)
        assert output["Transform"] == "AWS::Serverless-2016-10-31"  # CloudFormation runs it next
        assert "Fn::Transform" not in output["Resources"]
        assert PERMISSION in output["Resources"]
    elif command == "expand":
        output = json.loads(out)
        assert "Transform" not in output
        assert PERMISSION in output["Resources"] and "CallerRole" in output["Resources"]
    elif command == "check":
        assert out.endswith("passes enforce mode (no findings)\n")
    else:
        assert "Caller" in out and "Callee" in out


LANGUAGE_EXTENSIONS = """\
Transform: [AWS::LanguageExtensions, AutoInvokePermission]
Parameters:
  Names: {Type: CommaDelimitedList, Default: 'A,B'}
Resources:
  Caller:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt CallerRole.Arn, Runtime: python3.13, Handler: a.b, Code: {ZipFile: x}}
  CallerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt CalleeA.Arn}]
  Fn::ForEach::Callees:
    - N
    - !Ref Names
    - Callee${N}:
        Type: AWS::Lambda::Function
        Properties: {Role: !GetAtt CallerRole.Arn, Runtime: python3.13, Handler: a.b, Code: {ZipFile: x}}
"""


@pytest.mark.parametrize(
    ("argv", "callees"),
    [((), {"CalleeA", "CalleeB"}), (("--parameter", "Names=A,C,D"), {"CalleeA", "CalleeC", "CalleeD"})],
)
def test_language_extensions_run_first(
    capsys: Capture, tmp_path: Path, argv: tuple[str, ...], callees: set[str]
) -> None:
    code, out, err = run(capsys, tmp_path, LANGUAGE_EXTENSIONS, "event", *argv)
    assert code == 0, err
    fragment = json.loads(out)["fragment"]
    assert {r for r in fragment["Resources"] if r.startswith("Callee")} == callees
    assert fragment["Parameters"]["Names"]["Default"] == "A,B"  # as written
    code, out, err = run(capsys, tmp_path, LANGUAGE_EXTENSIONS, "transform", "--format", "json", *argv)
    assert code == 0, err
    assert "CalleeAInvokeFromCallerRole" in json.loads(out)["Resources"]


def test_language_extensions_left_unresolved_are_refused(capsys: Capture, tmp_path: Path) -> None:
    text = LANGUAGE_EXTENSIONS.replace(
        "Code: {ZipFile: x}}\n  CallerRole", "Code: {ZipFile: !ToJsonString {a: b}}}\n  CallerRole"
    )
    code, out, err = run(capsys, tmp_path, text, "event")
    assert (code, out) == (1, "")
    assert err.endswith("AWS::LanguageExtensions: Fn::ToJsonString cannot be resolved offline\n")


# ------------------------------------------------------------------ the offline toolbox
@pytest.mark.parametrize(
    ("resources", "globals_", "expected"),
    [
        (
            {"F": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./src/"}}},
            None,
            {"F": {"CodeUri": "s3://placeholder-bucket/src"}},
        ),
        (
            {"F": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "s3://b/k"}}},
            None,
            {"F": {"CodeUri": "s3://b/k"}},
        ),
        (
            {"F": {"Type": "AWS::Serverless::Function", "Properties": {}}},
            None,
            {"F": {"CodeUri": "s3://placeholder-bucket/code.zip"}},
        ),
        (
            {"F": {"Type": "AWS::Serverless::Function", "Properties": {}}},
            {"Function": {"CodeUri": "g/"}},
            {"F": {}},
        ),
        (
            {"F": {"Type": "AWS::Serverless::Function", "Properties": {"InlineCode": "x"}}},
            None,
            {"F": {"InlineCode": "x"}},
        ),
        (
            {"F": {"Type": "AWS::Serverless::Function", "Properties": {"PackageType": "Image"}}},
            None,
            {
                "F": {
                    "PackageType": "Image",
                    "ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/repository:latest",
                }
            },
        ),
        (
            {"L": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "layer"}}},
            None,
            {"L": {"ContentUri": "s3://placeholder-bucket/layer"}},
        ),
        (
            {"A": {"Type": "AWS::Serverless::Application", "Properties": {"Location": "nested/t.yaml"}}},
            None,
            {"A": {"Location": "https://placeholder-bucket.s3.amazonaws.com/nested/t.yaml"}},
        ),
    ],
)
def test_packaged_is_what_sam_package_leaves(
    resources: dict[str, Any], globals_: dict[str, Any] | None, expected: dict[str, dict[str, str]]
) -> None:
    source: dict[str, Any] = {"Resources": resources, **({"Globals": globals_} if globals_ else {})}
    before = json.dumps(source)
    out, _ = packaged(source, placeholder_location)
    assert json.dumps(source) == before  # a copy
    assert {rid: r["Properties"] for rid, r in out["Resources"].items()} == expected


def test_macro_event_shape() -> None:
    event = macro_event({"Resources": {}}, region="eu-west-1", account_id="111122223333", request_id="r")
    assert event == {
        "region": "eu-west-1",
        "accountId": "111122223333",
        "fragment": {"Resources": {}},
        "transformId": "111122223333::AutoInvokePermission",
        "params": {},
        "requestId": "r",
        "templateParameterValues": {},
    }


def test_sar_applications_expand_offline_with_a_placeholder(capsys: Capture, tmp_path: Path) -> None:
    app = "  App:\n    Type: AWS::Serverless::Application\n    Properties:\n"
    app += "      Location:\n"
    app += "        ApplicationId: arn:aws:serverlessrepo:us-east-1:123456789012:applications/x\n"
    app += "        SemanticVersion: 1.0.0\n"
    code, out, err = run(
        capsys,
        tmp_path,
        template("[AWS::Serverless-2016-10-31, AutoInvokePermission]", RESOURCES + app),
        "expand",
        "--format",
        "json",
    )
    assert code == 0, err
    stack = json.loads(out)["Resources"]["App"]
    assert stack["Type"] == "AWS::CloudFormation::Stack"
    assert stack["Properties"]["TemplateURL"].startswith("https://awsserverlessrepo-changesets")
