"""`check --together` and `graph --together` on the samples in samples/cross-stack/, against goldens.

Regenerate a golden by running the command the test names from the repository root, then review
the diff.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from auto_invoke_permission.cli.main import main
from repository import REPO

SAMPLES = REPO / "samples" / "cross-stack"
PAIR = ["--account", "callee=111111111111", "--account", "caller=222222222222"]
TRIPLE = [
    "--account",
    "checkout=222222222222",
    "--account",
    "orders=111111111111",
    "--account",
    "inventory=333333333333",
    "--stack-name",
    "orders=orders-prod",
]
GOLDENS: dict[str, tuple[list[str], int]] = {
    "pair/expected.txt": (["check", "--together", "samples/cross-stack/pair", *PAIR], 1),
    "triple/expected.txt": (["check", "--together", "samples/cross-stack/triple", *TRIPLE], 1),
    "triple/expected.mmd": (["graph", "--together", "samples/cross-stack/triple", *TRIPLE], 0),
}


@pytest.mark.parametrize("golden", sorted(GOLDENS))
def test_together_matches_its_golden(
    golden: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    argv, exit_code = GOLDENS[golden]
    assert main(argv) == exit_code
    assert capsys.readouterr().out == (SAMPLES / golden).read_text(encoding="utf-8")


def _pair_copy(tmp_path: Path) -> Path:
    target = tmp_path / "pair"
    shutil.copytree(SAMPLES / "pair", target)
    return target


def _json_edges(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, object]]]:
    code = main(list(argv))
    edges: list[dict[str, object]] = json.loads(capsys.readouterr().out)["edges"]
    return code, edges


def test_adding_the_missing_item_allows_the_import_value_grant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pair = _pair_copy(tmp_path)
    code, edges = _json_edges(capsys, "check", "--together", str(pair), *PAIR, "--format", "json")
    assert code == 1
    (edge,) = edges
    assert (edge["status"], edge["via"], edge["missingItem"]) == (
        "missing",
        "Fn::ImportValue callee-OrdersArn",
        "'222222222222'",
    )
    callee = pair / "callee.yaml"
    text = callee.read_text(encoding="utf-8").replace(
        "    Type: AWS::Serverless::Function\n",
        "    Type: AWS::Serverless::Function\n"
        "    Metadata: {AutoInvokePermission: {AllowCallers: ['222222222222']}}\n",
    )
    callee.write_text(text, encoding="utf-8")
    code, edges = _json_edges(capsys, "check", "--together", str(pair), *PAIR, "--format", "json")
    assert code == 0
    assert [(e["status"], e["missingItem"]) for e in edges] == [("allowed", None)]


@pytest.mark.parametrize(
    ("item", "status"),
    [
        ("'222222222222'", "allowed"),
        ("'arn:aws:iam::222222222222:root'", "allowed"),
        ("{OrganizationId: o-a1b2c3d4e5}", "allowed"),
        ("'999999999999'", "missing"),
        ("{Principal: '222222222222', Qualifiers: [live]}", "missing"),  # another form
        ("{Principal: '222222222222', FunctionUrl: true}", "missing"),  # URL calls only
    ],
)
def test_which_items_allow_the_caller(
    item: str, status: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pair = _pair_copy(tmp_path)
    callee = pair / "callee.yaml"
    data = yaml.safe_load(
        callee.read_text(encoding="utf-8")
        .replace("!GetAtt Orders.Arn", "{Fn::GetAtt: [Orders, Arn]}")
        .replace("!Sub '${AWS::StackName}-OrdersArn'", "{Fn::Sub: '${AWS::StackName}-OrdersArn'}")
    )
    data["Resources"]["Orders"]["Properties"]["AutoPublishAlias"] = "live"
    data["Resources"]["Orders"]["Metadata"] = {
        "AutoInvokePermission": {"AllowCallers": [yaml.safe_load(item)]}
    }
    callee.write_text(json.dumps(data), encoding="utf-8")
    _, edges = _json_edges(capsys, "check", "--together", str(pair), *PAIR, "--format", "json")
    assert [e["status"] for e in edges] == [status]


def test_bad_account_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--together", str(SAMPLES / "pair"), "--account", "callee=12"])
    assert code == 2
    assert "not a 12-digit account ID" in capsys.readouterr().err


def _invoke_policy(resource: str) -> dict[str, object]:
    return {"Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": resource}]}


@pytest.mark.parametrize(
    ("attachment", "grant"),
    [
        ("policy", "Grant.Properties.PolicyDocument.Statement[0].Resource"),
        ("inline", "WorkerRole.Properties.Policies[0].PolicyDocument.Statement[0].Resource"),
    ],
)
def test_the_callers_of_a_grant_are_the_roles_the_policy_sources_attach_it_to(
    attachment: str, grant: str
) -> None:
    from auto_invoke_permission.diagnose import together

    document = _invoke_policy("arn:aws:lambda:us-east-1:111111111111:function:orders")
    role: dict[str, object] = {"RoleName": "worker"}
    resources: dict[str, object] = {
        "Worker": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["WorkerRole", "Arn"]}},
        },
        "WorkerRole": {"Type": "AWS::IAM::Role", "Properties": role},
    }
    if attachment == "policy":
        properties = {"PolicyName": "p", "Roles": [{"Ref": "WorkerRole"}], "PolicyDocument": document}
        resources["Grant"] = {"Type": "AWS::IAM::Policy", "Properties": properties}
    else:
        role["Policies"] = [{"PolicyName": "p", "PolicyDocument": document}]
    callee = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"FunctionName": "orders", "Role": "arn:aws:iam::1:role/r"},
    }
    stacks = [
        together.build_stack(
            "caller.yaml", {"Resources": resources}, "caller", "222222222222", "us-east-1", {}
        ),
        together.build_stack(
            "callee.yaml", {"Resources": {"Orders": callee}}, "callee", "111111111111", "us-east-1", {}
        ),
    ]
    (edge,) = together.analyze(stacks, "us-east-1")
    assert (edge.callers, edge.role_arn, edge.grant) == (
        ("Worker",),
        "arn:aws:iam::222222222222:role/worker",
        grant,
    )
    assert edge.status() == "missing"
