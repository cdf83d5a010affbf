"""`autoinvoke explain --live` against botocore's Stubber: the exact read-only calls, no network."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from auto_invoke_permission.cli import main as cli
from auto_invoke_permission.cli.template_io import read_template
from auto_invoke_permission.diagnose import live
from auto_invoke_permission.diagnose.denial import Denial, parse_denial
from auto_invoke_permission.diagnose.explain import CaseKind, Diagnosis, analyze_template, diagnose
from auto_invoke_permission.statements import covers_call
from botocore.stub import Stubber
from repository import REPO, SAMPLES

SEED_TEMPLATE = str(SAMPLES / "seed" / "template.yaml")
ACCOUNT = "123456789012"
ROLE = "RequestFunctionRole-AbC"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:processor"
MANAGED_ARN = f"arn:aws:iam::{ACCOUNT}:policy/Shared"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/Boundary"


def message(
    function: str = "processor",
    reason: str = "because no identity-based policy allows the lambda:InvokeFunction action",
) -> str:
    return (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/RequestFunction is not authorized to perform: "
        f"lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:{ACCOUNT}:function:{function} {reason}"
    )


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(resource: Any, action: Any = "lambda:InvokeFunction", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


class Stubs:
    def __init__(self) -> None:
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        self.clients = live.Clients(session.client("lambda"), session.client("iam"))
        self.lambda_ = Stubber(self.clients.lambda_)
        self.iam = Stubber(self.clients.iam)

    def get_policy(self, params: dict[str, Any], policy: str | None) -> None:
        if policy is None:
            self.lambda_.add_client_error(
                "get_policy",
                "ResourceNotFoundException",
                "No policy is associated",
                404,
                expected_params=params,
            )
        else:
            self.lambda_.add_response("get_policy", {"Policy": policy, "RevisionId": "r1"}, params)

    def role(self, boundary: str | None = None) -> None:
        role: dict[str, Any] = {
            "Path": "/",
            "RoleName": ROLE,
            "RoleId": "AROAEXAMPLEID0000000",
            "Arn": ROLE_ARN,
            "CreateDate": "2026-12-01T00:00:00Z",
        }
        if boundary:
            role["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": boundary,
            }
        self.iam.add_response("get_role", {"Role": role}, {"RoleName": ROLE})

    def managed(self, arn: str, doc: str) -> None:
        self.iam.add_response(
            "get_policy",
            {"Policy": {"PolicyName": arn.rsplit("/", 1)[1], "Arn": arn, "DefaultVersionId": "v2"}},
            {"PolicyArn": arn},
        )
        self.iam.add_response(
            "get_policy_version",
            {"PolicyVersion": {"Document": doc, "VersionId": "v2", "IsDefaultVersion": True}},
            {"PolicyArn": arn, "VersionId": "v2"},
        )

    def inline(self, policies: dict[str, str]) -> None:
        self.iam.add_response(
            "list_role_policies", {"PolicyNames": list(policies), "IsTruncated": False}, {"RoleName": ROLE}
        )
        for name, doc in policies.items():
            self.iam.add_response(
                "get_role_policy",
                {"RoleName": ROLE, "PolicyName": name, "PolicyDocument": doc},
                {"RoleName": ROLE, "PolicyName": name},
            )

    def attached(self, arns: list[str]) -> None:
        self.iam.add_response(
            "list_attached_role_policies",
            {
                "AttachedPolicies": [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in arns],
                "IsTruncated": False,
            },
            {"RoleName": ROLE},
        )

    def simulate(self, resource: str, decision: str) -> None:
        self.iam.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {
                        "EvalActionName": "lambda:InvokeFunction",
                        "EvalResourceName": resource,
                        "EvalDecision": decision,
                    }
                ],
                "IsTruncated": False,
            },
            {
                "PolicySourceArn": ROLE_ARN,
                "ActionNames": ["lambda:InvokeFunction"],
                "ResourceArns": [resource],
            },
        )

    @contextmanager
    def active(self) -> Iterator[live.Clients]:
        with self.lambda_, self.iam:
            yield self.clients
        self.lambda_.assert_no_pending_responses()
        self.iam.assert_no_pending_responses()


def run_live(denial: Denial, stubs: Stubs, templates: list[str]) -> Diagnosis:
    analyzed = [analyze_template(read_template(t), denial, {}) for t in templates]
    diagnosis = diagnose(denial, analyzed)
    with stubs.active() as clients:
        live.apply(diagnosis, live.read_deployed(denial, clients), clients)
    return diagnosis


def seed_deployed(stubs: Stubs, qualifier: str | None) -> None:
    """The seed as deployed without the macro: the inline grant on the unqualified ARN, no resource policy."""
    params: dict[str, Any] = {"FunctionName": FUNCTION_ARN}
    if qualifier:
        params["Qualifier"] = qualifier
    stubs.get_policy(params, None)
    stubs.role()
    stubs.inline({"RequestFunctionRolePolicy0": document(allow(FUNCTION_ARN))})
    stubs.attached([])


def test_live_qualified_call_reproduces_the_template_diagnosis() -> None:
    stubs = Stubs()
    seed_deployed(stubs, "live")
    stubs.simulate(f"{FUNCTION_ARN}:live", "implicitDeny")
    diagnosis = run_live(parse_denial(message("processor:live")), stubs, [SEED_TEMPLATE])
    assert diagnosis.cases[0].kind is CaseKind.QUALIFIED_CALL
    assert diagnosis.cases[0].path == "inline policy RequestFunctionRolePolicy0 Statement[0]"
    assert diagnosis.cases[0].template == live.DEPLOYED
    assert diagnosis.live is not None
    assert (diagnosis.live["ours"], diagnosis.live["simulator"]) == ("denied", "implicitDeny")
    assert "IAM policy simulator (identity policies and boundary): implicitDeny" in diagnosis.live["lines"]
    # the template's own reading of the same case follows, with the template path and fix
    assert [(c.kind, c.template) for c in diagnosis.cases[:2]] == [
        (CaseKind.QUALIFIED_CALL, live.DEPLOYED),
        (CaseKind.QUALIFIED_CALL, SEED_TEMPLATE),
    ]
    assert diagnosis.cases[1].fix.startswith("Add `!Sub ${ProcessorFunction.Arn}:live`")


def test_live_template_grant_not_deployed() -> None:
    stubs = Stubs()
    stubs.get_policy({"FunctionName": FUNCTION_ARN}, None)
    stubs.role()
    stubs.inline({})
    stubs.attached([])
    stubs.simulate(FUNCTION_ARN, "implicitDeny")
    diagnosis = run_live(parse_denial(message()), stubs, [SEED_TEMPLATE])
    assert [c.kind for c in diagnosis.cases] == [
        CaseKind.NO_GRANT,
        CaseKind.DEPLOYED_DIFFERS,
        CaseKind.NAME_MISMATCH,
    ]
    assert diagnosis.cases[1].path == "RequestFunction.Properties.Policies[0].Statement[0]"


def test_live_unqualified_call_allowed_by_both() -> None:
    stubs = Stubs()
    seed_deployed(stubs, None)
    stubs.simulate(FUNCTION_ARN, "allowed")
    diagnosis = run_live(parse_denial(message()), stubs, [SEED_TEMPLATE])
    assert diagnosis.cases[0].kind is CaseKind.GRANT_MATCHES
    assert diagnosis.live is not None and (diagnosis.live["ours"], diagnosis.live["simulator"]) == (
        "allowed",
        "allowed",
    )


def test_live_resource_policy_alone_suffices_in_one_account() -> None:
    stubs = Stubs()
    statement = {
        "Sid": "ProcessorFunctionInvokeFromRequestFunctionRole",
        "Effect": "Allow",
        "Principal": {"AWS": ROLE_ARN},
        "Action": "lambda:InvokeFunction",
        "Resource": FUNCTION_ARN,
    }
    stubs.get_policy({"FunctionName": FUNCTION_ARN}, document(statement))
    stubs.role()
    stubs.inline({})
    stubs.attached([])
    stubs.simulate(FUNCTION_ARN, "implicitDeny")
    diagnosis = run_live(parse_denial(message()), stubs, [])
    assert diagnosis.live is not None and diagnosis.live["ours"] == "allowed"
    assert [c.kind for c in diagnosis.cases] == [CaseKind.GRANT_MATCHES]
    assert any(
        "allows by resource policy Statement[0] (Sid ProcessorFunctionInvokeFromRequestFunctionRole)" in line
        for line in diagnosis.live["lines"]
    )


def test_live_boundary_and_managed_policies() -> None:
    stubs = Stubs()
    stubs.get_policy({"FunctionName": FUNCTION_ARN}, None)
    stubs.role(boundary=BOUNDARY_ARN)
    stubs.managed(BOUNDARY_ARN, document(allow("*", action="s3:*")))
    stubs.inline({})
    stubs.attached([MANAGED_ARN])
    stubs.managed(
        MANAGED_ARN,
        document(allow("arn:aws:lambda:us-east-1:123456789012:function:*", action="lambda:Invoke*")),
    )
    stubs.simulate(FUNCTION_ARN, "implicitDeny")
    text = message(reason="because no permissions boundary allows the lambda:InvokeFunction action")
    diagnosis = run_live(parse_denial(text), stubs, [])
    assert diagnosis.cases[0].kind is CaseKind.BOUNDARY
    assert diagnosis.cases[0].path == f"boundary {BOUNDARY_ARN}"
    assert diagnosis.live is not None and diagnosis.live["policies"] == [f"managed policy {MANAGED_ARN}"]


def test_live_explicit_deny_and_condition() -> None:
    stubs = Stubs()
    stubs.get_policy({"FunctionName": FUNCTION_ARN}, None)
    stubs.role()
    stubs.inline(
        {
            "Guard": document(
                {"Sid": "NoInvoke", "Effect": "Deny", "Action": "lambda:*", "Resource": "*"},
                allow(FUNCTION_ARN, Condition={"StringEquals": {"aws:RequestTag/x": "y"}}),
            )
        }
    )
    stubs.attached([])
    stubs.simulate(FUNCTION_ARN, "explicitDeny")
    diagnosis = run_live(
        parse_denial(message(reason="with an explicit deny in an identity-based policy")), stubs, []
    )
    assert [(c.kind, c.path) for c in diagnosis.cases] == [
        (CaseKind.DENY, "inline policy Guard Statement[0] (Sid NoInvoke)"),
        (CaseKind.CONDITIONAL, "inline policy Guard Statement[1]"),
    ]


def test_live_access_denied_on_the_diagnostic_calls_is_one_line_each() -> None:
    stubs = Stubs()
    stubs.lambda_.add_client_error(
        "get_policy",
        "AccessDeniedException",
        "User ... is not authorized to perform: lambda:GetPolicy",
        403,
        expected_params={"FunctionName": FUNCTION_ARN},
    )
    stubs.iam.add_client_error(
        "get_role", "AccessDenied", "not authorized", 403, expected_params={"RoleName": ROLE}
    )
    stubs.iam.add_client_error(
        "list_role_policies", "AccessDenied", "not authorized", 403, expected_params={"RoleName": ROLE}
    )
    stubs.iam.add_client_error(
        "list_attached_role_policies",
        "AccessDenied",
        "not authorized",
        403,
        expected_params={"RoleName": ROLE},
    )
    diagnosis = run_live(parse_denial(message()), stubs, [])
    assert diagnosis.live is not None
    assert diagnosis.live["errors"] == [
        "not allowed to call lambda:GetPolicy (add it to the caller of --live): AccessDeniedException",
        "not allowed to call iam:GetRole (add it to the caller of --live): AccessDenied",
        "not allowed to call iam:ListRolePolicies (add it to the caller of --live): AccessDenied",
        "not allowed to call iam:ListAttachedRolePolicies (add it to the caller of --live): AccessDenied",
    ]
    assert diagnosis.live["simulator"] is None  # no role ARN read: the simulator is not asked


def test_live_simulator_denied_is_one_line() -> None:
    stubs = Stubs()
    seed_deployed(stubs, None)
    stubs.iam.add_client_error(
        "simulate_principal_policy",
        "AccessDenied",
        "not authorized",
        403,
        expected_params={
            "PolicySourceArn": ROLE_ARN,
            "ActionNames": ["lambda:InvokeFunction"],
            "ResourceArns": [FUNCTION_ARN],
        },
    )
    diagnosis = run_live(parse_denial(message()), stubs, [])
    assert diagnosis.live is not None
    assert diagnosis.live["errors"] == [
        "not allowed to call iam:SimulatePrincipalPolicy (add it to the caller of --live): AccessDenied"
    ]


def test_live_paginates_inline_policies() -> None:
    stubs = Stubs()
    stubs.get_policy({"FunctionName": FUNCTION_ARN}, None)
    stubs.role()
    stubs.iam.add_response(
        "list_role_policies", {"PolicyNames": ["A"], "IsTruncated": True, "Marker": "m1"}, {"RoleName": ROLE}
    )
    stubs.iam.add_response(
        "list_role_policies", {"PolicyNames": ["B"], "IsTruncated": False}, {"RoleName": ROLE, "Marker": "m1"}
    )
    stubs.iam.add_response(
        "get_role_policy",
        {"RoleName": ROLE, "PolicyName": "A", "PolicyDocument": document(allow("arn:aws:s3:::b"))},
        {"RoleName": ROLE, "PolicyName": "A"},
    )
    stubs.iam.add_response(
        "get_role_policy",
        {"RoleName": ROLE, "PolicyName": "B", "PolicyDocument": document(allow(FUNCTION_ARN))},
        {"RoleName": ROLE, "PolicyName": "B"},
    )
    stubs.attached([])
    stubs.simulate(FUNCTION_ARN, "allowed")
    diagnosis = run_live(parse_denial(message()), stubs, [])
    assert diagnosis.live is not None and diagnosis.live["policies"] == ["inline policy A", "inline policy B"]


def test_live_cross_account_needs_both_sides() -> None:
    other = "444455556666"
    callee = f"arn:aws:lambda:us-east-1:{other}:function:processor"
    text = message().replace(f"{ACCOUNT}:function", f"{other}:function")
    stubs = Stubs()
    stubs.get_policy({"FunctionName": callee}, None)
    stubs.role()
    stubs.inline({"P": document(allow(callee))})
    stubs.attached([])
    stubs.simulate(callee, "allowed")
    diagnosis = run_live(parse_denial(text), stubs, [])
    assert diagnosis.cases[0].kind is CaseKind.CROSS_ACCOUNT
    assert "the resource side does not allow it" in diagnosis.cases[0].summary


@pytest.mark.parametrize(
    ("patterns", "resource", "expected"),
    [
        ("arn:aws:lambda:us-east-1:123456789012:function:processor", FUNCTION_ARN, True),
        ("arn:aws:lambda:us-east-1:123456789012:function:processor", f"{FUNCTION_ARN}:live", False),
        ("arn:aws:lambda:us-east-1:123456789012:function:processor:*", f"{FUNCTION_ARN}:live", True),
        ("arn:aws:lambda:us-east-1:123456789012:function:processor*", f"{FUNCTION_ARN}:live", True),
        ("arn:aws:lambda:us-east-1:123456789012:function:PROCESSOR", FUNCTION_ARN, False),  # case-sensitive
        (["arn:aws:s3:::x", "*"], FUNCTION_ARN, True),
    ],
)
def test_statement_resource_matching(patterns: Any, resource: str, expected: bool) -> None:
    assert (
        covers_call(
            {"Effect": "Allow", "Action": "LAMBDA:invoke*", "Resource": patterns},
            "lambda:InvokeFunction",
            resource,
        )
        is expected
    )


def test_not_action_and_not_resource() -> None:
    stmt = {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:lambda:*:*:function:secret"}
    assert covers_call(stmt, "lambda:InvokeFunction", FUNCTION_ARN)
    assert not covers_call(stmt, "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:1:function:secret")


def test_cli_live_without_credentials_path_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(profile: str | None, region: str | None, *callee: str | None) -> live.Clients:
        raise live.LiveError(f"The config profile ({profile}) could not be found")

    monkeypatch.setattr(live, "clients_from_session", refuse)
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    assert cli.main(["explain", message(), "--live", "--profile", "nope"]) == 2
    assert err.getvalue() == "autoinvoke explain --live: The config profile (nope) could not be found\n"


def test_cli_live_text_output(monkeypatch: pytest.MonkeyPatch) -> None:
    stubs = Stubs()
    seed_deployed(stubs, "live")
    stubs.simulate(f"{FUNCTION_ARN}:live", "implicitDeny")
    monkeypatch.setattr(live, "clients_from_session", lambda profile, region, *callee: stubs.clients)
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    with stubs.lambda_, stubs.iam:
        assert cli.main(["explain", message("processor:live"), SEED_TEMPLATE, "--live"]) == 0
    text = out.getvalue()
    assert "Deployed (--live)\n" in text
    assert (
        "  our verdict: denied\n  IAM policy simulator (identity policies and boundary): implicitDeny\n"
        in text
    )
    assert (
        "  1. qualified call, unqualified grant [deployed: inline policy RequestFunctionRolePolicy0 "
        "Statement[0]]" in text
    )


def test_readme_live_example_is_the_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (REPO / "docs" / "guide" / "explain.md").read_text(encoding="utf-8")
    shown = readme.split("```text\nDeployed (--live)\n", 1)[1].split("```", 1)[0]
    stubs = Stubs()
    seed_deployed(stubs, "live")
    stubs.simulate(f"{FUNCTION_ARN}:live", "implicitDeny")
    monkeypatch.setattr(live, "clients_from_session", lambda profile, region, *callee: stubs.clients)
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    with stubs.lambda_, stubs.iam:
        assert cli.main(["explain", message("processor:live"), SEED_TEMPLATE, "--live"]) == 0
    assert f"Deployed (--live)\n{shown}" in out.getvalue()
