"""The invoke denial parser (diagnose/denial.py), table-driven over real message texts.

Each case keeps its source beside it. Account IDs, names and request IDs are as published, except
where the source masked them (`xxxx`, `...`): those are filled with example values, said in the comment.
"""

from __future__ import annotations

import string
from typing import NamedTuple

import pytest
from auto_invoke_permission.diagnose.denial import Denial, DenialError, Reason, parse_denial, parse_url_denial
from hypothesis import given, settings
from hypothesis import strategies as st


class Expected(NamedTuple):
    reason: Reason
    action: str
    role: str | None
    session: str | None
    caller_account: str | None
    function: str
    qualifier: str | None
    region: str
    function_account: str


SEED = (
    "User: arn:aws:sts::123456789012:assumed-role/RequestFunctionRole-AbC/RequestFunction is not authorized "
    "to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:processor "
    "because no identity-based policy allows the lambda:InvokeFunction action"
)

REAL: list[tuple[str, str, Expected]] = [
    (
        # issue 16 of this project: the message of the widely read write-up
        "seed",
        SEED,
        Expected(
            Reason.NO_IDENTITY_ALLOW,
            "lambda:InvokeFunction",
            "RequestFunctionRole-AbC",
            "RequestFunction",
            "123456789012",
            "processor",
            None,
            "us-east-1",
            "123456789012",
        ),
    ),
    (
        # awslabs/aws-deployment-framework#460 (Step Functions cause, Java SDK suffix); `xxxx` -> 111122223333
        "adf-460",
        '{"error": "Lambda.AWSLambdaException", "cause": "User: arn:aws:sts::111122223333:assumed-role/'
        "serverlessrepo-aws-deploy-StateMachineExecutionRol-YYXZKF1DNVEG/GGzJDbzYyvarbIioekwoULLKpGuSfJRc is "
        "not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:111122223333:"
        "function:AccountAliasConfigurationFunction because no identity-based policy allows the "
        "lambda:InvokeFunction action (Service: AWSLambda; Status Code: 403; Error Code: "
        'AccessDeniedException; Request ID: c0c4199a-20fa-472e-a106-471bfdaa742e; Proxy: null)"}',
        Expected(
            Reason.NO_IDENTITY_ALLOW,
            "lambda:InvokeFunction",
            "serverlessrepo-aws-deploy-StateMachineExecutionRol-YYXZKF1DNVEG",
            "GGzJDbzYyvarbIioekwoULLKpGuSfJRc",
            "111122223333",
            "AccountAliasConfigurationFunction",
            None,
            "us-east-1",
            "111122223333",
        ),
    ),
    (
        # aws-solutions-library-samples/qnabot-on-aws#88: a boto3 ClientError inside a Lambda log line,
        # the older form (no reason), followed by ": ClientError"
        "qnabot-88",
        "An error occurred (AccessDeniedException) when calling the Invoke operation: User: arn:aws:sts::"
        "507296099304:assumed-role/QnABot2-ExamplesStack-PJB77ZTHUM-ExampleLambdaRole-L1RE5HHNPSU2/"
        "QnABot2-ExamplesStack-PJB7-ExamplePYTHONLambdaNext-1FCMM9VWGMXZH is not authorized to perform: "
        "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:507296099304:function:"
        "QnABot2-ESQidLambda-M9LBJLAZJB9N: ClientError",
        Expected(
            Reason.UNSPECIFIED,
            "lambda:InvokeFunction",
            "QnABot2-ExamplesStack-PJB77ZTHUM-ExampleLambdaRole-L1RE5HHNPSU2",
            "QnABot2-ExamplesStack-PJB7-ExamplePYTHONLambdaNext-1FCMM9VWGMXZH",
            "507296099304",
            "QnABot2-ESQidLambda-M9LBJLAZJB9N",
            None,
            "us-east-1",
            "507296099304",
        ),
    ),
    (
        # doug-macleod/Pipe-1Dev#13 (2019): wrapped over lines, explicit deny without a policy type
        "pipe-13",
        "User: arn:aws:sts::674568819625:assumed-role/SCF/ImNaYhDWEWEnqwXHDyUIJYXvRnZUCQNG\nis not "
        "authorized "
        "to perform: lambda:InvokeFunction on resource:\narn:aws:lambda:us-east-2:674568819625:function:"
        "scf-prepare-data-generateUploadKeyHQ3VTHNGXALG with an explicit deny (Service: AWSLambda; Status "
        "Code: 403; Error\nCode: AccessDeniedException; Request ID: 07cfc81d-06b7-45bc-8d4a-7f2d673a80ba)",
        Expected(
            Reason.DENY_UNNAMED,
            "lambda:InvokeFunction",
            "SCF",
            "ImNaYhDWEWEnqwXHDyUIJYXvRnZUCQNG",
            "674568819625",
            "scf-prepare-data-generateUploadKeyHQ3VTHNGXALG",
            None,
            "us-east-2",
            "674568819625",
        ),
    ),
    (
        # aws/agentcore-cli#1891: botocore text wrapped by the reporter; caller masked as `...` there,
        # filled here with an assumed-role ARN; the account `...` -> 123456789012
        "agentcore-1891",
        "An error occurred (AccessDeniedException)\nwhen calling the Invoke operation (reached max retries: "
        "0): "
        "User: arn:aws:sts::123456789012:assumed-role/e2e-runner/ci is not authorized\nto perform: "
        "lambda:InvokeFunction on resource:\narn:aws:lambda:us-east-1:123456789012:function:"
        "E2e3pEval30379817-eval-answer_relevancy\nbecause no identity-based policy allows the "
        "lambda:InvokeFunction action",
        Expected(
            Reason.NO_IDENTITY_ALLOW,
            "lambda:InvokeFunction",
            "e2e-runner",
            "ci",
            "123456789012",
            "E2e3pEval30379817-eval-answer_relevancy",
            None,
            "us-east-1",
            "123456789012",
        ),
    ),
    (
        # danilop/LambdAuth#37 (2016): a JSON body, the older form
        "lambdauth-37",
        '{"Message":"User: arn:aws:sts::009825708026:assumed-role/Cognito_toadkicker_poolUnauth_Role/'
        "CognitoIdentityCredentials is not authorized to perform: lambda:InvokeFunction on resource: "
        'arn:aws:lambda:us-east-1:009825708026:function:LambdAuthCreateUser"}',
        Expected(
            Reason.UNSPECIFIED,
            "lambda:InvokeFunction",
            "Cognito_toadkicker_poolUnauth_Role",
            "CognitoIdentityCredentials",
            "009825708026",
            "LambdAuthCreateUser",
            None,
            "us-east-1",
            "009825708026",
        ),
    ),
]

