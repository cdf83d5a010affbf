"""Denial messages from callers other than a Lambda execution role, and unknown policy types."""

from __future__ import annotations

import dataclasses

import pytest
from auto_invoke_permission.diagnose.denial import Reason, parse_denial

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:processor"


def sentence(principal: str, tail: str, resource: str = FUNCTION_ARN) -> str:
    action = "lambda:InvokeFunction"
    return f"User: {principal} is not authorized to perform: {action} on resource: {resource} {tail}"


def test_a_service_principal_names_no_account_or_role() -> None:
    denial = parse_denial(
        sentence(
            "sns.amazonaws.com", "because no resource-based policy allows the lambda:InvokeFunction action"
        )
    )
    assert (denial.principal, denial.caller_account, denial.role, denial.user) == (
        "sns.amazonaws.com",
        None,
        None,
        None,
    )
    assert denial.reason is Reason.NO_RESOURCE_ALLOW
    assert denial.role_arn is None
    assert denial.function_arn == FUNCTION_ARN


def test_an_iam_user_with_a_path_and_a_lower_case_action() -> None:
    text = sentence(
        "arn:aws:iam::123456789012:user/dev/alice",
        "because no identity-based policy allows the lambda:InvokeFunction action",
        f"{FUNCTION_ARN}:live",
    ).replace("lambda:InvokeFunction on", "lambda:invokefunction on")
    denial = parse_denial(text)
    assert (denial.user, denial.role, denial.caller_account) == ("alice", None, "123456789012")
    assert denial.action == "lambda:InvokeFunction"
    assert denial.function_arn == f"{FUNCTION_ARN}:live"


def test_function_arn_needs_region_and_account() -> None:
    denial = parse_denial(
        sentence(
            "arn:aws:sts::123456789012:assumed-role/R/S",
            "because no identity-based policy allows the lambda:InvokeFunction action",
        )
    )
    assert dataclasses.replace(denial, region=None).function_arn is None
    assert dataclasses.replace(denial, function_account=None).function_arn is None


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        ("with an explicit deny in a frobnicator policy", Reason.UNKNOWN),
        ("because no service control policy allows the lambda:InvokeFunction action", Reason.NO_SCP_ALLOW),
    ],
)
def test_policy_types_beyond_the_common_ones(tail: str, reason: Reason) -> None:
    denial = parse_denial(sentence("arn:aws:sts::123456789012:assumed-role/R/S", tail))
    assert (denial.reason, denial.reason_text, denial.role) == (reason, tail, "R")
