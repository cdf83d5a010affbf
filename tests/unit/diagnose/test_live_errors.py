"""`explain --live` when AWS answers badly: each failed call is one line, never a traceback.

Fake clients stand in for boto3's: each method answers from a table or raises what botocore raises.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from auto_invoke_permission.diagnose import live
from auto_invoke_permission.diagnose.denial import Denial, parse_denial
from auto_invoke_permission.statements import covers_call
from botocore.exceptions import ClientError, EndpointConnectionError

ACCOUNT = "123456789012"
ROLE = "RequestFunctionRole-AbC"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:processor"
MANAGED_ARN = f"arn:aws:iam::{ACCOUNT}:policy/Shared"
DENIAL = parse_denial(
    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/RequestFunction is not authorized to perform: "
    f"lambda:InvokeFunction on resource: {FUNCTION_ARN} "
    "because no identity-based policy allows the lambda:InvokeFunction action"
)


def client_error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


class FakeClient:
    """Answers each method from `answers`: a dict is returned, an exception raised."""

    def __init__(self, **answers: dict[str, Any] | Exception) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        if name not in self.answers:
            raise AttributeError(name)

        def method(**params: Any) -> dict[str, Any]:
            self.calls.append((name, params))
            answer = self.answers[name]
            if isinstance(answer, Exception):
                raise answer
            return answer

        return method


ROLE_ANSWER: dict[str, Any] = {"Role": {"Arn": ROLE_ARN}}
NO_POLICY = client_error("ResourceNotFoundException", "No policy is associated")


def test_call_failures_are_one_line_each() -> None:
    deployed = live.Deployed()
    assert live._call(
        deployed, "iam:GetRole", FakeClient(m=client_error("Throttling", "Rate exceeded")).m
    ) == {"__error__": "Throttling"}
    assert live._call(deployed, "iam:GetRole", FakeClient(m=client_error("NoMessage")).m) == {
        "__error__": "NoMessage"
    }
    broken = EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/")
    assert live._call(deployed, "lambda:GetPolicy", FakeClient(m=broken).m) == {
        "__error__": "EndpointConnectionError"
    }
    assert live._call(deployed, "lambda:GetPolicy", FakeClient(m=NO_POLICY).m) == {
        "__error__": "ResourceNotFoundException"
    }
    assert deployed.errors == [
        "iam:GetRole failed: Throttling: Rate exceeded",
        "iam:GetRole failed: NoMessage",
        'lambda:GetPolicy failed: Could not connect to the endpoint URL: "https://iam.amazonaws.com/"',
    ]


@pytest.mark.parametrize(
    ("value", "document"),
    [
        ('{"Statement": []}', {"Statement": []}),
        ("%7B%22Statement%22%3A%20%5B%5D%7D", {"Statement": []}),  # URL-encoded, as IAM sends it
        ("not json", None),
        ({"Statement": []}, {"Statement": []}),  # botocore decoded it already
    ],
)
def test_policy_documents(value: Any, document: Any) -> None:
    assert live._document(value) == document


def test_failed_reads_leave_the_policy_out_and_say_why() -> None:
    lambda_ = FakeClient(get_policy=client_error("AccessDeniedException"))
    iam = FakeClient(
        get_role={"Role": {"Arn": ROLE_ARN, "PermissionsBoundary": {"PermissionsBoundaryArn": MANAGED_ARN}}},
        get_policy=client_error("NoSuchEntity", "Policy not found"),
        list_role_policies={"PolicyNames": ["Gone"], "IsTruncated": False},
        get_role_policy=client_error("NoSuchEntity", "Role policy not found"),
        list_attached_role_policies={"AttachedPolicies": [{"PolicyArn": MANAGED_ARN}], "IsTruncated": False},
    )
    deployed = live.read_deployed(DENIAL, live.Clients(lambda_, iam))
    assert deployed.resource is None and not deployed.resource_read
    assert deployed.role_arn == ROLE_ARN
    assert deployed.boundary == live.Policy(f"boundary {MANAGED_ARN}", None)
    assert deployed.identity == []  # neither the inline nor the managed policy could be read
    assert deployed.errors == [
        "not allowed to call lambda:GetPolicy (add it to the caller of --live): AccessDeniedException",
        "iam:GetPolicy failed: NoSuchEntity: Policy not found",
        "iam:GetRolePolicy failed: NoSuchEntity: Role policy not found",
        "iam:GetPolicy failed: NoSuchEntity: Policy not found",
    ]


def test_a_policy_version_that_cannot_be_read() -> None:
    iam = FakeClient(
        get_role=ROLE_ANSWER,
        list_role_policies={"PolicyNames": [], "IsTruncated": False},
        list_attached_role_policies={"AttachedPolicies": [{"PolicyArn": MANAGED_ARN}], "IsTruncated": False},
        get_policy={"Policy": {"DefaultVersionId": "v3"}},
        get_policy_version=client_error("AccessDenied"),
    )
    deployed = live.read_deployed(DENIAL, live.Clients(FakeClient(get_policy=NO_POLICY), iam))
    assert deployed.resource_read and deployed.identity == []
    assert ("get_policy_version", {"PolicyArn": MANAGED_ARN, "VersionId": "v3"}) in iam.calls
    assert deployed.errors == [
        "not allowed to call iam:GetPolicyVersion (add it to the caller of --live): AccessDenied"
    ]


def test_no_function_or_no_role_reads_only_the_other_side() -> None:
    no_function: Denial = dataclasses.replace(DENIAL, function=None)
    iam = FakeClient(
        get_role=client_error("NoSuchEntity", "gone"),
        list_role_policies=client_error("NoSuchEntity", "gone"),
        list_attached_role_policies=client_error("NoSuchEntity", "gone"),
    )
    deployed = live.read_deployed(no_function, live.Clients(FakeClient(), iam))
    assert deployed.role_arn is None and not deployed.resource_read
    assert len(deployed.errors) == 3

    no_role: Denial = dataclasses.replace(DENIAL, role=None)
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:*"}]})
    lambda_ = FakeClient(get_policy={"Policy": policy})
    deployed = live.read_deployed(no_role, live.Clients(lambda_, FakeClient()))
    assert deployed.resource == live.Policy("resource policy", json.loads(policy))
    assert deployed.errors == []


def test_clients_from_an_unknown_profile_is_a_live_error() -> None:
    with pytest.raises(live.LiveError, match="no-such-profile"):
        live.clients_from_session("no-such-profile-p2cov", "us-east-1")


def test_clients_from_session_are_for_the_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)  # a profile named in the environment must not matter
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    clients = live.clients_from_session(None, "eu-west-1")
    assert clients.lambda_.meta.region_name == "eu-west-1"
    assert clients.iam.meta.service_model.service_name == "iam"


@pytest.mark.parametrize(
    ("document", "labels"),
    [
        (None, []),
        ("not a mapping", []),
        ({"Statement": "not a statement"}, []),
        (
            {"Statement": [1, {"Sid": "Ok", "Effect": "Allow", "Action": "lambda:*", "Resource": "*"}]},
            ["p Statement[1] (Sid Ok)"],
        ),
        ({"Statement": {"Sid": 7, "Effect": "Allow", "Action": "*", "Resource": "*"}}, ["p Statement[0]"]),
        ({"Statement": {"Effect": "Maybe", "Action": "*", "Resource": "*"}}, []),
    ],
)
def test_hits_read_only_well_formed_statements(document: Any, labels: list[str]) -> None:
    found = live.hits([live.Policy("p", document)], "lambda:InvokeFunction", FUNCTION_ARN)
    assert [h.label for h in found] == labels


@pytest.mark.parametrize(
    ("stmt", "applies"),
    [
        ({"NotAction": "lambda:InvokeFunction", "Resource": "*"}, False),
        ({"NotAction": "s3:*", "Resource": "*"}, True),
        ({"Resource": "*"}, False),  # neither Action nor NotAction
        ({"Action": "lambda:InvokeFunction", "Principal": "*"}, True),  # resource policy: Resource implicit
        ({"Action": "lambda:InvokeFunction"}, False),
    ],
)
def test_statement_applies_without_the_usual_keys(stmt: dict[str, Any], applies: bool) -> None:
    assert covers_call(stmt, "lambda:InvokeFunction", FUNCTION_ARN) is applies


@pytest.mark.parametrize(
    ("principal", "matches"),
    [
        ("*", True),
        ({"AWS": "*"}, True),
        ({"AWS": ROLE_ARN}, True),
        ({"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]}, True),
        ({"AWS": ACCOUNT}, True),
        ({"AWS": "arn:aws:iam::999999999999:root"}, False),
        ({"Service": "lambda.amazonaws.com"}, False),
        ("arn:aws:iam::123456789012:root", False),  # only "*" is a principal given as a plain string
    ],
)
def test_principal_matcher(principal: Any, matches: bool) -> None:
    assert live.principal_matcher(DENIAL, None)(principal) is matches


def test_principal_matcher_without_a_caller_account() -> None:
    denial: Denial = dataclasses.replace(DENIAL, caller_account=None, principal=None)
    matcher = live.principal_matcher(denial, "arn:aws:iam::123456789012:role/path/Other")
    assert matcher({"AWS": "arn:aws:iam::123456789012:role/path/Other"})
    assert not matcher({"AWS": ACCOUNT})
