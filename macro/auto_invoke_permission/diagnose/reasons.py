"""What each reason of a denial means, which policy layer it points at, and what a mask costs.

explain.py ranks causes from the templates; the layers a template does not hold (organization
policies, VPC endpoint policies, session policies, credentials) are said here, one entry per reason,
each with its own cause and fix. "Wait for IAM to propagate" is offered only where a missing Allow
can be what the message reports: a propagation delay never produces an explicit Deny, nor a
boundary, session, endpoint or organization policy that leaves the call out.
"""

from __future__ import annotations

from dataclasses import dataclass

from .denial import Denial, Reason

# reasons where the template's identity or resource grant is what IAM did not see
PROPAGATION_POSSIBLE = frozenset({Reason.NO_IDENTITY_ALLOW, Reason.NO_RESOURCE_ALLOW, Reason.UNSPECIFIED})


def propagation_possible(denial: Denial) -> bool:
    """Whether a grant that exists but is not yet visible could give this message."""
    return denial.via is None and denial.reason in PROPAGATION_POSSIBLE


@dataclass(frozen=True)
class LayerCase:
    """A cause in a policy layer outside the templates: the CaseKind's name, what is wrong, the fix."""

    kind: str  # a CaseKind name of explain.py
    summary: str
    fix: str


def layer_case(denial: Denial) -> LayerCase | None:
    """The cause the reason names when it lies outside the templates (None when templates can hold it)."""
    d = denial
    reason = d.effective_reason
    action = d.action
    target = function_text(d)
    organization = _ORGANIZATION.get(reason)
    if organization is not None:
        kind, whose = organization
        through = " (the message names the VPC endpoint policy; AWS says to check the SCPs)" if d.via else ""
        verb = "denies" if reason.explicit else "does not allow"
        return LayerCase(
            "ORGANIZATION_DENY",
            f"A {kind} of the {whose} organization {verb} {action}{through}; templates cannot override it.",
            _organization_fix(kind, reason, d),
        )
    if reason in (Reason.NO_SESSION_ALLOW, Reason.DENY_SESSION):
        verb = "denies it explicitly" if reason.explicit else "leaves the call out"
        return LayerCase(
            "SESSION_POLICY",
            f"The session policy passed when this role was assumed {verb}; Lambda's own execution-role "
            "sessions carry none, so whoever called AssumeRole (or GetFederationToken) passed it.",
            (
                f"Remove the Deny for {action} from the session policy (the Policy/PolicyArns of AssumeRole)"
                if reason.explicit
                else f"Add {action} on {target} to the session policy, or assume the role without one"
            )
            + "; waiting does not help.",
        )
    if reason in (Reason.NO_ENDPOINT_ALLOW, Reason.DENY_ENDPOINT):
        verb = "has a Deny statement matching" if reason.explicit else "has no statement allowing"
        return LayerCase(
            "ENDPOINT_POLICY",
            f"The call went through a VPC endpoint for Lambda whose endpoint policy {verb} {action} on "
            f"{target} for this principal.",
            (
                "Remove or narrow the Deny in the endpoint policy"
                if reason.explicit
                else f"Allow {action} on {target} for {d.role_arn or d.principal or 'the caller'} in the "
                "endpoint policy"
            )
            + " (aws ec2 describe-vpc-endpoints --filters Name=service-name,Values=com.amazonaws."
            f"{d.region or '<region>'}.lambda); templates of the functions do not hold it, and waiting does "
            "not help.",
        )
    return None


_ORGANIZATION = {
    Reason.DENY_SCP: ("service control policy", "caller's"),
    Reason.NO_SCP_ALLOW: ("service control policy", "caller's"),
    Reason.DENY_RCP: ("resource control policy", "callee's"),
    Reason.NO_RCP_ALLOW: ("resource control policy", "callee's"),
}


def _organization_fix(kind: str, reason: Reason, d: Denial) -> str:
    change = "remove or narrow the Deny statement" if reason.explicit else f"add an Allow for {d.action}"
    policy = f" {d.policy_arn}" if d.policy_arn else ""
    return (
        f"Ask the organization's administrator to {change} in the {kind}{policy} that applies to account "
        f"{(d.caller_account if 'service' in kind else d.function_account) or '<account>'} (aws "
        "organizations list-policies-for-target); waiting does not help."
    )


def boundary_deny_fix(role: str, action: str, target: str) -> str:
    """The fix for an explicit Deny in a permissions boundary (not propagation, not a missing Allow)."""
    return (
        f"Remove or narrow the Deny statement for {action} on {target} in the policy set as "
        f"{role}'s PermissionsBoundary; an Allow elsewhere cannot override it, and waiting does not help."
    )


