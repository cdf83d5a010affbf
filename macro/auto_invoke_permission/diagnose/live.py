"""`autoinvoke explain --live`: the deployed policies, read with boto3, and IAM's own verdict.

Read-only calls only: lambda:GetPolicy (for the exact qualifier; with the callee account's credentials
when given), iam:GetRole or iam:GetUser, iam:ListRolePolicies / iam:ListUserPolicies,
iam:GetRolePolicy / iam:GetUserPolicy, iam:ListAttachedRolePolicies / iam:ListAttachedUserPolicies,
iam:GetPolicy, iam:GetPolicyVersion and iam:SimulatePrincipalPolicy (sts:AssumeRole for a callee
role). A call the credentials may not make becomes one line naming its action, and a policy that could
not be read is named: no verdict is given without the policies it needs.

The statements are evaluated with the core's matcher (statements.covers_call): Action case-insensitive,
Resource case-sensitive, `*` and `?` across the whole ARN. A statement with a Condition is never
counted as allowing (its keys are not known here) and is reported as such. boto3 is imported here
only, and only when --live is given (it is the `live` extra).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..statements import covers_call
from .denial import Denial, Reason
from .explain import ALLOW_CALLERS_KEY, Case, CaseKind, Diagnosis, add_permission_command, principal_arn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEPLOYED = "deployed"  # Case.template of a case read from the live policies


class LiveError(Exception):
    """--live cannot start (no boto3, unknown profile)."""


@dataclass(frozen=True)
class Clients:
    lambda_: Any
    iam: Any
    # Lambda in the callee's account (a second profile or role), for its resource policy across accounts
    callee_lambda: Any | None = None

    @property
    def resource_lambda(self) -> Any:
        return self.callee_lambda if self.callee_lambda is not None else self.lambda_


def clients_from_session(
    profile: str | None, region: str | None, callee_profile: str | None = None, callee_role: str | None = None
) -> Clients:
    """boto3 clients; `callee_profile`/`callee_role`: credentials for the callee's account (the role is
    assumed with the callee profile's, else the caller profile's, credentials)."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError as err:
        raise LiveError("needs boto3: pip install 'autoinvoke[live]'") from err
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        callee = None
        if callee_profile is not None or callee_role is not None:
            callee = _callee_session(boto3, callee_profile or profile, callee_role, region).client("lambda")
        return Clients(session.client("lambda"), session.client("iam"), callee)
    except (BotoCoreError, ClientError) as err:
        raise LiveError(str(err)) from err


