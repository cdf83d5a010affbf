"""`explain --live` for IAM users, the callee's account, unread policies and the simulator's two sides.

botocore's Stubber stands in for AWS: it checks every request and answer against the real service
models, so a wrong parameter name or shape fails here as it would against AWS.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from auto_invoke_permission.diagnose import live
from auto_invoke_permission.diagnose.denial import parse_denial
from auto_invoke_permission.diagnose.explain import CaseKind, Diagnosis, diagnose
from botocore.stub import Stubber

ACCOUNT = "123456789012"
OTHER = "444455556666"
USER = "deployer"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/ci/{USER}"
ROLE = "CallerRole"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"


def function_arn(account: str = ACCOUNT) -> str:
    return f"arn:aws:lambda:us-east-1:{account}:function:processor"


def denial_text(principal: str, account: str = ACCOUNT, reason: str = "no identity-based policy") -> str:
    return (
        f"User: {principal} is not authorized to perform: lambda:InvokeFunction on resource: "
        f"{function_arn(account)} because {reason} allows the lambda:InvokeFunction action"
    )


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def statement(effect: str = "Allow", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": "lambda:InvokeFunction", "Resource": function_arn(), **extra}


def _session() -> Any:
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


class Stubs:
    """Real clients with a Stubber each; `callee`: a second Lambda client for the callee's account."""

    def __init__(self, callee: bool = False) -> None:
        session = _session()
        callee_lambda = _session().client("lambda") if callee else None
        self.clients = live.Clients(session.client("lambda"), session.client("iam"), callee_lambda)
        self.lambda_ = Stubber(self.clients.lambda_)
        self.iam = Stubber(self.clients.iam)
        self.callee = Stubber(callee_lambda) if callee_lambda is not None else None

    def __enter__(self) -> Stubs:
        for stub in (self.lambda_, self.iam, self.callee):
            if stub is not None:
                stub.activate()
        return self

    def __exit__(self, *exc: object) -> None:
        for stub in (self.lambda_, self.iam, self.callee):
            if stub is not None:
                stub.assert_no_pending_responses()
                stub.deactivate()

    def entity(self, entity: live.Entity, name: str, arn: str) -> None:
        """GetRole / GetUser: the caller's ARN (with its path), no boundary."""
        path = "/" + arn.split(":", 5)[5].split("/", 1)[1].rsplit(name, 1)[0].lstrip("/")
        prefix = "AROA" if entity is live.ROLE else "AIDA"
        answer = {
            "Path": path,
            entity.name_key: name,
            entity.name_key.replace("Name", "Id"): f"{prefix}EXAMPLEID0000000",
            "Arn": arn,
            "CreateDate": "2026-12-01T00:00:00Z",
        }
        self.iam.add_response(entity.get, {entity.answer_key: answer}, {entity.name_key: name})

    def policies(self, entity: live.Entity, name: str, policies: dict[str, str]) -> None:
        """The inline policies of a role or user (live.ROLE, live.USER), and no attached one."""
        key = {entity.name_key: name}
        self.iam.add_response(entity.list_inline, {"PolicyNames": list(policies), "IsTruncated": False}, key)
        for policy_name, doc in policies.items():
            answer = {**key, "PolicyName": policy_name, "PolicyDocument": doc}
            self.iam.add_response(entity.get_inline, answer, {**key, "PolicyName": policy_name})
        self.iam.add_response(entity.list_attached, {"AttachedPolicies": [], "IsTruncated": False}, key)

    def simulate(self, caller: str, resource: str, decision: str, **extra: Any) -> None:
        result = {
            "EvalActionName": "lambda:InvokeFunction",
            "EvalResourceName": resource,
            "EvalDecision": decision,
        }
        params = {
            "PolicySourceArn": caller,
            "ActionNames": ["lambda:InvokeFunction"],
            "ResourceArns": [resource],
            **extra,
        }
        self.iam.add_response(
            "simulate_principal_policy", {"EvaluationResults": [result], "IsTruncated": False}, params
        )