# The policy-type forms, built on the template of the IAM User Guide, "Troubleshoot access denied error
# messages" (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html):
# "because no <type> allows the <action> action" / "with an explicit deny in a <type>".
BASE = (
    "User: arn:aws:sts::111122223333:assumed-role/CallerRole/caller-fn is not authorized to perform: "
    "{action} on resource: arn:aws:lambda:eu-west-1:444455556666:function:callee:live {tail}"
)
FORMS: list[tuple[str, Reason]] = [
    ("because no identity-based policy allows the {action} action", Reason.NO_IDENTITY_ALLOW),
    ("because no resource-based policy allows the {action} action", Reason.NO_RESOURCE_ALLOW),
    ("because no permissions boundary allows the {action} action", Reason.NO_BOUNDARY_ALLOW),
    ("because no session policy allows the {action} action", Reason.NO_SESSION_ALLOW),
    ("because no VPC endpoint policy allows the {action} action", Reason.NO_ENDPOINT_ALLOW),
    ("with an explicit deny in an identity-based policy", Reason.DENY_IDENTITY),
    ("with an explicit deny in a resource-based policy", Reason.DENY_RESOURCE),
    ("with an explicit deny in a service control policy", Reason.DENY_SCP),
    ("with an explicit deny in a resource control policy", Reason.DENY_RCP),
    ("with an explicit deny in a permissions boundary", Reason.DENY_BOUNDARY),
    ("with an explicit deny in a session policy", Reason.DENY_SESSION),
    ("with an explicit deny", Reason.DENY_UNNAMED),
    ("", Reason.UNSPECIFIED),
]
ACTIONS = ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:InvokeAsync"]


