"""`explain`'s text when the templates hold neither the caller nor the callee of the message."""

from __future__ import annotations

from auto_invoke_permission.cli.template_io import read_template
from auto_invoke_permission.diagnose.denial import parse_denial
from auto_invoke_permission.diagnose.explain import CaseKind, analyze_template, diagnose, render_text
from repository import SAMPLES

SEED = str(SAMPLES / "seed" / "template.yaml")
DENIAL = parse_denial(
    "User: arn:aws:sts::123456789012:assumed-role/SomeoneElse/x is not authorized to perform: "
    "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:zzz-unrelated "
    "because no identity-based policy allows the lambda:InvokeFunction action"
)


def test_neither_side_in_the_templates() -> None:
    diagnosis = diagnose(DENIAL, [analyze_template(read_template(SEED), DENIAL, {})])
    assert (diagnosis.caller, diagnosis.callee) == (None, None)
    assert [case.kind for case in diagnosis.cases] == [CaseKind.CALLER_NOT_IN_TEMPLATES]
    text = render_text(diagnosis)
    assert (
        "\n\nIn the templates\n  caller: not found in the templates\n  callee: not found in the templates\n\n"
        "Likely causes, most likely first\n  1. caller role not in the templates\n"
        "     The role SomeoneElse is not a role of the templates (their invoke grants are for "
        "RequestFunctionRole): the function runs with another role than the one the template grants.\n"
    ) in text
    assert text.endswith(
        "  - autoinvoke explain --live ... reads these policies and asks IAM's policy simulator\n"
    )
