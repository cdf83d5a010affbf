"""Permissions boundaries that leave out lambda:InvokeFunction (AIP133): a warning; the permission stays."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import codes, document, run, sam_function, statement
from snippets import OTHER_ARN, WORKER_ARN


def template(boundary_statements: list[dict[str, Any]], boundary_ref: Any = None) -> dict[str, Any]:
    return {
        "Resources": {
            "Caller": sam_function(
                Policies=[document(statement(WORKER_ARN))],
                PermissionsBoundary=boundary_ref or {"Ref": "Boundary"},
            ),
            "Worker": sam_function(),
            "Other": sam_function(),
            "Boundary": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"PolicyDocument": document(*boundary_statements)},
            },
        }
    }


@pytest.mark.parametrize(
    ("boundary", "ref", "expected"),
    [
        # the boundary allows invoking the callee: nothing to say
        ([statement(WORKER_ARN)], None, set()),
        # it allows every function
        ([statement("*", "lambda:*")], None, set()),
        # it allows invoking only another function: the call to Worker is denied
        ([statement(OTHER_ARN)], None, {"AIP133"}),
        # it allows nothing of Lambda
        ([statement("*", "s3:GetObject")], None, {"AIP133"}),
        # a condition in the boundary: it may allow the call, so no claim is made
        ([statement(OTHER_ARN, Condition={"Bool": {"aws:SecureTransport": "true"}})], None, set()),
        # a boundary outside the template cannot be read: no claim
        ([statement(OTHER_ARN)], "arn:aws:iam::123456789012:policy/team-boundary", set()),
        # the boundary named by its PolicyArn attribute is read like its Ref
        ([statement(OTHER_ARN)], {"Fn::GetAtt": ["Boundary", "PolicyArn"]}, {"AIP133"}),
    ],
    ids=[
        "allows-callee",
        "allows-all",
        "allows-other",
        "allows-no-lambda",
        "conditional",
        "external",
        "by-policyarn",
    ],
)
def test_boundary(boundary: list[dict[str, Any]], ref: Any, expected: set[str]) -> None:
    result = run(template(boundary, ref))
    assert codes(result) & {"AIP133"} == expected
    # the permission mirrors the grant whatever the boundary says
    assert [(p.callee.function, p.principal.label) for p in result.added] == [("Worker", "CallerRole")]


def test_boundary_on_a_plain_role() -> None:
    fragment = template([statement(OTHER_ARN)])
    fragment["Resources"]["CallerRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "PermissionsBoundary": {"Ref": "Boundary"},
            "Policies": [{"PolicyName": "p", "PolicyDocument": document(statement(WORKER_ARN))}],
        },
    }
    fragment["Resources"]["Caller"] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Role": {"Fn::GetAtt": ["CallerRole", "Arn"]}},
    }
    result = run(fragment)
    found = [f for f in result.findings if f.code == "AIP133"]
    assert [(f.path, f.message) for f in found] == [
        (
            "CallerRole.Properties.Policies[0].PolicyDocument.Statement[0]",
            "the permissions boundary Boundary of CallerRole allows no lambda:InvokeFunction on Worker",
        )
    ]