def test_service_caller() -> None:
    # awslabs/aws-automated-incident-response-and-forensics#13, cut off in the thread after "policy";
    # completed here with the IAM template's "allows the lambda:InvokeFunction action"; `xxxx` filled
    text = (
        '{"ErrorCode":"AccessDeniedException","ErrorMessage":"User: sns.amazonaws.com is not authorized to '
        "perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:111122223333:function:"
        'SlackNotificationLambda because no resource-based policy allows the lambda:InvokeFunction action"}'
    )
    denial = parse_denial(text)
    assert (denial.principal, denial.role, denial.caller_account, denial.service_caller) == (
        "sns.amazonaws.com",
        None,
        None,
        True,
    )
    assert (denial.reason, denial.function, denial.cross_account) == (
        Reason.NO_RESOURCE_ALLOW,
        "SlackNotificationLambda",
        False,
    )


NAME = st.text(alphabet=string.ascii_letters + string.digits + "+=,.@_-", min_size=1, max_size=64)
FUNCTION = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=64)
QUALIFIER = st.none() | st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}|[1-9][0-9]{0,4}|\$LATEST", fullmatch=True)
ACCOUNT = st.from_regex(r"[0-9]{12}", fullmatch=True)


@settings(max_examples=200, derandomize=True)
@given(
    role=NAME,
    session=NAME,
    function=FUNCTION,
    qualifier=QUALIFIER,
    caller_account=ACCOUNT,
    function_account=ACCOUNT,
    action=st.sampled_from(ACTIONS),
    form=st.sampled_from(FORMS),
    prefix=st.sampled_from(
        [
            "",
            "[ERROR] ClientError: An error occurred (AccessDeniedException) when calling "
            "the Invoke operation: ",
            '{"errorMessage": "',
        ]
    ),
)
def test_every_field_round_trips(
    role: str,
    session: str,
    function: str,
    qualifier: str | None,
    caller_account: str,
    function_account: str,
    action: str,
    form: tuple[str, Reason],
    prefix: str,
) -> None:
    resource = f"arn:aws:lambda:ap-southeast-2:{function_account}:function:{function}"
    resource += f":{qualifier}" if qualifier else ""
    tail, reason = form
    text = (
        f"{prefix}User: arn:aws:sts::{caller_account}:assumed-role/{role}/{session} is not authorized to "
        f"perform: {action} on resource: {resource} {tail.format(action=action)}"
    )
    denial = parse_denial(text)
    assert (denial.role, denial.session, denial.caller_account, denial.action, denial.reason) == (
        role,
        session,
        caller_account,
        action,
        reason,
    )
    assert (denial.function, denial.qualifier, denial.function_arn) == (function, qualifier, resource)


@pytest.mark.parametrize(("name", "text", "expected"), REAL, ids=[r[0] for r in REAL])
def test_real_messages(name: str, text: str, expected: Expected) -> None:
    denial = parse_denial(text)
    got = Expected(
        denial.reason,
        denial.action,
        denial.role,
        denial.session,
        denial.caller_account,
        denial.function or "",
        denial.qualifier,
        denial.region or "",
        denial.function_account or "",
    )
    assert got == expected, name


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(("tail", "reason"), FORMS, ids=[f[1].name for f in FORMS])
def test_every_form_and_action(tail: str, reason: Reason, action: str) -> None:
    denial = parse_denial(BASE.format(action=action, tail=tail.format(action=action)))
    assert (denial.reason, denial.action, denial.qualifier, denial.cross_account) == (
        reason,
        action,
        "live",
        True,
    )
    assert denial.function_arn == "arn:aws:lambda:eu-west-1:444455556666:function:callee:live"
    assert denial.role_arn == "arn:aws:iam::111122223333:role/CallerRole"
    assert denial.reason.explicit is reason.name.startswith("DENY_")


def test_action_case_is_canonical() -> None:
    # IAM action names are case-insensitive; the Ruby SDK thread spells it lambda:invokeFunction
    # (aws/aws-sdk-ruby#706); the denial keeps AWS's spelling.
    assert parse_denial(
        SEED.replace("perform: lambda:InvokeFunction", "perform: lambda:invokefunction")
    ).action == ("lambda:InvokeFunction")


