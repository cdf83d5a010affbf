"""`autoinvoke explain --live`: the deployed policies, read with boto3, and IAM's own verdict.

Read-only calls only: lambda:GetPolicy (for the exact qualifier), iam:GetRole, iam:ListRolePolicies,
iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion and
iam:SimulatePrincipalPolicy. A call the credentials may not make becomes one line naming its action.

The statements are evaluated with the core's IAM glob (statements.glob_match): Action case-insensitive,
Resource case-sensitive, `*` and `?` across the whole ARN. A statement with a Condition is never
counted as allowing (its keys are not known here) and is reported as such. boto3 is imported here
only, and only when --live is given (it is the `live` extra).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..statements import glob_match
from .denial import Denial, Reason
from .explain import ALLOW_CALLERS_KEY, Case, CaseKind, Diagnosis, add_permission_command

DEPLOYED = "deployed"  # Case.template of a case read from the live policies


class LiveError(Exception):
    """--live cannot start (no boto3, unknown profile)."""


@dataclass(frozen=True)
class Clients:
    lambda_: Any
    iam: Any


def clients_from_session(profile: str | None, region: str | None) -> Clients:
    try:
        import boto3
        from botocore.exceptions import BotoCoreError
    except ImportError as err:
        raise LiveError("needs boto3: pip install 'autoinvoke[live]'") from err
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        return Clients(session.client("lambda"), session.client("iam"))
    except BotoCoreError as err:
        raise LiveError(str(err)) from err


@dataclass(frozen=True)
class Policy:
    label: str  # "inline RequestPolicy", "managed arn:...", "boundary arn:...", "resource policy"
    document: Any


@dataclass
class Deployed:
    role_arn: str | None = None  # with its path, from GetRole
    boundary: Policy | None = None
    identity: list[Policy] = field(default_factory=list)
    resource: Policy | None = None  # None: no resource policy (or not readable)
    resource_read: bool = False
    errors: list[str] = field(default_factory=list)


def _call(deployed: Deployed, action: str, method: Callable[..., Any], **params: Any) -> Any:
    """One API call; a failure becomes one line in `deployed.errors` (never a traceback)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return method(**params)
    except ClientError as err:
        error = err.response.get("Error", {})
        code = error.get("Code", "")
        if code in ("AccessDenied", "AccessDeniedException"):
            deployed.errors.append(f"not allowed to call {action} (add it to the caller of --live): {code}")
        elif code not in ("ResourceNotFoundException",):
            deployed.errors.append(f"{action} failed: {code}: {error.get('Message', '')}".rstrip(": "))
        return {"__error__": code}
    except BotoCoreError as err:
        deployed.errors.append(f"{action} failed: {err}")
        return {"__error__": type(err).__name__}


def _document(value: Any) -> Any:
    """IAM returns URL-encoded JSON; botocore usually decodes it already."""
    if isinstance(value, str):
        try:
            return json.loads(urllib.parse.unquote(value))
        except json.JSONDecodeError:
            return None
    return value