def run(text: str, stubs: Stubs) -> Diagnosis:
    denial = parse_denial(text)
    diagnosis = diagnose(denial, [])
    with stubs:
        live.apply(diagnosis, live.read_deployed(denial, stubs.clients), stubs.clients)
    return diagnosis


def test_an_iam_user_is_read_as_a_user_with_its_policies_and_both_simulations() -> None:
    stubs = Stubs()
    resource_policy = document(statement(Principal={"AWS": USER_ARN}))
    stubs.lambda_.add_response("get_policy", {"Policy": resource_policy}, {"FunctionName": function_arn()})
    stubs.entity(live.USER, USER, USER_ARN)
    stubs.policies(live.USER, USER, {"Invoke": document(statement())})
    stubs.simulate(USER_ARN, function_arn(), "allowed")
    extra = {"ResourcePolicy": resource_policy, "ResourceOwner": ACCOUNT, "CallerArn": USER_ARN}
    stubs.simulate(USER_ARN, function_arn(), "allowed", **extra)
    diagnosis = run(denial_text(USER_ARN), stubs)
    assert diagnosis.live is not None
    assert diagnosis.live["lines"] == [
        f"identity policies of {USER}: 1 read; allow by inline policy Invoke Statement[0]",
        "permissions boundary: none",
        "resource policy (unqualified): allows by resource policy Statement[0]",
        "our verdict: allowed",
        "IAM policy simulator (identity policies and boundary): allowed",
        "IAM policy simulator (with the resource policy): allowed",
    ]
    assert diagnosis.live["role_arn"] == USER_ARN
    assert [c.kind for c in diagnosis.cases] == [CaseKind.GRANT_MATCHES]


