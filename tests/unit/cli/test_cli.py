"""`autoinvoke`: each command's output shape and exit codes (0 success, 1 template fails, 2 usage/parse)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from auto_invoke_permission import __version__
from auto_invoke_permission.offline.template_io import load_template
from cli_support import Capture, clear_aws_settings, run_cli
from fresh_python import run_python
from snippets import CLEAN, PLACE, WILDCARD

PERMISSION_ID = "ProcessorFunctionInvokeFromRequestFunctionRole"


@pytest.fixture(autouse=True)
def no_aws_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_aws_settings(monkeypatch)


def write(tmp_path: Path, text: str, name: str = "template.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


# ------------------------------------------------------------------ transform
def test_transform_prints_the_macro_output_as_yaml(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN)
    code, out, err = run_cli(
        capsys, "transform", path, "--region", "eu-west-1", "--account-id", "111122223333"
    )
    assert code == 0
    assert err == ""  # nothing defaulted, no finding
    assert "Principal: !GetAtt" in out  # short-form tags
    output = load_template(write(tmp_path, out, "out.yaml"))
    permission = output["Resources"][PERMISSION_ID]
    assert permission["Type"] == "AWS::Lambda::Permission"
    assert permission["Properties"]["FunctionName"] == {"Fn::GetAtt": ["ProcessorFunction", "Arn"]}
    assert permission["Properties"]["Principal"] == {"Fn::GetAtt": ["RequestFunctionRole", "Arn"]}
    # CloudFormation removes the macro's own entry and runs the rest next
    assert output["Transform"] == ["AWS::Serverless-2016-10-31"]
    assert list(output)[:2] == ["AWSTemplateFormatVersion", "Transform"]
    assert output["Metadata"]["AutoInvokePermission"]["Report"]["PermissionsAdded"] == 1


def test_transform_json_to_a_file(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN.replace("Transform: [AutoInvokePermission, AWS::Serverless-2016-10-31]", ""))
    out_path = tmp_path / "out.json"
    code, out, err = run_cli(capsys, "transform", path, "--format", "json", "-o", str(out_path))
    assert code == 0
    assert out == ""
    data = json.loads(out_path.read_text())
    assert PERMISSION_ID in data["Resources"]
    assert "Transform" not in data
    # defaults said once; the missing Transform entry said too
    assert err.count("using the default region us-east-1") == 1
    assert "account 123456789012" in err
    assert "does not list AutoInvokePermission in its Transform" in err


def test_transform_output_format_follows_the_input(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, json.dumps(load_template(write(tmp_path, CLEAN))), "template.json")
    code, out, _ = run_cli(capsys, "transform", path)
    assert code == 0
    assert PERMISSION_ID in json.loads(out)["Resources"]


def test_transform_findings_go_to_stderr_with_lines(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, WILDCARD)
    code, out, err = run_cli(capsys, "transform", path, *PLACE)
    assert code == 0
    assert PERMISSION_ID in out
    line = one_line(err)
    assert line.startswith(
        f"{path}:23:15: AIP110 warning RequestFunction.Properties.Policies[0].Statement[1]"
    )


def test_transform_enforce_refusal_exits_1(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, WILDCARD)
    code, out, err = run_cli(capsys, "transform", path, "--mode", "enforce", "--account-id", "123456789012")
    assert code == 1
    assert out == ""
    assert err.splitlines()[-1].startswith("AutoInvokePermission: 1 problem: 1) AIP110")


def test_transform_mode_from_metadata(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, WILDCARD + "Metadata:\n  AutoInvokePermission: {Mode: enforce}\n")
    assert run_cli(capsys, "transform", path)[0] == 1
    # --mode overrides the template
    assert run_cli(capsys, "transform", path, "--mode", "audit")[0] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # a malformed template: the core's failure
        ("Resources: [a, b]\n", "Resources must be a mapping"),
        # an invalid option in the template is the template's problem
        (CLEAN + "Metadata:\n  AutoInvokePermission: {Mode: loud}\n", "option Mode has value 'loud'"),
    ],
)
def test_transform_failures_exit_1(tmp_path: Path, capsys: Capture, text: str, message: str) -> None:
    code, out, err = run_cli(capsys, "transform", write(tmp_path, text))
    assert code == 1
    assert out == ""
    last = err.splitlines()[-1]
    assert last.startswith("AutoInvokePermission:")
    assert message in last


def test_transform_malformed_transform_key_exits_1(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN.replace("Transform: [AutoInvokePermission,", "Transform: [{Nome: X},"))
    code, out, err = run_cli(capsys, "transform", path, *PLACE)
    assert code == 1
    assert out == ""
    assert one_line(err) == (
        f"{path}: Transform must be a transform name, a {{Name, Parameters}} mapping, or a list of them"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "the following arguments are required: COMMAND"),
        (("transform",), "the following arguments are required: TEMPLATE"),
        (("transform", "T", "--mode", "loud"), "argument --mode: invalid choice: 'loud'"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        (("transform", "T", "--parameter", "novalue"), "--parameter 'novalue' is not KEY=VALUE"),
        (("transform", "T", "--account-id", "12345"), "'12345' is not an AWS account ID"),
        (("transform", "T", "--region", "Mars"), "'Mars' is not an AWS region name"),
        (("graph", "T", "--format", "svg"), "invalid choice: 'svg'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: Capture, argv: tuple[str, ...], message: str
) -> None:
    path = write(tmp_path, CLEAN)
    code, out, err = run_cli(capsys, *[path if a == "T" else a for a in argv])
    assert code == 2
    assert out == ""
    assert message in one_line(err)


def test_parse_errors_exit_2_with_one_line(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, "Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n")
    for command in ("transform", "check", "expand", "graph", "event"):
        code, out, err = run_cli(capsys, command, path, *PLACE)
        assert code == 2, command
        assert one_line(err) == f"{path}:4: duplicate key 'A' (first at line 2)"
        assert out == "", command
    code, _, err = run_cli(
        capsys, "transform", str(tmp_path / "missing.yaml"), "--account-id", "123456789012"
    )
    assert code == 2
    assert "missing.yaml: cannot read the template" in err


def test_help_and_version(capsys: Capture) -> None:
    code, out, _ = run_cli(capsys, "transform", "--help")
    assert code == 0
    assert "other entries (such as AWS::Serverless-2016-10-31 listed after it) stay" in " ".join(out.split())
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0
    assert out == f"autoinvoke {__version__}\n"
    # one place: the installed distribution's version is read from __version__ (pyproject dynamic)
    assert importlib.metadata.version("autoinvoke") == __version__


# ------------------------------------------------------------------ check
def test_check_clean_template_exits_0(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN)
    code, out, _ = run_cli(capsys, "check", path)
    assert code == 0
    assert out == f"{path}: passes enforce mode (no findings)\n"


def test_check_blocking_finding_exits_1(tmp_path: Path, capsys: Capture) -> None:
    # the template asks for audit mode; check analyzes in enforce mode all the same
    path = write(tmp_path, WILDCARD + "Metadata:\n  AutoInvokePermission: {Mode: audit}\n")
    code, out, _ = run_cli(capsys, "check", path)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{path}:23:15: AIP110 warning [blocks enforce] ")
    assert lines[-1] == f"{path}: fails enforce mode: 1 of 1 finding blocks"


def test_check_several_templates_takes_the_worst_outcome(tmp_path: Path, capsys: Capture) -> None:
    clean = write(tmp_path, CLEAN, "clean.yaml")
    wildcard = write(tmp_path, WILDCARD, "wildcard.yaml")
    broken = write(tmp_path, "Resources: [\n", "broken.yaml")
    assert run_cli(capsys, "check", clean, wildcard)[0] == 1
    code, out, err = run_cli(capsys, "check", clean, wildcard, broken)
    assert code == 2
    assert f"{clean}: passes" in out and f"{wildcard}: fails enforce mode: 1 of 1" in out
    assert err.splitlines()[-1].startswith(f"{broken}:2:1: ")


def test_check_malformed_template_exits_1(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, "Resources:\n  A: 5\n")
    code, out, _ = run_cli(capsys, "check", path)
    assert code == 1
    assert f"{path}: Resources.A must be a mapping" in out
    assert out.splitlines()[-1] == f"{path}: cannot be analyzed"


def test_check_json_report(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, WILDCARD)
    code, out, _ = run_cli(capsys, "check", path, "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["passed"] is False
    (template,) = report["templates"]
    assert template["path"] == path
    assert template["blocking"] == 1
    (finding,) = template["findings"]
    assert finding["code"] == "AIP110"
    assert finding["line"] == 23
    assert finding["blocksEnforce"] is True
    assert {"severity", "resource", "path", "message", "fix"} <= set(finding)


# ------------------------------------------------------------------ expand
@pytest.mark.parametrize(
    "order",
    [
        "[AutoInvokePermission, AWS::Serverless-2016-10-31]",
        "[AWS::Serverless-2016-10-31, AutoInvokePermission]",
    ],
)
def test_expand_gives_plain_cloudformation(tmp_path: Path, capsys: Capture, order: str) -> None:
    path = write(tmp_path, CLEAN.replace("[AutoInvokePermission, AWS::Serverless-2016-10-31]", order))
    code, out, err = run_cli(capsys, "expand", path, "--format", "json", "--account-id", "123456789012")
    assert code == 0, err
    template = json.loads(out)
    assert "Transform" not in template
    types = [r["Type"] for r in template["Resources"].values()]
    assert not [t for t in types if t.startswith("AWS::Serverless::")]
    permissions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"]
    invoke = [p for p in permissions if p["Properties"].get("Principal") != "apigateway.amazonaws.com"]
    assert [p["Properties"]["Principal"] for p in invoke] == [{"Fn::GetAtt": ["RequestFunctionRole", "Arn"]}]
    function = template["Resources"]["RequestFunction"]["Properties"]
    assert function["Code"] == {"S3Bucket": "placeholder-bucket", "S3Key": "src"}
    assert "Globals.Function.CodeUri" in err and "s3://placeholder-bucket/<path>" in err


def test_expand_is_offline_whatever_the_aws_settings(
    tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A profile that does not exist would fail boto3, which the SAM translator asks for the region.
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    text = CLEAN.replace("      Policies:\n", "      Policies:\n        - AWSLambdaRole\n", 1)
    path = write(tmp_path, text)
    code, out, err = run_cli(capsys, "expand", path, "--format", "json", "--region", "cn-north-1", *PLACE[2:])
    assert code == 0, err
    role = json.loads(out)["Resources"]["RequestFunctionRole"]["Properties"]
    # the offline managed-policy table, in the region's partition
    assert "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaRole" in role["ManagedPolicyArns"]
    assert os.environ["AWS_PROFILE"] == "no-such-profile"  # the user's settings are back
    assert "AWS_DEFAULT_REGION" not in os.environ


def test_expand_yaml_uses_the_macro_name_given(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN.replace("[AutoInvokePermission,", "[OrgInvokeGrants,"))
    code, out, _ = run_cli(
        capsys, "expand", path, "--macro-name", "OrgInvokeGrants", "--account-id", "123456789012"
    )
    assert code == 0
    assert f"{PERMISSION_ID}:" in out
    assert "!GetAtt" in out


def test_expand_other_transforms_exit_1_naming_them(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN.replace("[AutoInvokePermission,", "[Acme::Thing, AutoInvokePermission,"))
    code, out, err = run_cli(capsys, "expand", path, *PLACE)
    assert code == 1
    assert out == ""
    assert "Transform Acme::Thing cannot be run offline" in one_line(err)


def test_expand_reports_sam_errors(tmp_path: Path, capsys: Capture) -> None:
    text = "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n"
    text += "    Properties: {Runtime: python3.13, Handler: a.b, CodeUri: src/, Events: {E: {Type: Nope}}}\n"
    code, out, err = run_cli(capsys, "expand", write(tmp_path, text), "--account-id", "123456789012")
    assert code == 1
    assert out == ""
    assert "AWS::Serverless-2016-10-31: Invalid Serverless Application Specification document" in err
    assert "Resource with id [F] is invalid" in err


# ------------------------------------------------------------------ graph
def test_graph_formats(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, WILDCARD)
    args = ("--account-id", "123456789012")
    code, out, _ = run_cli(capsys, "graph", path, "--format", "text", *args)
    assert code == 0
    assert out.splitlines() == [
        "RequestFunction --(wildcard)--> *",
        "RequestFunction --(added)--> ProcessorFunction",
    ]
    code, out, _ = run_cli(capsys, "graph", path, *args)
    assert out.splitlines() == [
        "flowchart LR",
        '  n0["RequestFunction"]',
        '  n1["*"]',
        '  n2["ProcessorFunction"]',
        '  n0 -.->|"wildcard"| n1',
        '  n0 -->|"added"| n2',
    ]
    code, out, _ = run_cli(capsys, "graph", path, "--format", "dot", *args)
    assert out.startswith("digraph autoinvoke {\n")
    assert '  "RequestFunction" -> "ProcessorFunction" [label="added"];' in out.splitlines()
    assert '  "RequestFunction" -> "*" [label="wildcard", style=dashed];' in out.splitlines()


def test_graph_audit_mode_plans(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN)
    code, out, _ = run_cli(capsys, "graph", path, "--format", "text", "--mode", "audit")
    assert code == 0
    assert out == "RequestFunction --(planned)--> ProcessorFunction\n"


def test_graph_without_edges(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, "Resources:\n  Q: {Type: AWS::SQS::Queue}\n")
    code, out, err = run_cli(capsys, "graph", path, "--account-id", "123456789012")
    assert code == 0
    assert out == "flowchart LR\n"
    assert "no function of the template has an invoke grant" in err


# ------------------------------------------------------------------ event
def test_event_is_the_macro_event(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN)
    code, out, err = run_cli(
        capsys,
        "event",
        path,
        "--region",
        "eu-central-1",
        "--account-id",
        "111122223333",
        "--parameter",
        "Stage=dev",
    )
    assert code == 0
    assert err == ""
    event = json.loads(out)
    assert list(event) == [
        "region",
        "accountId",
        "fragment",
        "transformId",
        "params",
        "requestId",
        "templateParameterValues",
    ]
    assert event["region"] == "eu-central-1"
    assert event["accountId"] == "111122223333"
    assert event["transformId"] == "111122223333::AutoInvokePermission"
    assert event["requestId"] == "autoinvoke-cli-event"
    assert event["params"] == {}
    assert "Transform" not in event["fragment"]
    assert event["fragment"]["Resources"] == load_template(path)["Resources"]
    # Defaults, overridden by --parameter; list types as lists; no value: left out
    assert event["templateParameterValues"] == {"Stage": "dev", "Subnets": ["a", "b"]}


def test_event_region_from_the_environment(
    tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    path = write(tmp_path, CLEAN)
    code, out, err = run_cli(capsys, "event", path, "--parameter", "Unknown=1")
    assert code == 0
    assert json.loads(out)["region"] == "ap-southeast-2"
    assert "using the default account 123456789012" in err  # the region came from the environment
    assert "default region" not in err
    assert "parameter Unknown is not declared in Parameters; ignored" in err


# ------------------------------------------------------------------ process
def run_module(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auto_invoke_permission.cli.main", *argv],
        capture_output=True,
        text=True,
        check=False,
    )


def test_runs_as_a_module(tmp_path: Path) -> None:
    path = write(tmp_path, WILDCARD)
    assert run_module("check", path, "--account-id", "123456789012").returncode == 1
    assert run_module("check", write(tmp_path, CLEAN, "clean.yaml")).returncode == 0
    assert run_module("check").returncode == 2


def test_no_aws_sdk_outside_expand(tmp_path: Path) -> None:
    # Only the SAM translator (expand) brings boto3 in; no AWS call is ever made.
    path = write(tmp_path, WILDCARD)
    script = (
        "import sys\n"
        "from auto_invoke_permission.cli.main import main\n"
        f"for command in ('transform', 'check', 'graph', 'event'):\n"
        f"    main([command, {path!r}, '--account-id', '123456789012'])\n"
        "print('boto3' in sys.modules or 'botocore' in sys.modules)\n"
    )
    assert run_python(script).splitlines()[-1] == "False"


def test_the_lambda_path_never_imports_the_cli() -> None:
    script = (
        "import sys\n"
        "import auto_invoke_permission.handler\n"
        "print(sorted(m for m in sys.modules if m.startswith('auto_invoke_permission.cli')))\n"
    )
    assert run_python(script).strip() == "[]"