def read_deployed(denial: Denial, clients: Clients) -> Deployed:
    deployed = Deployed()
    if denial.function is not None:
        params: dict[str, Any] = {"FunctionName": denial.function_arn or denial.function}
        if denial.qualifier:
            params = {
                "FunctionName": (denial.function_arn or "").rsplit(":", 1)[0],
                "Qualifier": denial.qualifier,
            }
        answer = _call(deployed, "lambda:GetPolicy", clients.lambda_.get_policy, **params)
        if "__error__" not in answer:
            deployed.resource = Policy("resource policy", _document(answer.get("Policy")))
            deployed.resource_read = True
        elif answer["__error__"] == "ResourceNotFoundException":
            deployed.resource_read = True  # the function (or this qualifier) has no resource policy
    if denial.role is None:
        return deployed
    role = _call(deployed, "iam:GetRole", clients.iam.get_role, RoleName=denial.role)
    if "__error__" not in role:
        deployed.role_arn = role["Role"].get("Arn")
        boundary_arn = (role["Role"].get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary_arn:
            document = _managed_document(deployed, clients, boundary_arn)
            deployed.boundary = Policy(f"boundary {boundary_arn}", document)
    for name in _paged(
        deployed, "iam:ListRolePolicies", clients.iam.list_role_policies, "PolicyNames", denial.role
    ):
        answer = _call(
            deployed, "iam:GetRolePolicy", clients.iam.get_role_policy, RoleName=denial.role, PolicyName=name
        )
        if "__error__" not in answer:
            deployed.identity.append(Policy(f"inline policy {name}", _document(answer.get("PolicyDocument"))))
    attached = _paged(
        deployed,
        "iam:ListAttachedRolePolicies",
        clients.iam.list_attached_role_policies,
        "AttachedPolicies",
        denial.role,
    )
    for item in attached:
        arn = item.get("PolicyArn")
        document = _managed_document(deployed, clients, arn)
        if document is not None:
            deployed.identity.append(Policy(f"managed policy {arn}", document))
    return deployed


def _paged(deployed: Deployed, action: str, method: Callable[..., Any], key: str, role: str) -> list[Any]:
    items: list[Any] = []
    params: dict[str, Any] = {"RoleName": role}
    while True:
        answer = _call(deployed, action, method, **params)
        if "__error__" in answer:
            return items
        items.extend(answer.get(key, []))
        if not answer.get("IsTruncated"):
            return items
        params = {"RoleName": role, "Marker": answer["Marker"]}


def _managed_document(deployed: Deployed, clients: Clients, arn: str) -> Any:
    policy = _call(deployed, "iam:GetPolicy", clients.iam.get_policy, PolicyArn=arn)
    if "__error__" in policy:
        return None
    version = policy["Policy"].get("DefaultVersionId")
    answer = _call(
        deployed, "iam:GetPolicyVersion", clients.iam.get_policy_version, PolicyArn=arn, VersionId=version
    )
    if "__error__" in answer:
        return None
    return _document(answer["PolicyVersion"].get("Document"))


# ------------------------------------------------------------------ evaluation
@dataclass(frozen=True)
class Hit:
    label: str  # "inline policy P Statement[1] (Sid X)"
    effect: str
    conditional: bool


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(policy: Policy) -> list[tuple[str, Mapping[str, Any]]]:
    doc = policy.document
    if not isinstance(doc, Mapping):
        return []
    body = doc.get("Statement")
    out = []
    for index, stmt in enumerate(_list(body)):
        if isinstance(stmt, Mapping):
            sid = f" (Sid {stmt['Sid']})" if isinstance(stmt.get("Sid"), str) else ""
            out.append((f"{policy.label} Statement[{index}]{sid}", stmt))
    return out


def _matches(patterns: Any, text: str, fold: bool) -> bool:
    for pattern in _list(patterns):
        if isinstance(pattern, str) and glob_match(
            pattern.lower() if fold else pattern, text.lower() if fold else text
        ):
            return True
    return False


def statement_applies(stmt: Mapping[str, Any], action: str, resource: str) -> bool:
    """Action and Resource (or their Not- forms) of one statement cover (action, resource)."""
    if "Action" in stmt:
        if not _matches(stmt["Action"], action, fold=True):
            return False
    elif "NotAction" in stmt:
        if _matches(stmt["NotAction"], action, fold=True):
            return False
    else:
        return False
    if "Resource" in stmt:
        return _matches(stmt["Resource"], resource, fold=False)
    if "NotResource" in stmt:
        return not _matches(stmt["NotResource"], resource, fold=False)
    return "Principal" in stmt  # a resource policy statement may leave Resource implicit


def hits(
    policies: list[Policy], action: str, resource: str, principal: Callable[[Any], bool] | None = None
) -> list[Hit]:
    found = []
    for policy in policies:
        for label, stmt in _statements(policy):
            if principal is not None and not principal(stmt.get("Principal")):
                continue
            if statement_applies(stmt, action, resource) and stmt.get("Effect") in ("Allow", "Deny"):
                found.append(Hit(label, str(stmt["Effect"]), "Condition" in stmt))
    return found


def principal_matcher(denial: Denial, role_arn: str | None) -> Callable[[Any], bool]:
    names = {n for n in (role_arn, denial.role_arn, denial.principal) if n}
    if denial.caller_account:
        names |= {denial.caller_account, f"arn:{denial.partition}:iam::{denial.caller_account}:root"}

    def matches(principal: Any) -> bool:
        if principal == "*":
            return True
        if isinstance(principal, Mapping):
            return any(p == "*" or p in names for p in _list(principal.get("AWS")))
        return False

    return matches


@dataclass(frozen=True)
class Side:
    allows: list[Hit]
    denies: list[Hit]
    conditional: list[Hit]

    @property
    def allowed(self) -> bool:
        return bool(self.allows) and not self.denies


def side(found: list[Hit]) -> Side:
    return Side(
        [h for h in found if h.effect == "Allow" and not h.conditional],
        [h for h in found if h.effect == "Deny" and not h.conditional],
        [h for h in found if h.conditional],
    )


def evaluate(denial: Denial, deployed: Deployed) -> tuple[list[Case], list[str], bool]:
    """The cases the deployed policies show, the lines that say what was read, and our verdict."""
    d = denial
    arn = d.function_arn or ""
    action = d.action
    identity, boundary, resource = _sides(d, deployed, arn)
    lines = _read_lines(d, deployed, identity, boundary, resource)
    cases = _deny_cases(action, arn, identity, boundary, resource)
    if boundary is not None and not boundary.allowed:
        cases.append(_boundary_case(deployed, action, arn))
    if not identity.allows and d.qualifier is not None:
        cases.extend(_qualified_call_cases(d, deployed, arn))
    cases.extend(_conditional_cases(identity, resource))
    boundary_ok = boundary is None or boundary.allowed
    identity_ok = identity.allowed and boundary_ok
    resource_ok = resource.allowed and boundary_ok
    allowed = _allowed(d, identity, boundary, resource, identity_ok, resource_ok)
    explained = bool(cases or identity.allows or resource.allows)
    verdict = _verdict_case(d, arn, allowed, identity_ok, resource_ok, explained)
    if verdict is not None:
        cases.append(verdict)
    return cases, lines, allowed


def _sides(d: Denial, deployed: Deployed, arn: str) -> tuple[Side, Side | None, Side]:
    """What the identity policies, the boundary (None: none) and the resource policy say of the call."""
    action = d.action
    identity = side(hits(deployed.identity, action, arn))
    boundary = None if deployed.boundary is None else side(hits([deployed.boundary], action, arn))
    principal = principal_matcher(d, deployed.role_arn)
    resource = (
        side(hits([deployed.resource], action, arn, principal)) if deployed.resource else Side([], [], [])
    )
    return identity, boundary, resource


def _allowed(
    d: Denial, identity: Side, boundary: Side | None, resource: Side, identity_ok: bool, resource_ok: bool
) -> bool:
    """No Deny anywhere, and both sides across accounts, either side within one account."""
    denied = bool(identity.denies or resource.denies or (boundary and boundary.denies))
    return not denied and ((identity_ok and resource_ok) if d.cross_account else (identity_ok or resource_ok))


def _verdict_case(
    d: Denial, arn: str, allowed: bool, identity_ok: bool, resource_ok: bool, explained: bool
) -> Case | None:
    """The closing case: which side fails across accounts, no grant at all, or everything allows it."""
    if d.cross_account and not allowed:
        return _cross_account_case(d, arn, identity_ok, resource_ok)
    if not allowed and not explained:
        return _no_grant_case(d, arn)
    if allowed:
        return _GRANT_MATCHES
    return None


def _conditional_cases(identity: Side, resource: Side) -> list[Case]:
    return [
        Case(
            CaseKind.CONDITIONAL,
            f"{hit.label} matches only under its Condition, which is not evaluated here.",
            "Check the Condition's keys against the call (the simulator's verdict below does).",
            DEPLOYED,
            hit.label,
        )
        for hit in identity.conditional + resource.conditional
    ]


def _no_grant_case(d: Denial, arn: str) -> Case:
    return Case(
        CaseKind.NO_GRANT,
        f"No deployed policy allows {d.role} to call {arn}: neither its identity policies nor the "
        "function's resource policy.",
        f"Grant {d.action} on {arn} in the caller's template (the macro then adds the resource side).",
        DEPLOYED,
    )


_GRANT_MATCHES = Case(
    CaseKind.GRANT_MATCHES,
    "The deployed policies allow this exact call.",
    "If they changed in the last minutes, wait for IAM to propagate; else the deny comes from a "
    "policy not read here (SCP, RCP, session policy, VPC endpoint policy).",
    DEPLOYED,
)


def _read_lines(
    d: Denial, deployed: Deployed, identity: Side, boundary: Side | None, resource: Side
) -> list[str]:
    """One line per policy kind: what was read and whether it allows the call."""
    identity_line = (
        f"allow by {', '.join(h.label for h in identity.allows)}"
        if identity.allows
        else "none allows this call"
    )
    boundary_line = (
        "none" if boundary is None else ("allows" if boundary.allowed else "does not allow this call")
    )
    if not deployed.resource_read:
        resource_line = "not read"
    elif deployed.resource is None:
        resource_line = "none"
    elif resource.allows:
        resource_line = f"allows by {', '.join(h.label for h in resource.allows)}"
    else:
        resource_line = "names no such caller"
    return [
        f"identity policies of {d.role}: {len(deployed.identity)} read; " + identity_line,
        "permissions boundary: " + boundary_line,
        "resource policy"
        + (f" of :{d.qualifier}" if d.qualifier else " (unqualified)")
        + ": "
        + resource_line,
    ]


def _deny_cases(action: str, arn: str, identity: Side, boundary: Side | None, resource: Side) -> list[Case]:
    return [
        Case(
            CaseKind.DENY,
            f"{hit.label} denies {action} on {arn}.",
            "Remove or narrow that Deny.",
            DEPLOYED,
            hit.label,
        )
        for hit in identity.denies + resource.denies + (boundary.denies if boundary else [])
    ]


def _boundary_case(deployed: Deployed, action: str, arn: str) -> Case:
    label = deployed.boundary.label if deployed.boundary else None
    return Case(
        CaseKind.BOUNDARY,
        f"The role's {label if label is not None else 'boundary'} allows no {action} on {arn}.",
        f"Allow {action} on {arn} in the boundary policy.",
        DEPLOYED,
        label,
    )


def _qualified_call_cases(d: Denial, deployed: Deployed, arn: str) -> list[Case]:
    """Grants of the unqualified ARN only, for a call that named a qualifier."""
    base = arn.rsplit(":", 1)[0]
    unqualified = side(hits(deployed.identity, d.action, base))
    return [
        Case(
            CaseKind.QUALIFIED_CALL,
            f"{hit.label} allows {d.action} on the unqualified {base} only; the call named :{d.qualifier}.",
            f"Add `{arn}` (or `{base}:*`) to that statement's Resource (in the template: the alias ARN).",
            DEPLOYED,
            hit.label,
        )
        for hit in unqualified.allows
    ]


def _cross_account_case(d: Denial, arn: str, identity_ok: bool, resource_ok: bool) -> Case:
    missing = [n for n, ok in (("identity", identity_ok), ("resource", resource_ok)) if not ok]
    return Case(
        CaseKind.CROSS_ACCOUNT,
        f"Across accounts both sides are needed; deployed, the {' and '.join(missing)} side does "
        "not allow it.",
        (f"Identity: allow {d.action} on {arn} in {d.role}'s policies. " if not identity_ok else "")
        + (
            f"Resource: `{ALLOW_CALLERS_KEY}: [{d.role_arn}]` on the callee, or "
            f"`{add_permission_command(d)}`."
            if not resource_ok
            else ""
        ),
        DEPLOYED,
    )


def simulate(denial: Denial, deployed: Deployed, clients: Clients) -> str | None:
    """IAM's policy simulator on the role's identity policies and boundary, for the exact resource ARN."""
    role_arn = deployed.role_arn
    if role_arn is None or denial.function_arn is None:
        return None
    answer = _call(
        deployed,
        "iam:SimulatePrincipalPolicy",
        clients.iam.simulate_principal_policy,
        PolicySourceArn=role_arn,
        ActionNames=[denial.action],
        ResourceArns=[denial.function_arn],
    )
    if "__error__" in answer:
        return None
    results = answer.get("EvaluationResults") or []
    return str(results[0].get("EvalDecision")) if results else None


def apply(diagnosis: Diagnosis, deployed: Deployed, clients: Clients) -> None:
    """Put the live reading first: its cases lead, the template's follow."""
    denial = diagnosis.denial
    if denial.reason is Reason.URL_FORBIDDEN:
        diagnosis.live = {
            "lines": ["--live needs the IAM message (a URL 403 names no function)"],
            "errors": [],
        }
        return
    cases, lines, allowed = evaluate(denial, deployed)
    verdict = simulate(denial, deployed, clients) if deployed.role_arn else None
    lines.append(f"our verdict: {'allowed' if allowed else 'denied'}")
    lines.append(
        "IAM policy simulator (identity policies and boundary): "
        + (verdict if verdict is not None else "not asked" if deployed.role_arn is None else "no answer")
    )
    lines.extend(f"error: {e}" for e in deployed.errors)
    template_cases = []
    for case in diagnosis.cases:
        if case.kind is CaseKind.GRANT_MATCHES and not allowed:
            # the template grants it, the deployed policies do not: what is deployed is not this template
            template_cases.append(
                Case(
                    CaseKind.DEPLOYED_DIFFERS,
                    f"The template grants this call at {case.path}, but the deployed policies do not.",
                    "Deploy the template (with AutoInvokePermission in its Transform), or compare it with "
                    "`aws cloudformation get-template --template-stage Processed`.",
                    case.template,
                    case.path,
                )
            )
        else:
            template_cases.append(case)
    diagnosis.cases = cases + template_cases
    diagnosis.checks = [c for c in diagnosis.checks if "--live" not in c]
    diagnosis.live = {
        "lines": lines,
        "ours": "allowed" if allowed else "denied",
        "simulator": verdict,
        "errors": list(deployed.errors),
        "role_arn": deployed.role_arn,
        "policies": [p.label for p in deployed.identity],
        "boundary": None if deployed.boundary is None else deployed.boundary.label,
        "resource_policy": None if deployed.resource is None else deployed.resource.document,
    }