def test_no_verdict_without_a_policy_it_needs() -> None:
    stubs = Stubs()
    stubs.lambda_.add_client_error(
        "get_policy", "AccessDeniedException", "no", 403, expected_params={"FunctionName": function_arn()}
    )
    stubs.entity(live.ROLE, ROLE, ROLE_ARN)
    stubs.policies(live.ROLE, ROLE, {})
    stubs.simulate(ROLE_ARN, function_arn(), "implicitDeny")
    diagnosis = run(denial_text(f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/s"), stubs)
    assert diagnosis.live is not None
    assert diagnosis.live["ours"] is None
    assert diagnosis.live["unread"] == [
        "the resource policy: not allowed to call lambda:GetPolicy (add it to the caller of --live): "
        "AccessDeniedException"
    ]
    assert (
        "our verdict: none, without the resource policy: not allowed to call lambda:GetPolicy (add it to "
        "the caller of --live): AccessDeniedException"
    ) in diagnosis.live["lines"]
    assert CaseKind.NO_GRANT not in [c.kind for c in diagnosis.cases]  # no verdict, no "no grant"


def test_an_explicit_deny_read_is_a_verdict_even_with_a_policy_unread() -> None:
    stubs = Stubs()
    stubs.lambda_.add_client_error(
        "get_policy", "AccessDeniedException", "no", 403, expected_params={"FunctionName": function_arn()}
    )
    stubs.entity(live.ROLE, ROLE, ROLE_ARN)
    stubs.policies(live.ROLE, ROLE, {"Lock": document(statement("Deny"))})
    stubs.simulate(ROLE_ARN, function_arn(), "explicitDeny")
    diagnosis = run(denial_text(f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/s"), stubs)
    assert diagnosis.live is not None and diagnosis.live["ours"] == "denied"
    assert diagnosis.cases[0].kind is CaseKind.DENY
    assert diagnosis.cases[0].path == "inline policy Lock Statement[0]"


def test_the_callee_accounts_resource_policy_is_read_with_its_own_client() -> None:
    stubs = Stubs(callee=True)
    assert stubs.callee is not None
    caller_role = f"arn:aws:iam::{OTHER}:role/{ROLE}"
    resource_policy = document(statement(Principal={"AWS": caller_role}, Resource=function_arn()))
    stubs.callee.add_response("get_policy", {"Policy": resource_policy}, {"FunctionName": function_arn()})
    stubs.entity(live.ROLE, ROLE, caller_role)
    stubs.policies(live.ROLE, ROLE, {})
    stubs.simulate(caller_role, function_arn(), "implicitDeny")
    extra = {"ResourcePolicy": resource_policy, "ResourceOwner": ACCOUNT, "CallerArn": caller_role}
    stubs.simulate(caller_role, function_arn(), "implicitDeny", **extra)
    diagnosis = run(denial_text(f"arn:aws:sts::{OTHER}:assumed-role/{ROLE}/s"), stubs)
    assert diagnosis.live is not None
    assert diagnosis.live["unread"] == []
    assert diagnosis.live["ours"] == "denied"
    cross = [c for c in diagnosis.cases if c.kind is CaseKind.CROSS_ACCOUNT]
    assert cross and "the identity side does not allow it" in cross[0].summary


def test_across_accounts_without_callee_credentials_says_how_to_read_the_resource_side() -> None:
    stubs = Stubs()
    stubs.lambda_.add_client_error(
        "get_policy", "AccessDeniedException", "no", 403, expected_params={"FunctionName": function_arn()}
    )
    stubs.iam.add_client_error("get_role", "AccessDenied", "no", 403, expected_params={"RoleName": ROLE})
    for method in ("list_role_policies", "list_attached_role_policies"):
        stubs.iam.add_client_error(method, "AccessDenied", "no", 403, expected_params={"RoleName": ROLE})
    diagnosis = run(denial_text(f"arn:aws:sts::{OTHER}:assumed-role/{ROLE}/s"), stubs)
    assert diagnosis.live is not None and diagnosis.live["ours"] is None
    assert diagnosis.live["unread"][0].startswith(
        "the resource policy (pass --callee-profile or --callee-role for the callee's account): "
    )
    assert [u.split(":", 1)[0] for u in diagnosis.live["unread"][1:]] == [
        f"the role {ROLE} (its boundary)",
        f"the inline policies of {ROLE}",
        f"the managed policies of {ROLE}",
    ]


def test_the_callee_accounts_credentials_come_from_the_command_line(monkeypatch: Any) -> None:
    import io

    from auto_invoke_permission.cli import main as cli

    asked: list[tuple[str | None, ...]] = []

    def refuse(profile: str | None, region: str | None, *callee: str | None) -> live.Clients:
        asked.append((profile, region, *callee))
        raise live.LiveError("stop here")

    monkeypatch.setattr(live, "clients_from_session", refuse)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    monkeypatch.setattr("sys.stderr", io.StringIO())
    text = denial_text(f"arn:aws:sts::{OTHER}:assumed-role/{ROLE}/s")
    role = f"arn:aws:iam::{ACCOUNT}:role/Reader"
    argv = ["explain", text, "--live", "--profile", "a", "--callee-profile", "b", "--callee-role", role]
    assert cli.main(argv) == 2
    assert asked == [("a", "us-east-1", "b", role)]


def test_a_callee_role_is_assumed_for_the_callee_accounts_client() -> None:
    import types

    role = f"arn:aws:iam::{ACCOUNT}:role/Reader"
    sts = _session().client("sts")
    stub = Stubber(sts)
    credentials = {
        "AccessKeyId": "ASIAEXAMPLEKEY000000",
        "SecretAccessKey": "secret",
        "SessionToken": "token",
        "Expiration": "2026-12-06T21:00:00Z",
    }
    stub.add_response(
        "assume_role",
        {"Credentials": credentials},
        {"RoleArn": role, "RoleSessionName": "autoinvoke-explain"},
    )
    made: list[dict[str, Any]] = []

    class Session:
        def __init__(self, **settings: Any) -> None:
            made.append(settings)

        def client(self, name: str) -> Any:
            assert name == "sts"
            return sts

    with stub:
        live._callee_session(types.SimpleNamespace(Session=Session), "callee", role, "us-east-1")
    assert made == [
        {"profile_name": "callee", "region_name": "us-east-1"},
        {
            "aws_access_key_id": "ASIAEXAMPLEKEY000000",
            "aws_secret_access_key": "secret",
            "aws_session_token": "token",
            "region_name": "us-east-1",
        },
    ]
