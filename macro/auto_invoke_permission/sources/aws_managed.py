"""AWS managed policies known to allow lambda:InvokeFunction on every function."""

from __future__ import annotations

import re

from ..resolver import Resolver, literal

# name -> why it grants invoke on "*"
WILDCARD_INVOKE_POLICIES: dict[str, str] = {
    "AWSLambdaRole": "lambda:InvokeFunction on *",
    "AWSLambda_FullAccess": "lambda:* on *",
    "AWSLambdaFullAccess": "lambda:* on * (deprecated policy)",
    "AWSLambdaInvocation-DynamoDB": "lambda:InvokeFunction on *",
    "AdministratorAccess": "* on *",
    "PowerUserAccess": "NotAction iam/organizations/account on *",
}

_MANAGED_ARN = re.compile(r"^arn:[\w-]+:iam::aws:policy/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")


def wildcard_policy_name(node: object, resolver: Resolver) -> str | None:
    """The policy name when `node` (a SAM policy name or a managed policy ARN) grants invoke on *."""
    if isinstance(node, str):
        text: str | None = node
    else:
        value = resolver.scalar(node)
        text = literal(value) if isinstance(value, tuple) else None
    if text is None:
        return None
    match = _MANAGED_ARN.match(text) if text.startswith("arn:") else None
    name = match.group(1) if match else text
    return name if name in WILDCARD_INVOKE_POLICIES else None
