"""The hook's decision for parsed templates it cannot read as the macro would: invalid options, an
inline Fn::Transform among the resources, a template that is no mapping."""

from __future__ import annotations

from typing import Any

from auto_invoke_permission.hook.policy import FAILED, SUCCESS, HookPolicy, decide
from auto_invoke_permission.model import TransformContext

CONTEXT = TransformContext("us-east-1", "123456789012")
TOPIC = {"T": {"Type": "AWS::SNS::Topic"}}
NOTHING = "AutoInvokePermission hook: no Lambda-to-Lambda invoke grant needs a permission."


def test_invalid_options_are_ignored_with_a_note() -> None:
    template = {"Metadata": {"AutoInvokePermission": {"Mode": "loud"}}, "Resources": TOPIC}
    decision = decide(template, HookPolicy(), CONTEXT)
    assert decision.status == SUCCESS
    assert decision.message == (
        NOTHING + " 1) the template's options were ignored: Metadata.AutoInvokePermission: option Mode has "
        "value 'loud'; allowed values: audit, inject, enforce"
    )


def test_an_inline_transform_is_not_read_as_a_resource() -> None:
    template: dict[str, Any] = {"Resources": {"Fn::Transform": {"Name": "Other"}, **TOPIC}}
    decision = decide(template, HookPolicy(), CONTEXT)
    assert (decision.status, decision.message, decision.problem) == (SUCCESS, NOTHING, None)


def test_a_template_that_is_no_mapping_is_an_own_failure() -> None:
    decision = decide(["Resources"], HookPolicy(fail_closed=True), CONTEXT)
    assert (decision.status, decision.error_code, decision.problem) == (
        FAILED,
        "InternalFailure",
        "the template is a list, not a mapping",
    )