# ------------------------------------------------------------------ texts that are not IAM denials
OTHER_MEANING: dict[Reason, list[str]] = {
    Reason.TOKEN_INVALID: [
        "This is not a permission problem: AWS did not recognise the credentials that signed the request "
        "(an access key that does not exist or was deleted, temporary credentials sent without their "
        "session token, or credentials of another partition or region-disabled STS).",
        "No policy change helps; refresh the credentials (aws sts get-caller-identity shows which are "
        "used). A function URL answers 403 with this text too.",
    ],
    Reason.TOKEN_EXPIRED: [
        "This is not a permission problem: the temporary credentials that signed the request have "
        "expired (or the signature is older than 15 minutes).",
        "Refresh the credentials (a new AssumeRole or SSO login), and check the clock of the signing host.",
    ],
    Reason.SIGNATURE_MISMATCH: [
        "This is not a permission problem: the request's signature does not match (wrong secret key, "
        "a body or header changed after signing, or signed for another service than `lambda` or "
        "another region).",
        "For a function URL sign with service `lambda` and the URL's region, and sign the exact body sent.",
    ],
    Reason.CROSS_ACCOUNT_LOG: [
        "Lambda refuses `LogType: Tail` when the caller's account is not the function's: this "
        "AccessDeniedException is not about invoke permissions.",
        "Invoke without LogType=Tail (read the logs in the function's account), or call with credentials "
        "of the function's account (assume a role there).",
    ],
    Reason.APIGATEWAY_PERMISSION: [
        "API Gateway could not invoke the integration's function: its resource policy has no statement "
        "for apigateway.amazonaws.com with this API's SourceArn, or the integration's credentials role "
        "may not invoke it.",
        "Add an AWS::Lambda::Permission {Action: lambda:InvokeFunction, Principal: apigateway.amazonaws.com, "
        "SourceArn: arn:aws:execute-api:<region>:<account>:<api-id>/*} (SAM adds it for Api events), or "
        "give the integration's Credentials role lambda:InvokeFunction.",
    ],
}

NEW_REASON_MEANING: dict[Reason, str] = {
    Reason.NO_SCP_ALLOW: "No service control policy of the caller's organization allows this action: "
    "the organization's administrator must add it; no template change helps.",
    Reason.NO_RCP_ALLOW: "No resource control policy of the callee's organization allows this action.",
    Reason.NO_TRUST_ALLOW: "A role trust policy does not allow this principal (not an invoke permission).",
    Reason.DENY_TRUST: "A role trust policy denies this principal (not an invoke permission).",
    Reason.UNKNOWN: "The message gives a reason this tool does not know; caller and callee are read below.",
}


def reason_meaning(d: Denial) -> str:
    """The meaning of a reason that explain.py's own table does not hold."""
    if d.reason is Reason.UNKNOWN:
        return f"{NEW_REASON_MEANING[Reason.UNKNOWN]} The wording: {d.reason_text!r}."
    return NEW_REASON_MEANING.get(d.reason, d.reason.value)


def extra_lines(d: Denial) -> list[str]:
    """What else the message says: the policy behind an endpoint deny, policy ARN, authorization ID."""
    lines: list[str] = []
    if d.via is not None:
        lines.append(
            "The VPC endpoint policy is named, transitively through a "
            f"{d.via.value.split(' in a ')[-1]}: the IAM User Guide says to check that policy (its Deny "
            "statement) for the action."
        )
    if d.policy_arn:
        lines.append(f"The denying policy: {d.policy_arn}.")
    if d.authorization_id:
        lines.append(
            f"Authorization ID {d.authorization_id}: open the console link of the message, or call IAM's "
            "GetRequestAuthorizationDetails with it (needs iam:GetRequestAuthorizationDetails; kept at "
            "least 24 hours) to see every policy IAM evaluated."
        )
    if d.bare_function:
        lines.append(
            f"The message names the function {d.function!r} without its ARN (AWS writes the name as the "
            "caller passed it): region and account are the caller's, unless the templates say otherwise."
        )
    return lines


# ------------------------------------------------------------------ masks
MASK_COST = {
    "caller account": "whether the call crossed accounts (then both sides must allow it)",
    "function account": "whether the call crossed accounts (then both sides must allow it)",
    "caller": "which role or user called, so only the callee's side can be checked",
    "role": "the caller's role, so the caller is found by its session (the function name) if at all",
    "role (partly)": "part of the role name; the rest is matched as a pattern",
    "session": "the role session (for Lambda, the calling function's name)",
    "user": "the IAM user who called",
    "user (partly)": "part of the user name",
    "region": "the function's region",
    "function": "the callee, so only the caller's side can be checked",
    "function (partly)": "part of the function name; the rest is matched as a pattern",
}


def mask_lines(d: Denial) -> list[str]:
    """What the masks of the message hide, and what can still be said."""
    if not d.masked:
        return []
    hidden = "; ".join(f"{field} ({MASK_COST.get(field, field)})" for field in dict.fromkeys(d.masked))
    kept = [
        f"{label} {value}"
        for label, value in (
            ("role", d.role),
            ("role pattern", d.role_glob),
            ("session", d.session),
            ("user", d.user),
            ("caller account", d.caller_account),
            ("function", d.function),
            ("function pattern", d.function_glob),
            ("region", d.region),
            ("function account", d.function_account),
        )
        if value
    ]
    lines = [f"Masked in the message: {hidden}."]
    lines.append("Still readable: " + (", ".join(kept) if kept else "the action and the reason") + ".")
    if "caller account" in d.masked and "function account" in d.masked:
        lines.append(
            "Both accounts are masked: the diagnosis assumes one account; across accounts both sides "
            "must allow the call."
        )
    return lines


def function_text(d: Denial) -> str:
    """The function's ARN, with placeholders for what the message masks or leaves out."""
    if d.function_arn:
        return d.function_arn
    name = d.function or d.function_glob or "<function>"
    where = f"{d.region or '<region>'}:{d.function_account or '<account>'}"
    arn = f"arn:{d.partition}:lambda:{where}:function:{name}"
    return f"{arn}:{d.qualifier}" if d.qualifier else arn