def _callee_session(boto3: Any, profile: str | None, role: str | None, region: str | None) -> Any:
    session = boto3.Session(profile_name=profile, region_name=region)
    if role is None:
        return session
    answer = session.client("sts").assume_role(RoleArn=role, RoleSessionName="autoinvoke-explain")
    credentials = answer["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


@dataclass(frozen=True)
class Policy:
    label: str  # "inline RequestPolicy", "managed arn:...", "boundary arn:...", "resource policy"
    document: Any


@dataclass
class Deployed:
    role_arn: str | None = None  # the caller's ARN with its path, from GetRole (GetUser for a user)
    boundary: Policy | None = None
    identity: list[Policy] = field(default_factory=list)
    resource: Policy | None = None  # None: no resource policy (or not readable)
    resource_read: bool = False
    errors: list[str] = field(default_factory=list)
    # the policies a verdict needs that could not be read, each with why: "resource policy: ..."
    unread: list[str] = field(default_factory=list)


def _call(
    deployed: Deployed, action: str, method: Callable[..., Any], what: str | None = None, **params: Any
) -> Any:
    """One API call; a failure becomes one line in `deployed.errors` (never a traceback), and `what` it
    was to read goes to `deployed.unread` (a missing resource policy is an answer, not a failure)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return method(**params)
    except ClientError as err:
        error = err.response.get("Error", {})
        code = error.get("Code", "")
        if code in ("AccessDenied", "AccessDeniedException"):
            line = f"not allowed to call {action} (add it to the caller of --live): {code}"
        elif code != "ResourceNotFoundException":
            line = f"{action} failed: {code}: {error.get('Message', '')}".rstrip(": ")
        else:
            return {"__error__": code}
    except BotoCoreError as err:
        line, code = f"{action} failed: {err}", type(err).__name__
    deployed.errors.append(line)
    if what is not None:
        deployed.unread.append(f"{what}: {line}")
    return {"__error__": code}


def _document(value: Any) -> Any:
    """IAM returns URL-encoded JSON; botocore usually decodes it already."""
    if isinstance(value, str):
        try:
            return json.loads(urllib.parse.unquote(value))
        except json.JSONDecodeError:
            return None
    return value


@dataclass(frozen=True)
class Entity:
    """The IAM calls that read one kind of caller (a role or a user)."""

    kind: str  # "role" | "user"
    name_key: str  # RoleName | UserName
    get: str  # the client method and the answer's key: get_role -> Role
    answer_key: str
    list_inline: str
    get_inline: str
    list_attached: str

    def action(self, method: str) -> str:
        return "iam:" + "".join(part.capitalize() for part in method.split("_"))


ROLE = Entity("role", "RoleName", "get_role", "Role", "list_role_policies", "get_role_policy",
              "list_attached_role_policies")  # fmt: skip
USER = Entity("user", "UserName", "get_user", "User", "list_user_policies", "get_user_policy",
              "list_attached_user_policies")  # fmt: skip


def read_deployed(denial: Denial, clients: Clients) -> Deployed:
    """The deployed policies the call depends on: the callee's resource policy (with the callee
    account's client when given) and the caller's identity policies and boundary (a role or a user)."""
    deployed = Deployed()
    if denial.function is not None:
        _read_resource_policy(deployed, denial, clients)
    entity, name = (ROLE, denial.role) if denial.role is not None else (USER, denial.user)
    if name is None:
        return deployed
    name = name.rsplit("/", 1)[-1]
    what = f"the {entity.kind} {name}"
    answer = _call(
        deployed, entity.action(entity.get), getattr(clients.iam, entity.get), f"{what} (its boundary)",
        **{entity.name_key: name},
    )  # fmt: skip
    if "__error__" not in answer:
        found = answer[entity.answer_key]
        deployed.role_arn = found.get("Arn")
        boundary_arn = (found.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary_arn:
            document = _managed_document(deployed, clients, boundary_arn)
            deployed.boundary = Policy(f"boundary {boundary_arn}", document)
    _read_identity(deployed, clients, entity, name)
    return deployed


def _read_resource_policy(deployed: Deployed, denial: Denial, clients: Clients) -> None:
    params: dict[str, Any] = {"FunctionName": denial.function_arn or denial.function}
    if denial.qualifier:
        params = {
            "FunctionName": (denial.function_arn or "").rsplit(":", 1)[0],
            "Qualifier": denial.qualifier,
        }
    what = "the resource policy" + (
        " (pass --callee-profile or --callee-role for the callee's account)"
        if denial.cross_account and clients.callee_lambda is None
        else ""
    )
    answer = _call(deployed, "lambda:GetPolicy", clients.resource_lambda.get_policy, what, **params)
    if "__error__" not in answer:
        deployed.resource = Policy("resource policy", _document(answer.get("Policy")))
        deployed.resource_read = True
    elif answer["__error__"] == "ResourceNotFoundException":
        deployed.resource_read = True  # the function (or this qualifier) has no resource policy


def _read_identity(deployed: Deployed, clients: Clients, entity: Entity, name: str) -> None:
    """The inline and attached policies of a role or user."""
    inline_names = _paged(
        deployed, clients, entity, entity.list_inline, "PolicyNames", name, f"the inline policies of {name}"
    )
    for policy_name in inline_names:
        answer = _call(
            deployed,
            entity.action(entity.get_inline),
            getattr(clients.iam, entity.get_inline),
            f"inline policy {policy_name}",
            **{entity.name_key: name, "PolicyName": policy_name},
        )
        if "__error__" not in answer:
            document = _document(answer.get("PolicyDocument"))
            deployed.identity.append(Policy(f"inline policy {policy_name}", document))
    attached = _paged(
        deployed,
        clients,
        entity,
        entity.list_attached,
        "AttachedPolicies",
        name,
        f"the managed policies of {name}",
    )
    for item in attached:
        arn = item.get("PolicyArn")
        document = _managed_document(deployed, clients, arn)
        if document is not None:
            deployed.identity.append(Policy(f"managed policy {arn}", document))


def _paged(
    deployed: Deployed, clients: Clients, entity: Entity, method: str, key: str, name: str, what: str
) -> list[Any]:
    items: list[Any] = []
    params: dict[str, Any] = {entity.name_key: name}
    while True:
        answer = _call(deployed, entity.action(method), getattr(clients.iam, method), what, **params)
        if "__error__" in answer:
            return items
        items.extend(answer.get(key, []))
        if not answer.get("IsTruncated"):
            return items
        params = {entity.name_key: name, "Marker": answer["Marker"]}


def _managed_document(deployed: Deployed, clients: Clients, arn: str) -> Any:
    what = f"managed policy {arn}"
    policy = _call(deployed, "iam:GetPolicy", clients.iam.get_policy, what, PolicyArn=arn)
    if "__error__" in policy:
        return None
    version = policy["Policy"].get("DefaultVersionId")
    answer = _call(
        deployed,
        "iam:GetPolicyVersion",
        clients.iam.get_policy_version,
        what,
        PolicyArn=arn,
        VersionId=version,
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


def hits(
    policies: list[Policy], action: str, resource: str, principal: Callable[[Any], bool] | None = None
) -> list[Hit]:
    found = []
    for policy in policies:
        for label, stmt in _statements(policy):
            if principal is not None and not principal(stmt.get("Principal")):
                continue
            if covers_call(stmt, action, resource) and stmt.get("Effect") in ("Allow", "Deny"):
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


def evaluate(denial: Denial, deployed: Deployed) -> tuple[list[Case], list[str], bool | None]:
    """The cases the deployed policies show, the lines that say what was read, and our verdict: None
    when a policy it needs could not be read (an explicit Deny read is a verdict all the same)."""
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
    if deployed.unread and not _denied(identity, boundary, resource):
        return cases, lines, None
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
    if _denied(identity, boundary, resource):
        return False
    return (identity_ok and resource_ok) if d.cross_account else (identity_ok or resource_ok)


def _denied(identity: Side, boundary: Side | None, resource: Side) -> bool:
    return bool(identity.denies or resource.denies or (boundary and boundary.denies))


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
        f"No deployed policy allows {_who(d)} to call {arn}: neither its identity policies nor the "
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
        f"identity policies of {_who(d)}: {len(deployed.identity)} read; " + identity_line,
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
        (f"Identity: allow {d.action} on {arn} in {_who(d)}'s policies. " if not identity_ok else "")
        + (
            f"Resource: `{ALLOW_CALLERS_KEY}: [{principal_arn(d)}]` on the callee, or "
            f"`{add_permission_command(d)}`."
            if not resource_ok
            else ""
        ),
        DEPLOYED,
    )


def _who(d: Denial) -> str:
    return d.role or d.user or d.principal or "the caller"


def simulate(
    denial: Denial, deployed: Deployed, clients: Clients, resource_policy: bool = False
) -> str | None:
    """IAM's policy simulator on the caller's identity policies and boundary, for the exact resource ARN;
    `resource_policy`: with the callee's deployed resource policy too (the caller as its principal)."""
    caller_arn = deployed.role_arn
    if caller_arn is None or denial.function_arn is None:
        return None
    extra: dict[str, Any] = {}
    if resource_policy:
        if deployed.resource is None or not isinstance(deployed.resource.document, Mapping):
            return None
        extra = {
            "ResourcePolicy": json.dumps(deployed.resource.document),
            "ResourceOwner": denial.function_account,
            "CallerArn": caller_arn,
        }
    answer = _call(
        deployed,
        "iam:SimulatePrincipalPolicy",
        clients.iam.simulate_principal_policy,
        PolicySourceArn=caller_arn,
        ActionNames=[denial.action],
        ResourceArns=[denial.function_arn],
        **{k: v for k, v in extra.items() if v is not None},
    )
    if "__error__" in answer:
        return None
    results = answer.get("EvaluationResults") or []
    return str(results[0].get("EvalDecision")) if results else None


def _verdict_line(allowed: bool | None, deployed: Deployed) -> str:
    if allowed is not None:
        return f"our verdict: {'allowed' if allowed else 'denied'}"
    return "our verdict: none, without " + "; ".join(deployed.unread)


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
    both = simulate(denial, deployed, clients, resource_policy=True) if deployed.resource else None
    lines.append(_verdict_line(allowed, deployed))
    lines.append(
        "IAM policy simulator (identity policies and boundary): "
        + (verdict if verdict is not None else "not asked" if deployed.role_arn is None else "no answer")
    )
    if deployed.resource is not None:
        lines.append(
            "IAM policy simulator (with the resource policy): "
            + (both if both is not None else "not asked" if deployed.role_arn is None else "no answer")
        )
    lines.extend(f"error: {e}" for e in deployed.errors)
    template_cases = []
    for case in diagnosis.cases:
        if case.kind is CaseKind.GRANT_MATCHES and allowed is False:
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
        "ours": None if allowed is None else ("allowed" if allowed else "denied"),
        "simulator": verdict,
        "simulator_with_resource_policy": both,
        "unread": list(deployed.unread),
        "errors": list(deployed.errors),
        "role_arn": deployed.role_arn,
        "policies": [p.label for p in deployed.identity],
        "boundary": None if deployed.boundary is None else deployed.boundary.label,
        "resource_policy": None if deployed.resource is None else deployed.resource.document,
    }
