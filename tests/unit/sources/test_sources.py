"""Policy sources (docs/design/behaviour.md section 3), in raw SAM order unless the case says otherwise,
and the
statement rules: which statements are invoke grants."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from conftest import (
    added,
    caller,
    codes,
    document,
    lambda_function,
    permission,
    role,
    run,
    sam_function,
    statement,
    variant,
)
from snippets import CALLER_ROLE_ARN, OTHER_ARN, WORKER_ARN

INVOKE_WORKER = document(statement(WORKER_ARN))

BASE: dict[str, Any] = {
    "Conditions": {"UseWorker": {"Fn::Equals": ["yes", "yes"]}},
    "Resources": {
        "Worker": sam_function(),
        "Other": sam_function(),
        "Caller": sam_function(),
    },
}

WORKER_FROM_CALLER = {("Worker", "CallerRole", None)}


def with_metadata(resource: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {**resource, "Metadata": {"AutoInvokePermission": metadata}}


def with_connectors(resource: dict[str, Any], **connectors: Any) -> dict[str, Any]:
    return {**resource, "Connectors": {k: {"Properties": v} for k, v in connectors.items()}}


def iam(rtype: str, **properties: Any) -> dict[str, Any]:
    return {"Type": f"AWS::IAM::{rtype}", "Properties": properties}


def destination(outcome: str, dtype: str = "Lambda") -> dict[str, Any]:
    return {"DestinationConfig": {outcome: {"Type": dtype, "Destination": WORKER_ARN}}}


# (resources replacing or adding to BASE, permissions added, finding codes, Metadata Grants of the permission)
SOURCES: list[Any] = [
    # SAM Policies as a list of inline documents
    pytest.param(
        {"Caller": sam_function(Policies=[INVOKE_WORKER])},
        WORKER_FROM_CALLER,
        set(),
        ["Caller.Properties.Policies[0].Statement[0]"],
        id="sam-policies-list",
    ),
    # SAM Policies as one mapping (an inline document)
    pytest.param(
        {"Caller": sam_function(Policies=INVOKE_WORKER)},
        WORKER_FROM_CALLER,
        set(),
        ["Caller.Properties.Policies.Statement[0]"],
        id="sam-policies-mapping",
    ),
    # SAM Policies as a string: AWSLambdaRole allows invoke on * -> wildcard finding, nothing added
    pytest.param(
        {"Caller": sam_function(Policies="AWSLambdaRole")}, set(), {"AIP110"}, None, id="sam-policies-string"
    ),
    # SAM Policies list with the managed policy name
    pytest.param(
        {"Caller": sam_function(Policies=["AWSLambdaRole"])}, set(), {"AIP110"}, None, id="sam-managed-name"
    ),
    # SAM Policies list with an AWS managed policy ARN that allows everything
    pytest.param(
        {"Caller": sam_function(Policies=["arn:aws:iam::aws:policy/AdministratorAccess"])},
        set(),
        {"AIP110"},
        None,
        id="sam-managed-arn",
    ),
    # an AWS managed policy that grants no invoke
    pytest.param(
        {"Caller": sam_function(Policies=["AmazonS3ReadOnlyAccess"])},
        set(),
        set(),
        None,
        id="sam-managed-other",
    ),
    # the LambdaInvokePolicy policy template
    pytest.param(
        {"Caller": sam_function(Policies=[{"LambdaInvokePolicy": {"FunctionName": {"Ref": "Worker"}}}])},
        WORKER_FROM_CALLER,
        set(),
        ["Caller.Properties.Policies[0].LambdaInvokePolicy.Statement[0]"],
        id="sam-lambda-invoke-policy",
    ),
    # another policy template: no invoke
    pytest.param(
        {"Caller": sam_function(Policies=[{"SQSPollerPolicy": {"QueueName": "jobs"}}])},
        set(),
        set(),
        None,
        id="sam-other-policy-template",
    ),
    # Ref of a template AWS::IAM::ManagedPolicy in SAM Policies
    pytest.param(
        {
            "Caller": sam_function(Policies=[{"Ref": "InvokePolicy"}]),
            "InvokePolicy": iam("ManagedPolicy", PolicyDocument=INVOKE_WORKER),
        },
        WORKER_FROM_CALLER,
        set(),
        ["InvokePolicy.Properties.PolicyDocument.Statement[0]"],
        id="sam-policies-ref-managed-policy",
    ),
    # an Fn::If item: the permission gets the item's condition
    pytest.param(
        {
            "Caller": sam_function(
                Policies=[{"Fn::If": ["UseWorker", INVOKE_WORKER, {"Ref": "AWS::NoValue"}]}]
            )
        },
        {("Worker", "CallerRole", "UseWorker")},
        set(),
        ["Caller.Properties.Policies[0].Statement[0]"],
        id="sam-policies-fn-if",
    ),
    # SAM ignores Policies when Role is set, and so must we
    pytest.param(
        {
            "Caller": sam_function(Role={"Fn::GetAtt": ["OwnRole", "Arn"]}, Policies=[INVOKE_WORKER]),
            "OwnRole": role(),
        },
        set(),
        set(),
        None,
        id="sam-policies-ignored-with-role",
    ),
    # ... a wildcard managed policy in ignored Policies is no finding either
    pytest.param(
        {
            "Caller": sam_function(Role={"Fn::GetAtt": ["OwnRole", "Arn"]}, Policies="AWSLambdaRole"),
            "OwnRole": role(),
        },
        set(),
        set(),
        None,
        id="sam-wildcard-ignored-with-role",
    ),
    # embedded Connectors on a SAM function, Write
    pytest.param(
        {
            "Caller": with_connectors(
                sam_function(), ToWorker={"Destination": {"Id": "Worker"}, "Permissions": ["Write"]}
            )
        },
        WORKER_FROM_CALLER,
        set(),
        ["Caller.Connectors.ToWorker.Properties.Destination.Statement[0]"],
        id="sam-embedded-connector",
    ),
    # embedded Connectors with Read only: no invoke
    pytest.param(
        {
            "Caller": with_connectors(
                sam_function(), ToWorker={"Destination": {"Id": "Worker"}, "Permissions": ["Read"]}
            )
        },
        set(),
        set(),
        None,
        id="sam-embedded-connector-read",
    ),
    # embedded Connectors on a plain AWS::Lambda::Function (SAM processes them there too)
    pytest.param(
        {
            "Caller": with_connectors(
                lambda_function(CALLER_ROLE_ARN),
                ToWorker={"Destination": {"Id": "Worker"}, "Permissions": ["Write"]},
            ),
            "CallerRole": role(),
        },
        WORKER_FROM_CALLER,
        set(),
        ["Caller.Connectors.ToWorker.Properties.Destination.Statement[0]"],
        id="lambda-embedded-connector",
    ),
    # AWS::Serverless::Connector, Source and Destination by Id
    pytest.param(
        {
            "CallerToWorker": {
                "Type": "AWS::Serverless::Connector",
                "Properties": {
                    "Source": {"Id": "Caller"},
                    "Destination": {"Id": "Worker"},
                    "Permissions": ["Write"],
                },
            }
        },
        WORKER_FROM_CALLER,
        set(),
        ["CallerToWorker.Properties.Destination.Statement[0]"],
        id="serverless-connector",
    ),
    # AWS::Serverless::Connector with two destinations
    pytest.param(
        {
            "CallerToWorkers": {
                "Type": "AWS::Serverless::Connector",
                "Properties": {
                    "Source": {"Id": "Caller"},
                    "Destination": [{"Id": "Worker"}, {"Id": "Other"}],
                    "Permissions": ["Read", "Write"],
                },
            }
        },
        {("Worker", "CallerRole", None), ("Other", "CallerRole", None)},
        set(),
        None,
        id="serverless-connector-destinations",
    ),
    # EventInvokeConfig OnSuccess with Type Lambda
    pytest.param(
        {"Caller": sam_function(EventInvokeConfig=destination("OnSuccess"))},
        WORKER_FROM_CALLER,
        set(),
        ["Caller.Properties.EventInvokeConfig.DestinationConfig.OnSuccess.Destination.Statement[0]"],
        id="event-invoke-config-on-success",
    ),
    # EventInvokeConfig OnFailure with Type Lambda
    pytest.param(
        {"Caller": sam_function(EventInvokeConfig=destination("OnFailure"))},
        WORKER_FROM_CALLER,
        set(),
        ["Caller.Properties.EventInvokeConfig.DestinationConfig.OnFailure.Destination.Statement[0]"],
        id="event-invoke-config-on-failure",
    ),
    # EventInvokeConfig with another destination type: no invoke
    pytest.param(
        {"Caller": sam_function(EventInvokeConfig=destination("OnFailure", "SQS"))},
        set(),
        set(),
        None,
        id="event-invoke-config-sqs",
    ),
    # AWS::IAM::Role inline Policies
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(Policies=[{"PolicyName": "invoke", "PolicyDocument": INVOKE_WORKER}]),
        },
        WORKER_FROM_CALLER,
        set(),
        ["CallerRole.Properties.Policies[0].PolicyDocument.Statement[0]"],
        id="iam-role-inline-policies",
    ),
    # AWS::IAM::Role ManagedPolicyArns naming a template AWS::IAM::ManagedPolicy
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(ManagedPolicyArns=[{"Ref": "InvokePolicy"}]),
            "InvokePolicy": iam("ManagedPolicy", PolicyDocument=INVOKE_WORKER),
        },
        WORKER_FROM_CALLER,
        set(),
        ["InvokePolicy.Properties.PolicyDocument.Statement[0]"],
        id="iam-role-managed-policy-arns",
    ),
    # AWS::IAM::Role ManagedPolicyArns with the AWS managed AWSLambdaRole: wildcard
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(ManagedPolicyArns=["arn:aws:iam::aws:policy/service-role/AWSLambdaRole"]),
        },
        set(),
        {"AIP110"},
        None,
        id="iam-role-aws-managed-wildcard",
    ),
    # AWS::IAM::Policy attached by Ref of the role
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(),
            "InvokePolicy": iam(
                "Policy", PolicyName="invoke", Roles=[{"Ref": "CallerRole"}], PolicyDocument=INVOKE_WORKER
            ),
        },
        WORKER_FROM_CALLER,
        set(),
        ["InvokePolicy.Properties.PolicyDocument.Statement[0]"],
        id="iam-policy-by-ref",
    ),
    # AWS::IAM::ManagedPolicy attached with Roles
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(),
            "InvokePolicy": iam("ManagedPolicy", Roles=[{"Ref": "CallerRole"}], PolicyDocument=INVOKE_WORKER),
        },
        WORKER_FROM_CALLER,
        set(),
        ["InvokePolicy.Properties.PolicyDocument.Statement[0]"],
        id="iam-managed-policy-roles",
    ),
    # AWS::IAM::RolePolicy attached with RoleName
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(),
            "InvokePolicy": iam(
                "RolePolicy",
                PolicyName="invoke",
                RoleName={"Ref": "CallerRole"},
                PolicyDocument=INVOKE_WORKER,
            ),
        },
        WORKER_FROM_CALLER,
        set(),
        ["InvokePolicy.Properties.PolicyDocument.Statement[0]"],
        id="iam-role-policy-by-ref",
    ),
    # AWS::IAM::Policy attached by the role's literal RoleName
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(RoleName="caller-role"),
            "InvokePolicy": iam(
                "Policy", PolicyName="invoke", Roles=["caller-role"], PolicyDocument=INVOKE_WORKER
            ),
        },
        WORKER_FROM_CALLER,
        set(),
        ["InvokePolicy.Properties.PolicyDocument.Statement[0]"],
        id="iam-policy-by-literal-name",
    ),
    # AWS::IAM::RolePolicy attached by the role's literal RoleName
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(RoleName="caller-role"),
            "InvokePolicy": iam(
                "RolePolicy", PolicyName="invoke", RoleName="caller-role", PolicyDocument=INVOKE_WORKER
            ),
        },
        WORKER_FROM_CALLER,
        set(),
        ["InvokePolicy.Properties.PolicyDocument.Statement[0]"],
        id="iam-role-policy-by-literal-name",
    ),
    # AWS::IAM::Policy attached to SAM's generated role <Caller>Role (raw SAM order)
    pytest.param(
        {
            "InvokePolicy": iam(
                "Policy", PolicyName="invoke", Roles=[{"Ref": "CallerRole"}], PolicyDocument=INVOKE_WORKER
            )
        },
        WORKER_FROM_CALLER,
        set(),
        ["InvokePolicy.Properties.PolicyDocument.Statement[0]"],
        id="iam-policy-on-sam-generated-role",
    ),
    # a policy attached to a role no function uses: nothing
    pytest.param(
        {
            "UnusedRole": role(),
            "InvokePolicy": iam(
                "Policy", PolicyName="invoke", Roles=[{"Ref": "UnusedRole"}], PolicyDocument=INVOKE_WORKER
            ),
        },
        set(),
        set(),
        None,
        id="iam-policy-on-unused-role",
    ),
    # a role shared by two functions: one permission naming both callers
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "Caller2": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(Policies=[{"PolicyName": "invoke", "PolicyDocument": INVOKE_WORKER}]),
        },
        WORKER_FROM_CALLER,
        set(),
        ["CallerRole.Properties.Policies[0].PolicyDocument.Statement[0]"],
        id="shared-role",
    ),
    # Skip on the caller: left out (AIP140), nothing added
    pytest.param(
        {"Caller": with_metadata(sam_function(Policies=[INVOKE_WORKER]), Skip=True)},
        set(),
        {"AIP140"},
        None,
        id="skip-caller",
    ),
    # Skip on the policy resource
    pytest.param(
        {
            "InvokePolicy": with_metadata(
                iam(
                    "Policy", PolicyName="invoke", Roles=[{"Ref": "CallerRole"}], PolicyDocument=INVOKE_WORKER
                ),
                Skip=True,
            )
        },
        set(),
        {"AIP140"},
        None,
        id="skip-policy",
    ),
]


@pytest.mark.parametrize(("resources", "expected", "expected_codes", "grants"), SOURCES)
def test_policy_source(
    resources: dict[str, Any], expected: set[Any], expected_codes: set[str], grants: list[str] | None
) -> None:
    result = run(variant(BASE, **resources))
    assert added(result) == expected
    assert codes(result) == expected_codes
    if grants is not None:
        (only,) = result.added
        assert permission(result, only.logical_id)["Metadata"]["AutoInvokePermission"]["Grants"] == grants


def test_shared_role_names_every_caller() -> None:
    # one permission per (callee, principal), with the callers listed in Metadata
    template = variant(
        BASE,
        Caller=lambda_function(CALLER_ROLE_ARN),
        Caller2=lambda_function(CALLER_ROLE_ARN),
        CallerRole=role(Policies=[{"PolicyName": "invoke", "PolicyDocument": INVOKE_WORKER}]),
    )
    result = run(template)
    assert permission(result, "WorkerInvokeFromCallerRole") == {
        "Type": "AWS::Lambda::Permission",
        "Metadata": {
            "AutoInvokePermission": {
                "Callers": ["Caller", "Caller2"],
                "Grants": ["CallerRole.Properties.Policies[0].PolicyDocument.Statement[0]"],
            }
        },
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": WORKER_ARN,
            "Principal": CALLER_ROLE_ARN,
        },
    }


def test_wildcard_managed_policy_expands_on_request() -> None:
    # Wildcards: expand turns the AWSLambdaRole grant into one permission per function of the template
    result = run(variant(BASE, Caller=sam_function(Policies=["AWSLambdaRole"])), Wildcards="expand")
    assert added(result) == {
        ("Caller", "CallerRole", None),
        ("Other", "CallerRole", None),
        ("Worker", "CallerRole", None),
    }


# ----------------------------------------------------------------- statement rules
GRANT_PATH = "Caller.Properties.Policies[0].Statement[0]"

# (the statements of the caller's one inline policy, permissions added, findings as (code, path))
STATEMENTS: list[Any] = [
    # action glob lambda:Invoke*
    pytest.param(caller(statement(WORKER_ARN, "lambda:Invoke*")), WORKER_FROM_CALLER, set(), id="Invoke*"),
    # lambda:*
    pytest.param(caller(statement(WORKER_ARN, "lambda:*")), WORKER_FROM_CALLER, set(), id="lambda:*"),
    # * alone
    pytest.param(caller(statement(WORKER_ARN, "*")), WORKER_FROM_CALLER, set(), id="star"),
    # ? glob
    pytest.param(
        caller(statement(WORKER_ARN, "lambda:Invoke?unction")), WORKER_FROM_CALLER, set(), id="question"
    ),
    # actions are case-insensitive
    pytest.param(
        caller(statement(WORKER_ARN, "LAMBDA:invokefunction")), WORKER_FROM_CALLER, set(), id="case"
    ),
    # a list of actions, one of which is invoke
    pytest.param(
        caller(statement(WORKER_ARN, ["s3:GetObject", "lambda:InvokeFunction"])),
        WORKER_FROM_CALLER,
        set(),
        id="action-list",
    ),
    # InvokeAsync and InvokeFunctionUrl are not InvokeFunction
    pytest.param(caller(statement(WORKER_ARN, "lambda:InvokeAsync")), set(), set(), id="InvokeAsync"),
    pytest.param(
        caller(statement(WORKER_ARN, "lambda:InvokeFunctionUrl")), set(), set(), id="InvokeFunctionUrl"
    ),
    # NotAction that does not match invoke allows it
    pytest.param(
        caller({"Effect": "Allow", "NotAction": "s3:*", "Resource": WORKER_ARN}),
        WORKER_FROM_CALLER,
        set(),
        id="NotAction-other",
    ),
    # NotAction that matches invoke does not
    pytest.param(
        caller({"Effect": "Allow", "NotAction": ["lambda:*"], "Resource": WORKER_ARN}),
        set(),
        set(),
        id="NotAction",
    ),
    # a single statement mapping instead of a list
    pytest.param(
        {"Caller": sam_function(Policies=[{"Statement": statement(WORKER_ARN)}])},
        WORKER_FROM_CALLER,
        set(),
        id="statement-mapping",
    ),
    # a Deny of the same callee in the same document removes the grant
    pytest.param(
        caller(statement(WORKER_ARN), statement(WORKER_ARN, effect="Deny")),
        set(),
        {("AIP125", GRANT_PATH)},
        id="deny-same",
    ),
    # a Deny on * removes every grant
    pytest.param(
        caller(statement(WORKER_ARN), statement("*", effect="Deny")),
        set(),
        {("AIP125", GRANT_PATH)},
        id="deny-star",
    ),
    # a Deny of another callee removes only that one
    pytest.param(
        caller(statement([WORKER_ARN, OTHER_ARN]), statement(OTHER_ARN, effect="Deny")),
        WORKER_FROM_CALLER,
        {("AIP125", GRANT_PATH)},
        id="deny-other-callee",
    ),
    # a Deny in another policy resource attached to the same role
    pytest.param(
        {
            **caller(statement(WORKER_ARN)),
            "DenyPolicy": iam(
                "Policy",
                PolicyName="deny",
                Roles=[{"Ref": "CallerRole"}],
                PolicyDocument=document(statement(WORKER_ARN, effect="Deny")),
            ),
        },
        set(),
        {("AIP125", GRANT_PATH)},
        id="deny-other-policy",
    ),
    # a Deny on another role changes nothing
    pytest.param(
        {
            **caller(statement(WORKER_ARN)),
            "Other": sam_function(Policies=[document(statement(WORKER_ARN, effect="Deny"))]),
        },
        WORKER_FROM_CALLER,
        set(),
        id="deny-other-role",
    ),
    # a Deny of another action changes nothing
    pytest.param(
        caller(statement(WORKER_ARN), statement(WORKER_ARN, "s3:*", effect="Deny")),
        WORKER_FROM_CALLER,
        set(),
        id="deny-other-action",
    ),
    pytest.param(
        # a Deny with NotResource denies every function except those listed: the listed one stays
        caller(
            statement(OTHER_ARN),
            {"Effect": "Deny", "Action": "lambda:InvokeFunction", "NotResource": OTHER_ARN},
        ),
        {("Other", "CallerRole", None)},
        set(),
        id="deny-not-resource-keeps-listed",
    ),
    # ... and removes the rest
    pytest.param(
        caller(
            statement(WORKER_ARN),
            {"Effect": "Deny", "Action": "lambda:InvokeFunction", "NotResource": OTHER_ARN},
        ),
        set(),
        {("AIP125", GRANT_PATH)},
        id="deny-not-resource-removes-rest",
    ),
    # an IAM Condition block: no permission, never a broader one
    pytest.param(
        caller(statement(WORKER_ARN, Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})),
        set(),
        {("AIP120", GRANT_PATH + ".Condition")},
        id="condition-block",
    ),
    # NotResource with Allow: no permission
    pytest.param(
        caller({"Effect": "Allow", "Action": "lambda:InvokeFunction", "NotResource": OTHER_ARN}),
        set(),
        {("AIP121", GRANT_PATH + ".NotResource")},
        id="not-resource",
    ),
    # Effect other than Allow/Deny (IAM is case-sensitive here)
    pytest.param(
        caller(statement(WORKER_ARN, effect="allow")),
        set(),
        {("AIP103", GRANT_PATH + ".Effect")},
        id="bad-effect",
    ),
    # a statement that is a number
    pytest.param(
        {"Caller": sam_function(Policies=[{"Statement": [5]}])}, set(), {("AIP103", GRANT_PATH)}, id="number"
    ),
    # a statement with no Resource
    pytest.param(
        caller({"Effect": "Allow", "Action": "lambda:InvokeFunction"}),
        set(),
        {("AIP103", GRANT_PATH)},
        id="no-resource",
    ),
    # a statement under Fn::If: the permission gets the condition
    pytest.param(
        caller({"Fn::If": ["UseWorker", statement(WORKER_ARN), {"Ref": "AWS::NoValue"}]}),
        {("Worker", "CallerRole", "UseWorker")},
        set(),
        id="statement-fn-if",
    ),
]


@pytest.mark.parametrize(("resources", "expected", "expected_findings"), STATEMENTS)
def test_statement_rules(resources: dict[str, Any], expected: set[Any], expected_findings: set[Any]) -> None:
    result = run(variant(BASE, **resources))
    assert added(result) == expected
    assert {(f.code, f.path) for f in result.findings} == expected_findings


# --------------------------------------------------------- both transform orders
LAMBDA_INVOKE_SUB = {
    "Fn::Sub": [
        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*",
        {"functionName": {"Ref": "Worker"}},
    ]
}

# SAM's output for the raw cases above: the same permission, with the same logical ID
EXPANDED: list[Any] = [
    # Policies inline document -> <Caller>Role with <Caller>RolePolicy0
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(
                Policies=[{"PolicyName": "CallerRolePolicy0", "PolicyDocument": INVOKE_WORKER}]
            ),
        },
        id="policies",
    ),
    # LambdaInvokePolicy -> Fn::Sub with the trailing *
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(
                Policies=[
                    {
                        "PolicyName": "CallerRolePolicy0",
                        "PolicyDocument": document(statement(LAMBDA_INVOKE_SUB, ["lambda:InvokeFunction"])),
                    }
                ]
            ),
        },
        id="lambda-invoke-policy",
    ),
    # a Connector -> <Connector>Policy, an AWS::IAM::ManagedPolicy on the source role
    pytest.param(
        {
            "Caller": lambda_function(CALLER_ROLE_ARN),
            "CallerRole": role(),
            "CallerToWorkerPolicy": iam(
                "ManagedPolicy",
                Roles=[{"Ref": "CallerRole"}],
                PolicyDocument=document(
                    statement(WORKER_ARN, ["lambda:InvokeAsync", "lambda:InvokeFunction"])
                ),
            ),
        },
        id="connector",
    ),
]


@pytest.mark.parametrize("resources", EXPANDED)
def test_expanded_order_gives_the_same_permission(resources: dict[str, Any]) -> None:
    worker = lambda_function({"Fn::GetAtt": ["WorkerRole", "Arn"]})
    result = run(variant(BASE, Worker=worker, WorkerRole=role(), **resources))
    assert [p.logical_id for p in result.added] == ["WorkerInvokeFromCallerRole"]
    assert codes(result) == set()


def json_text(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


NAMED = {
    "Worker": sam_function(FunctionName="orders-worker"),
    "Other": sam_function(FunctionName="orders-other"),
}


def role_with_document(policy_document: Any) -> dict[str, Any]:
    return {
        **NAMED,
        "Caller": lambda_function(CALLER_ROLE_ARN),
        "CallerRole": role(Policies=[{"PolicyName": "p", "PolicyDocument": policy_document}]),
    }


WORKER_ARN_TEXT = "arn:aws:lambda:us-east-1:123456789012:function:orders-worker"
OTHER_ARN_TEXT = "arn:aws:lambda:us-east-1:123456789012:function:orders-other"
WORKER_TEXT = "arn:aws:lambda:us-east-1:123456789012:function:${Worker}"
DENY_ALL_TEXT = {"Fn::Sub": '{"Statement": [{"Effect": "Deny", "Action": "lambda:*", "Resource": ${Arns}}]}'}
# (the CallerRole's policy document, permissions added, finding codes)
TEXT_DOCUMENTS: list[Any] = [
    pytest.param(json_text(statement(WORKER_ARN_TEXT)), WORKER_FROM_CALLER, set(), id="string"),
    pytest.param(
        json_text(statement(WORKER_ARN_TEXT)).replace("{", "[", 1), set(), {"AIP103"}, id="not-json"
    ),
    # tokens inside JSON strings are read as the intrinsics they stand for
    pytest.param(
        {"Fn::Sub": json_text(statement(WORKER_TEXT))}, WORKER_FROM_CALLER, set(), id="sub-with-token"
    ),
    pytest.param(
        {
            "Fn::Join": [
                "",
                [
                    '{"Statement": {"Effect": "Allow", "Action": "lambda:InvokeFunction", ',
                    '"Resource": "',
                    WORKER_ARN,
                    '"}}',
                ],
            ]
        },
        WORKER_FROM_CALLER,
        set(),
        id="join-with-getatt",
    ),
    # a token in the JSON structure: the Allow cannot be read (AIP116), and no Deny can hide in it
    pytest.param(
        {"Fn::Sub": '{"Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": ${Worker.Arn}}]}'},
        set(),
        {"AIP116"},
        id="sub-token-in-structure",
    ),
]


@pytest.mark.parametrize(("policy_document", "expected", "expected_codes"), TEXT_DOCUMENTS)
def test_policy_document_as_json_text(
    policy_document: Any, expected: set[Any], expected_codes: set[str]
) -> None:
    result = run(variant(BASE, **role_with_document(policy_document)))
    assert added(result) == expected
    assert codes(result) == expected_codes


# (a second policy of CallerRole, next to an Allow on Worker: whether the Allow is kept, codes)
TEXT_DENIES: list[Any] = [
    pytest.param(json_text(statement(WORKER_ARN_TEXT, effect="Deny")), False, {"AIP125"}, id="deny-string"),
    pytest.param(json_text(statement(OTHER_ARN_TEXT, effect="Deny")), True, set(), id="deny-other"),
    # a parameter spliced into the structure may hold any Deny: everything is denied
    pytest.param(DENY_ALL_TEXT, False, {"AIP115", "AIP125"}, id="deny-unknown-parameter"),
]


@pytest.mark.parametrize(("deny_document", "kept", "expected_codes"), TEXT_DENIES)
def test_deny_written_as_json_text(deny_document: Any, kept: bool, expected_codes: set[str]) -> None:
    policies = [
        {"PolicyName": "allow", "PolicyDocument": INVOKE_WORKER},
        {"PolicyName": "deny", "PolicyDocument": deny_document},
    ]
    template = variant(
        BASE, Caller=lambda_function(CALLER_ROLE_ARN), CallerRole=role(Policies=policies), **NAMED
    )
    template["Parameters"] = {"Arns": {"Type": "String"}}
    result = run(template)
    assert added(result) == (WORKER_FROM_CALLER if kept else set())
    assert codes(result) == expected_codes


# how a role names a template managed policy: Ref and !GetAtt MP.PolicyArn are both its ARN
POLICY_ARNS: list[Any] = [
    pytest.param({"Ref": "InvokePolicy"}, id="ref"),
    pytest.param({"Fn::GetAtt": ["InvokePolicy", "PolicyArn"]}, id="getatt-policyarn"),
    pytest.param({"Fn::GetAtt": "InvokePolicy.PolicyArn"}, id="getatt-dotted"),
]


@pytest.mark.parametrize("policy_arn", POLICY_ARNS)
def test_managed_policy_by_arn(policy_arn: Any) -> None:
    for attach in ("role", "sam"):
        policy = iam("ManagedPolicy", PolicyDocument=INVOKE_WORKER)
        caller_resources: dict[str, Any] = (
            {"Caller": lambda_function(CALLER_ROLE_ARN), "CallerRole": role(ManagedPolicyArns=[policy_arn])}
            if attach == "role"
            else {"Caller": sam_function(Policies=[policy_arn])}
        )
        result = run(variant(BASE, InvokePolicy=policy, **caller_resources))
        principal = "CallerRole"
        assert added(result) == {("Worker", principal, None)}, attach
        assert codes(result) == set()