def test_partition_and_versions() -> None:
    text = SEED.replace("arn:aws:sts", "arn:aws-cn:sts").replace(
        "arn:aws:lambda:us-east-1:123456789012:function:processor",
        "arn:aws-cn:lambda:cn-north-1:123456789012:function:processor:$LATEST",
    )
    denial = parse_denial(text)
    assert (denial.partition, denial.region, denial.qualifier) == ("aws-cn", "cn-north-1", "$LATEST")


def test_iam_user_caller() -> None:
    denial = parse_denial(
        SEED.replace(
            "arn:aws:sts::123456789012:assumed-role/RequestFunctionRole-AbC/RequestFunction",
            "arn:aws:iam::123456789012:user/dev/alice",
        )
    )
    assert (denial.user, denial.role, denial.session) == ("alice", None, None)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("something broke", "no `User: <principal> is not authorized to perform: <action>` sentence found"),
        # cloud-custodian/cloud-custodian#4736: a real denial, but not of an invoke
        (
            "User: arn:aws:iam::111111111111:user/USERNAME is not authorized to perform: lambda:GetFunction "
            "on "
            "resource: arn:aws:lambda:us-east-1:111111111111:function:custodian-s3 with an explicit deny",
            "the denied action is lambda:GetFunction, not an invoke",
        ),
        (
            "User: ... is not authorized to perform: lambda:InvokeFunction",
            "the text holds no caller and no callee",
        ),
        (
            SEED.replace("arn:aws:lambda:us-east-1:123456789012:function:processor", "arn:aws:s3:::bucket"),
            "arn:aws:s3:::bucket is not a Lambda function ARN",
        ),
    ],
)
def test_unreadable_messages_say_what_was_expected(text: str, says: str) -> None:
    with pytest.raises(DenialError) as caught:
        parse_denial(text)
    assert says in str(caught.value)
    assert "lambda:InvokeFunction on resource" in str(caught.value) or "not an invoke" in str(caught.value)


def test_an_unknown_wording_is_kept_and_the_rest_still_read() -> None:
    denial = parse_denial(SEED.replace("identity-based policy", "mystery policy"))
    assert (denial.reason, denial.role, denial.function) == (
        Reason.UNKNOWN,
        "RequestFunctionRole-AbC",
        "processor",
    )
    assert denial.reason_text == "because no mystery policy allows the lambda:InvokeFunction action"


def test_a_caller_without_a_resource_is_still_read() -> None:
    denial = parse_denial(
        "User: arn:aws:sts::123456789012:assumed-role/R/S is not authorized to perform: lambda:InvokeFunction"
    )
    assert (denial.role, denial.function, denial.masked) == ("R", None, ("function",))


URL = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-west-2.on.aws/"


@pytest.mark.parametrize(
    "body",
    [
        # brikis98/devops-book#12 and ant-media/Ant-Media-Server#7827: the body of a refused URL call
        '{"Message": "Forbidden. For troubleshooting Function URL authorization issues, see: '
        'https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}',
        # awsdocs/aws-lambda-developer-guide#494: with the status line and header
        'HTTP/1.1 403 Forbidden\nx-amzn-ErrorType: AccessDeniedException\n{"Message":"Forbidden. For '
        "troubleshooting Function URL authorization issues, see: "
        'https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}',
        '{"Message":"Forbidden"}',
        "",
    ],
)
def test_url_forbidden(body: str) -> None:
    denial = parse_url_denial(URL, body)
    assert (denial.reason, denial.region, denial.url, denial.function) == (
        Reason.URL_FORBIDDEN,
        "us-west-2",
        URL,
        None,
    )


def test_url_with_an_iam_message_reads_the_message() -> None:
    denial = parse_url_denial(URL, SEED.replace("lambda:InvokeFunction", "lambda:InvokeFunctionUrl"))
    assert (denial.action, denial.url, denial.function) == ("lambda:InvokeFunctionUrl", URL, "processor")


@pytest.mark.parametrize(("url", "body"), [("https://example.com/", ""), (URL, "Internal server error")])
def test_url_errors(url: str, body: str) -> None:
    with pytest.raises(DenialError):
        parse_url_denial(url, body)


def test_as_dict_is_complete() -> None:
    denial: Denial = parse_denial(SEED)
    data = denial.as_dict()
    assert data["function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:processor"
    assert data["reason"] == "no identity-based policy allows"
    assert data["explicit_deny"] is False and data["cross_account"] is False
