"""`autoinvoke explain`: from an invoke denial to the change that fixes it.

The message is read by `denial.py`. With templates, the caller's role and the callee are found in them
and the core's own analysis (`core.analyze`: permissions, findings, edges) says which grants exist;
the causes are then ranked, most likely first, each with the template path and the change to make.
Without templates the message is still explained, with what to check. `--live` (live.py) reads the
deployed policies instead.

The IAM rule behind every sentence here (docs/design/aws-facts.md section 1): in one account either the
caller's
identity policy or the callee's resource policy suffices; across accounts both are needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .. import core
from ..model import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    INVOKE_FUNCTION,
    Permission,
    RoleKey,
    TransformContext,
    TransformResult,
)
from ..offline.template_read import LoadedTemplate
from ..targets import TargetClassifier
from ..template import Role, TemplateIndex
from ..urls import function_urls
from . import reasons
from .denial import Denial, Reason
from .locate import ONLY_TARGET_GUESS as ONLY_TARGET_GUESS  # noqa: PLC0414 - explain's names, kept
from .locate import Found as Found  # noqa: PLC0414
from .locate import (
    caller_resources,
    deny_paths,
    find_alias,
    find_callee,
    find_caller,
    is_user,
    principal_of,
    url_grant_path,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ALLOW_CALLERS_KEY = "AllowCallers"  # Metadata.AutoInvokePermission.AllowCallers on a callee
_VERSION = re.compile(r"^(\d+|\$LATEST)$")


class CaseKind(StrEnum):
    QUALIFIED_CALL = "qualified call, unqualified grant"
    UNQUALIFIED_CALL = "unqualified call, alias grant"
    VERSION_CALL = "call to a version"
    REF_NAME = "function name instead of an ARN"
    NO_GRANT = "no grant"
    CONDITION_FALSE = "grant under a condition false in this deploy"
    CONDITIONAL = "grant under a condition"
    DENY = "explicit deny"
    ORGANIZATION_DENY = "organization policy deny"
    BOUNDARY = "permissions boundary"
    SESSION_POLICY = "session policy"
    ENDPOINT_POLICY = "VPC endpoint policy"
    CROSS_ACCOUNT = "cross-account: both sides needed"
    URL_INVOKE_FUNCTION = "function URL without lambda:InvokeFunction"
    URL_INVOKE_FUNCTION_URL = "function URL without lambda:InvokeFunctionUrl"
    NAME_MISMATCH = "called name differs from the template's function"
    CALLER_NOT_IN_TEMPLATES = "caller role not in the templates"
    GRANT_MATCHES = "grant exists and matches"
    DEPLOYED_DIFFERS = "deployed stack differs from the template"


@dataclass(frozen=True)
class Case:
    kind: CaseKind
    summary: str  # one sentence: what is wrong
    fix: str  # the change to make
    template: str | None = None
    path: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "case": self.kind.value,
            "summary": self.summary,
            "fix": self.fix,
            "template": self.template,
            "path": self.path,
        }


@dataclass
class Diagnosis:
    denial: Denial
    meaning: list[str]
    checks: list[str]
    caller: Found | None = None
    caller_functions: tuple[str, ...] = ()
    callee: Found | None = None
    alias: str | None = None  # logical ID of the alias the qualifier names
    grants: list[str] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    live: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "denial": self.denial.as_dict(),
            "meaning": self.meaning,
            "checks": self.checks,
            "caller": None if self.caller is None else self.caller.as_dict(),
            "caller_functions": list(self.caller_functions),
            "callee": None if self.callee is None else self.callee.as_dict(),
            "alias": self.alias,
            "grants": self.grants,
            "cases": [c.as_dict() for c in self.cases],
            "notes": self.notes,
            "live": self.live,
        }


# ------------------------------------------------------------------ what the message says
def meaning(denial: Denial) -> list[str]:
    """What the message itself says, in plain words (no template needed)."""
    d = denial
    if d.reason in reasons.OTHER_MEANING:
        return reasons.OTHER_MEANING[d.reason] + reasons.mask_lines(d)
    if d.reason is Reason.URL_FORBIDDEN:
        return _url_meaning(d)
    lines = [_who_and_what(d), _reason_text(d)]
    lines.extend(reasons.extra_lines(d) + reasons.mask_lines(d))
    return lines + _call_notes(d)


def _url_meaning(d: Denial) -> list[str]:
    return [
        f"The function URL {d.url} refused the request (403 Forbidden). A URL names no function and no "
        "caller, so the message cannot say which policy failed.",
        "Since 2026-11-01 every function URL needs both lambda:InvokeFunctionUrl and "
        "lambda:InvokeFunction for the caller. AuthType AWS_IAM: in one account the caller's identity "
        "policy or the function's resource policy must allow both; across accounts both sides must. "
        "AuthType NONE: the resource "
        'policy needs both statements for Principal "*".',
        "An unsigned request, or one signed for another service than `lambda` or another region, is "
        "refused the same way.",
    ]


def _who_and_what(d: Denial) -> str:
    """The caller and the call the message names."""
    who = f"role {d.role}" if d.role else (f"user {d.user}" if d.user else (d.principal or "the caller"))
    if d.session:
        who += f" (session {d.session}, for Lambda the calling function)"
    target = f"function {d.function or d.function_glob or '(masked)'}" + (
        f", qualifier {d.qualifier}" if d.qualifier else " (unqualified ARN)"
    )
    return (
        f"Caller: {who} in account {d.caller_account or '?'}. Denied: {d.action} on {target} in "
        f"{d.region or '?'}, account {d.function_account or '?'}."
    )


def _reason_text(d: Denial) -> str:
    """What the message's reason means for this call."""
    same = not d.cross_account
    scope = (
        "In one account either the identity policy or the resource policy suffices"
        if same
        else f"Across accounts ({d.caller_account} calls {d.function_account}) both sides are needed"
    )
    return {
        Reason.NO_IDENTITY_ALLOW: (
            "The identity side failed: no policy of the caller's role allows this exact call. "
            + (
                f"{scope}, so the callee's resource policy did not allow it either. A permissions boundary "
                "or session policy that leaves the action out gives the same message (AWS names only one "
                "policy type)."
                if same
                else f"{scope}: the caller's account must allow it in the role's policies, whatever the "
                "callee's resource policy says."
            )
        ),
        Reason.NO_RESOURCE_ALLOW: (
            "The resource side failed: the callee's resource-based policy has no statement for this caller "
            "and this exact ARN. "
            + (
                f"{scope}, so the caller's identity policy did not allow it either."
                if same
                else f"{scope}: the callee's account must add a statement naming the caller."
            )
        ),
        Reason.NO_BOUNDARY_ALLOW: (
            "The caller's role has a permissions boundary that does not allow this action on this ARN: an "
            "identity grant does not work beyond the boundary."
        ),
        Reason.NO_SESSION_ALLOW: (
            "The session was assumed with a session policy that does not allow this call. Lambda's own "
            "execution-role sessions carry none: whoever assumed this role passed one."
        ),
        Reason.NO_ENDPOINT_ALLOW: "The VPC endpoint policy the call went through does not allow it.",
        Reason.DENY_IDENTITY: "An explicit Deny in one of the caller role's policies matches this call; it "
        "overrides every Allow.",
        Reason.DENY_RESOURCE: "An explicit Deny in the callee's resource-based policy matches this call.",
        Reason.DENY_SCP: "A service control policy of the caller's organization denies this call; no "
        "template change helps, the organization's administrator must.",
        Reason.DENY_RCP: "A resource control policy of the callee's organization denies this call; the "
        "organization's administrator must change it.",
        Reason.DENY_BOUNDARY: "The permissions boundary of the caller's role denies this call explicitly.",
        Reason.DENY_SESSION: "The session policy denies this call explicitly.",
        Reason.DENY_ENDPOINT: "The VPC endpoint policy denies this call explicitly.",
        Reason.DENY_UNNAMED: "An explicit Deny matches this call (the message does not say in which policy "
        "type: identity, resource, boundary, SCP or session).",
        Reason.UNSPECIFIED: "The message gives no reason (the older form): no policy allowed the call, or "
        f"one denied it. {scope}.",
    }.get(d.reason) or reasons.reason_meaning(d)


def _call_notes(d: Denial) -> list[str]:
    """What the caller, the qualifier and the action add."""
    lines: list[str] = []
    if d.service_caller:
        lines.append(
            f"The caller is the service {d.principal}: it has no identity policy, so only the callee's "
            f"resource policy can allow it (a permission with Principal {d.principal} and its SourceArn)."
        )
    if d.qualifier:
        lines.append(
            f"The call named the qualifier {d.qualifier}: a grant on the unqualified ARN does not cover it "
            "(nor FunctionName=name with Qualifier, since 2022-01-24); grant the qualified ARN or `ARN:*`."
        )
    if d.action == "lambda:InvokeFunctionUrl":
        lines.append(
            "lambda:InvokeFunctionUrl is checked for calls through the function URL; since 2026-11-01 the "
            "caller needs lambda:InvokeFunction as well."
        )
    elif d.action == "lambda:InvokeAsync":
        lines.append(
            "lambda:InvokeAsync is the deprecated asynchronous API; grant lambda:InvokeFunction too."
        )
    return lines


def checks(denial: Denial) -> list[str]:
    """What to look at, as commands, when no template (or no match) says more."""
    d = denial
    out: list[str] = []
    if not d.reason.permission:
        return ["aws sts get-caller-identity (which credentials sign the call)"]
    if d.reason is Reason.URL_FORBIDDEN:
        return [
            "aws lambda get-function-url-config --function-name <function> (AuthType, and the function's "
            "name)",
            "aws lambda get-policy --function-name <function>: both lambda:InvokeFunctionUrl and "
            'lambda:InvokeFunction statements for the caller (or for "*" with AuthType NONE)',
            "the caller's role policies: both actions on the function ARN",
        ]
    if d.role:
        out.append(
            f"aws iam list-role-policies --role-name {d.role} and aws iam list-attached-role-policies "
            f"--role-name {d.role}: a statement allowing {d.action} on {reasons.function_text(d)}"
        )
        out.append(f"aws iam get-role --role-name {d.role} --query Role.PermissionsBoundary")
        if d.function_arn:
            out.append(
                f"aws iam simulate-principal-policy --policy-source-arn {d.role_arn} "
                f"--action-names {d.action} --resource-arns {d.function_arn}"
            )
    if d.function:
        qualifier = f" --qualifier {d.qualifier}" if d.qualifier else ""
        out.append(
            f"aws lambda get-policy --function-name {d.function}{qualifier} --region "
            f"{d.region or '<region>'}: a statement "
            f"naming {d.role_arn or 'the caller'} (the policy of "
            f"{'this alias' if d.qualifier else 'the unqualified ARN'} only)"
        )
    organization = {Reason.DENY_SCP: "SERVICE_CONTROL_POLICY", Reason.NO_SCP_ALLOW: "SERVICE_CONTROL_POLICY"}
    organization |= {
        Reason.DENY_RCP: "RESOURCE_CONTROL_POLICY",
        Reason.NO_RCP_ALLOW: "RESOURCE_CONTROL_POLICY",
    }
    if d.effective_reason in organization:
        out.append(
            "aws organizations list-policies-for-target --target-id <account> --filter "
            + organization[d.effective_reason]
        )
    out.append("autoinvoke explain --live ... reads these policies and asks IAM's policy simulator")
    return out


# ------------------------------------------------------------------ diagnosis
@dataclass(frozen=True)
class Analyzed:
    """One template as the macro reads it: its index (every principal in it) and `core.analyze`'s result."""

    template: LoadedTemplate
    context: TransformContext
    params: Mapping[str, Any]
    result: TransformResult
    index: TemplateIndex


def _context(denial: Denial, account: str, params: Mapping[str, Any]) -> TransformContext:
    """Conditions left undecided (a grant under a false condition is what explain diagnoses); every
    role and user of the template a principal (a denial may name any of them)."""
    region = denial.region or DEFAULT_REGION
    return TransformContext(region, account, params, decide_conditions=False, every_principal=True)


def analyze_template(template: LoadedTemplate, denial: Denial, overrides: Mapping[str, str]) -> Analyzed:
    """The core's analysis of one template, placed where the message says the callee is."""
    from ..template_inputs import parameter_values, template_options

    params = parameter_values(template.data, overrides)
    account = denial.function_account or denial.caller_account or DEFAULT_ACCOUNT_ID
    context = _context(denial, account, params)
    index = core.read_fragment(template.fragment, context).template_index
    # the caller's template is deployed in the caller's account, any other in the callee's: the core
    # then sees a grant across accounts as external, as it is
    own = denial.caller_account if find_caller(template.path, index, denial) is not None else None
    if own is not None and own != account:
        context = _context(denial, own, params)
        index = core.read_fragment(template.fragment, context).template_index
    result = core.analyze(template.fragment, template_options(template.data), context)
    return Analyzed(template, context, params, result, index)


def diagnose(denial: Denial, analyzed: Sequence[Analyzed]) -> Diagnosis:
    diagnosis = Diagnosis(denial, meaning(denial), checks(denial))
    if not denial.reason.permission:
        return diagnosis  # a token or LogType problem: no policy of the templates is involved
    if denial.reason is Reason.URL_FORBIDDEN:
        _url_forbidden(diagnosis, analyzed)
        return _finish(diagnosis)
    caller_side, own_permissions = _locate_caller(diagnosis, analyzed)
    targets = [p.callee.function for p in own_permissions]
    callee_side = _locate_callee(diagnosis, analyzed, targets)
    _organization_and_session(diagnosis)
    caller, callee = diagnosis.caller, diagnosis.callee
    if caller is None or caller_side is None:
        _caller_unknown(diagnosis, analyzed)
    elif denial.cross_account:
        _cross_account(diagnosis, caller_side)
    elif callee is None:
        _callee_unknown(diagnosis, caller, targets)
    else:
        _same_account(diagnosis, caller_side, callee_side or caller_side, own_permissions)
    return _finish(diagnosis)


def _locate_caller(
    diagnosis: Diagnosis, analyzed: Sequence[Analyzed]
) -> tuple[Analyzed | None, list[Permission]]:
    """Finds the caller (its template and functions); returns that template and the caller's grants."""
    denial = diagnosis.denial
    caller = next((c for a in analyzed if (c := find_caller(a.template.path, a.index, denial))), None)
    diagnosis.caller = caller
    caller_side = next((a for a in analyzed if caller and a.template.path == caller.template), None)
    own_permissions: list[Permission] = []
    if caller_side is not None and caller is not None:
        diagnosis.caller_functions = caller_resources(caller_side.index, caller)
        own_permissions = [  # lambda:InvokeFunction by any means: not the function URL permissions
            p for p in caller_side.result.permissions if p.principal.key == caller.key and not p.extra
        ]
    return caller_side, own_permissions


def _locate_callee(diagnosis: Diagnosis, analyzed: Sequence[Analyzed], targets: list[str]) -> Analyzed | None:
    """Finds the callee (and the alias the call named); returns the callee's template."""
    denial = diagnosis.denial
    callee = next(
        (c for a in analyzed if (c := find_callee(a.template.path, a.index, denial, targets))), None
    )
    diagnosis.callee = callee
    callee_side = next((a for a in analyzed if callee and a.template.path == callee.template), None)
    if callee is not None and callee_side is not None and denial.qualifier:
        diagnosis.alias = find_alias(callee_side.index, callee.logical_id, denial.qualifier)
    return callee_side


def _callee_unknown(diagnosis: Diagnosis, caller: Found, targets: list[str]) -> None:
    denial = diagnosis.denial
    diagnosis.cases.append(
        Case(
            CaseKind.NAME_MISMATCH,
            f"No function of the templates is named {denial.function}, and the caller's grants name "
            f"{', '.join(sorted(set(targets))) or 'no function of them'}.",
            "Call the function by the name the stack gives it: pass `!Ref <Function>` to the caller "
            "(an Environment variable) instead of a hard-coded name, or give the templates' function "
            f"that FunctionName; or grant lambda:InvokeFunction on {denial.function_arn}.",
            caller.template,
        )
    )


def _finish(diagnosis: Diagnosis) -> Diagnosis:
    seen: set[tuple[CaseKind, str | None]] = set()
    unique = []
    for case in diagnosis.cases:
        if (case.kind, case.path) not in seen:
            seen.add((case.kind, case.path))
            unique.append(case)
    diagnosis.cases = unique
    return diagnosis


def _organization_and_session(diagnosis: Diagnosis) -> None:
    """The cause in a layer templates do not hold (SCP, RCP, session, VPC endpoint) that the reason names."""
    layer = reasons.layer_case(diagnosis.denial)
    if layer is not None:
        diagnosis.cases.append(Case(CaseKind[layer.kind], layer.summary, layer.fix))


def _caller_unknown(diagnosis: Diagnosis, analyzed: Sequence[Analyzed]) -> None:
    if not analyzed:
        return
    d = diagnosis.denial
    if d.service_caller:
        if diagnosis.callee is not None:
            callee = diagnosis.callee
            diagnosis.cases.append(
                Case(
                    CaseKind.NO_GRANT,
                    f"{callee.logical_id}'s resource policy has no statement for {d.principal}.",
                    f"Add an AWS::Lambda::Permission: `{{Action: lambda:InvokeFunction, FunctionName: "
                    f"!GetAtt {callee.logical_id}.Arn, Principal: {d.principal}, "
                    "SourceArn: <the source's ARN>}` (SAM adds it for its event sources).",
                    callee.template,
                    f"{callee.logical_id}",
                )
            )
        return
    if _masked_caller(diagnosis):
        return
    roles = sorted({p.principal.role for a in analyzed for p in a.result.permissions if p.principal.role})
    granted = f" (their invoke grants are for {', '.join(roles)})" if roles else ""
    if d.role is None:  # an IAM user, a federated user, an account root
        summary = f"The caller {d.user or d.principal} is not a principal of the templates{granted}."
        fix = _outside_principal_fix(d.principal or "")
    else:
        summary = (
            f"The role {d.role} is not a role of the templates{granted}: the function runs with another "
            "role than the one the template grants."
        )
        fix = (
            "Check the caller's Role, or give the grant to this role; with the caller's own template, run "
            "explain on it too."
        )
    diagnosis.cases.append(Case(CaseKind.CALLER_NOT_IN_TEMPLATES, summary, fix))
    if diagnosis.callee is not None:
        _resource_side_hint(diagnosis)


def _outside_principal_fix(principal: str) -> str:
    """The identity-side fix for a caller that is no role: each kind of principal has its own."""
    if ":federated-user/" in principal:
        return (
            "A federated user has the permissions of the IAM user that called GetFederationToken, limited "
            "by the session policy passed then: allow the call in both; or name the federated user's ARN "
            "in the callee's resource policy."
        )
    if principal.endswith(":root"):
        return (
            "The account root needs no identity grant in its own account: a denial comes from a policy "
            "that denies it (SCP, RCP, the callee's resource policy) or, from another account, a resource "
            "policy that does not name the account."
        )
    return "Grant it where it is defined, or give the callee a resource-policy statement naming it."


def _masked_caller(diagnosis: Diagnosis) -> bool:
    """The caller's role is masked: say what each side needs with what the message still shows."""
    d = diagnosis.denial
    if d.role or d.user or d.service_caller or not {"role", "role (partly)", "caller"} & set(d.masked):
        return False
    if d.principal and (":federated-user/" in d.principal or d.principal.endswith(":root")):
        return False  # a whole ARN of a principal that is no role: nothing is masked
    account = d.caller_account
    who = f"arn:{d.partition}:iam::{account}:role/<the masked role>" if account else "<the caller's role ARN>"
    target = reasons.function_text(d)
    identity = f"give the caller's role `{{Effect: Allow, Action: {d.action}, Resource: {target}}}`"
    callee = diagnosis.callee
    if d.cross_account:
        where = (
            f"{callee.logical_id}'s `Metadata.AutoInvokePermission`" if callee else "the callee's template"
        )
        diagnosis.cases.append(
            Case(
                CaseKind.CROSS_ACCOUNT,
                f"{account} calls a function of {d.function_account}: both the caller's identity policy and "
                "the callee's resource policy must allow it. The caller's role is masked, so only the "
                "callee's side can be read here.",
                f"Resource side: add `{ALLOW_CALLERS_KEY}: [{who}]` (or the account `'{account}'`) to "
                f"{where}. Identity side: {identity}.",
                callee.template if callee else None,
                f"{callee.logical_id}.Metadata" if callee else None,
            )
        )
        return True
    diagnosis.cases.append(
        Case(
            CaseKind.NO_GRANT,
            "The caller's role is masked in the message, so its policies cannot be found in the templates; "
            "in one account its identity policy alone can allow the call.",
            f"{identity[0].upper()}{identity[1:]}; or paste the message with the role name left in.",
            callee.template if callee else None,
        )
    )
    return True


def _resource_side_hint(diagnosis: Diagnosis) -> None:
    d = diagnosis.denial
    callee = diagnosis.callee
    assert callee is not None
    diagnosis.cases.append(
        Case(
            CaseKind.NO_GRANT,
            f"{callee.logical_id}'s resource policy has no statement for {principal_arn(d)}.",
            f"Add `Metadata: {{AutoInvokePermission: {{{ALLOW_CALLERS_KEY}: [{principal_arn(d)}]}}}}` to "
            f"{callee.logical_id}, or run `{add_permission_command(d)}`.",
            callee.template,
            f"{callee.logical_id}.Metadata",
        )
    )


def principal_arn(d: Denial) -> str | None:
    """The caller as a resource policy names it: the role's ARN (not the session's), else the ARN the
    message names (an IAM user with its path, a federated user, an account root)."""
    if d.role_arn is not None or d.principal is None or d.service_caller or ":assumed-role/" in d.principal:
        return d.role_arn  # a session is not what a resource policy should name: its role is
    return d.principal


def add_permission_command(d: Denial) -> str:
    qualifier = f" --qualifier {d.qualifier}" if d.qualifier else ""
    arn = d.function_arn or "<function ARN>"
    base = arn.rsplit(":", 1)[0] if d.qualifier else arn
    name = d.role or (d.user or "").rsplit("/", 1)[-1] or "Caller"
    return (
        f"aws lambda add-permission --function-name {base}{qualifier} --statement-id "
        f"Invoke{re.sub(r'[^A-Za-z0-9]', '', name)[:60]} --action lambda:InvokeFunction "
        f"--principal {principal_arn(d) or '<role ARN>'}"
    )


def _grant_fix_path(diagnosis: Diagnosis, analyzed: Analyzed) -> tuple[str, str | None]:
    """Where to add a grant for the caller: a raw SAM function's Policies when the role is the one SAM
    generates for it, else the Policies of the template's role (or user)."""
    caller = diagnosis.caller
    assert caller is not None
    role = principal_of(analyzed.index, caller)
    if role is not None and role.sam_function is not None:
        return (f"{role.sam_function}.Properties.Policies", role.sam_function)
    if role is not None and role.resource is not None and role.principal.role is not None:
        return (f"{role.principal.role}.Properties.Policies", role.principal.role)
    return ("the caller role's policies", None)


def _cross_account(diagnosis: Diagnosis, caller_side: Analyzed) -> None:
    d = diagnosis.denial
    path, _ = _grant_fix_path(diagnosis, caller_side)
    external = [
        e
        for e in caller_side.result.edges
        if e.status.value == "external"
        and set(e.callers) & {*diagnosis.caller_functions, *(c.logical_id for c in [diagnosis.caller] if c)}
        and e.target.split(":function:", 1)[-1].split(":")[0] == d.function
    ]
    identity = (
        "the caller's template grants it at " + external[0].path
        if external
        else (f"the caller's template has no grant on {d.function_arn}: add one at {path}")
    )
    identity_ok = bool(external) and d.reason is not Reason.NO_IDENTITY_ALLOW
    if diagnosis.callee is not None:
        resource = (
            f"add `{ALLOW_CALLERS_KEY}: [{principal_arn(d)}]` under `Metadata.AutoInvokePermission` of "
            f"{diagnosis.callee.logical_id} ({diagnosis.callee.template}), or run "
            f"`{add_permission_command(d)}`"
        )
    else:
        resource = (
            f"the callee account {d.function_account} must add `{ALLOW_CALLERS_KEY}: [{principal_arn(d)}]` "
            "to the callee's `Metadata.AutoInvokePermission` in its template, or run "
            f"`{add_permission_command(d)}`"
        )
    first = "resource" if d.reason is Reason.NO_RESOURCE_ALLOW or identity_ok else "identity"
    summary = (
        f"{d.caller_account} calls a function of {d.function_account}: both the caller's identity policy and "
        f"the callee's resource policy must allow it; the {first} side is what failed."
    )
    fix = (
        f"Identity side: {identity}"
        + ("." if external else f", with `Resource: {d.function_arn}`.")
        + f" Resource side: {resource}."
    )
    diagnosis.cases.append(
        Case(
            CaseKind.CROSS_ACCOUNT,
            summary,
            fix,
            caller_side.template.path,
            external[0].path if external else path,
        )
    )


@dataclass(frozen=True)
class _SameAccount:
    """What every same-account check reads: the call, both sides and the caller's grants of the callee."""

    diagnosis: Diagnosis
    caller_side: Analyzed
    callee_side: Analyzed
    caller: Found
    callee: Found
    mine: list[Permission]
    exact: list[Permission]
    related: list[dict[str, Any]]
    template: str
    grant_path: str
    arn_expr: str

    @property
    def d(self) -> Denial:
        return self.diagnosis.denial

    @property
    def qualifier(self) -> str | None:
        return self.diagnosis.denial.qualifier

    def add(self, case: Case) -> None:
        self.diagnosis.cases.append(case)


def _same_account(
    diagnosis: Diagnosis, caller_side: Analyzed, callee_side: Analyzed, permissions: list[Permission]
) -> None:
    s = _same_account_scope(diagnosis, caller_side, callee_side, permissions)
    diagnosis.grants = sorted({path for p in s.mine for path in p.grants})
    _deny_and_boundary_cases(s)
    ref_findings = _ref_name_cases(s)
    if s.d.action == "lambda:InvokeFunctionUrl" or (s.d.url is not None):
        _url_cases(diagnosis, caller_side, s.mine)
    _qualifier_cases(s, ref_findings)
    for p in s.exact:
        if p.condition is not None:
            _condition_case(s, p)
    _grant_matches_case(s)
    if not s.callee.certain:
        _name_mismatch_case(s)
    if s.d.reason is Reason.NO_RESOURCE_ALLOW and s.exact:
        diagnosis.notes.append(
            "In one account the identity grant alone suffices; a 'no resource-based policy' message means "
            "IAM did not see that grant either (not deployed, or a boundary/session policy removed it)."
        )


def _same_account_scope(
    diagnosis: Diagnosis, caller_side: Analyzed, callee_side: Analyzed, permissions: list[Permission]
) -> _SameAccount:
    caller = diagnosis.caller
    callee = diagnosis.callee
    assert caller is not None and callee is not None
    qualifier = diagnosis.denial.qualifier
    mine = [p for p in permissions if p.callee.function == callee.logical_id]
    exact = [
        p
        for p in mine
        if (qualifier is None and p.callee.alias is None)
        or (qualifier is not None and p.callee.alias_name == qualifier)
    ]
    fid_names = set(diagnosis.caller_functions) | {caller.logical_id}
    findings = [f.as_dict() for f in caller_side.result.findings]
    related = [f for f in findings if f["resource"] in fid_names or caller.logical_id in f["message"]]
    grant_path, _ = _grant_fix_path(diagnosis, caller_side)
    return _SameAccount(
        diagnosis,
        caller_side,
        callee_side,
        caller,
        callee,
        mine,
        exact,
        related,
        caller_side.template.path,
        grant_path,
        f"!GetAtt {callee.logical_id}.Arn",
    )


def _deny_and_boundary_cases(s: _SameAccount) -> None:
    """Explicit denies and boundaries first when the message says so; else where the template shows them."""
    d, caller, callee, template = s.d, s.caller, s.callee, s.template
    for f in s.related:
        if f["code"] == "AIP125" and callee.logical_id in f["message"]:
            s.add(_deny_case(s, f["path"], f["message"]))
        if f["code"] == "AIP133" and callee.logical_id in f["message"]:
            s.add(
                Case(
                    CaseKind.BOUNDARY,
                    f"{f['message']}: the grant cannot work beyond the boundary.",
                    f"Allow {d.action} on {s.arn_expr}"
                    + (f" (and its `:{s.qualifier}` ARN)" if s.qualifier else "")
                    + " in the permissions boundary policy.",
                    template,
                    f["path"],
                )
            )
    if d.reason in (Reason.DENY_IDENTITY, Reason.DENY_UNNAMED) and not _has_case(s.diagnosis, CaseKind.DENY):
        _literal_deny_case(s)
    if d.reason in (Reason.DENY_IDENTITY, Reason.DENY_UNNAMED) and not _has_case(s.diagnosis, CaseKind.DENY):
        s.add(
            Case(
                CaseKind.DENY,
                f"No Deny in the templates matches; the Deny is in a policy the template does not define "
                f"(an AWS managed policy or one attached outside the stack) of {caller.logical_id}.",
                "Run with --live to see which statement denies it.",
                template,
            )
        )
    if d.reason is Reason.DENY_RESOURCE:
        s.add(_resource_policy_deny(s.callee_side, callee.logical_id, d))
    if d.reason is Reason.DENY_BOUNDARY and not _has_case(s.diagnosis, CaseKind.BOUNDARY):
        s.add(
            Case(
                CaseKind.BOUNDARY,
                f"The permissions boundary of {caller.logical_id} has a Deny statement matching "
                f"{d.action} on {d.function_arn}.",
                reasons.boundary_deny_fix(caller.logical_id, d.action, reasons.function_text(d)),
                template,
                f"{caller.logical_id}.Properties.PermissionsBoundary",
            )
        )
    if d.reason is Reason.NO_BOUNDARY_ALLOW and not _has_case(s.diagnosis, CaseKind.BOUNDARY):
        s.add(
            Case(
                CaseKind.BOUNDARY,
                f"{caller.logical_id}'s permissions boundary does not allow {d.action} on {d.function_arn}.",
                f"Allow {d.action} on {d.function_arn} in the boundary policy (set by PermissionsBoundary); "
                "waiting does not help.",
                template,
                f"{caller.logical_id}.Properties.PermissionsBoundary",
            )
        )


def _deny_case(s: _SameAccount, grant_path: str, message: str) -> Case:
    """A Deny of the caller's policies that removes its grant, located at the Deny statement."""
    caller, callee = s.caller, s.callee.logical_id
    assert caller.key is not None
    denies = deny_paths(s.caller_side.index, caller.key, callee)
    at = denies[0] if denies else grant_path
    return Case(
        CaseKind.DENY,
        f"A Deny reachable from {caller.logical_id}"
        + (f" at {', '.join(denies)}" if denies else "")
        + f" removes its grant at {grant_path}: {message}.",
        f"Remove the statement at {at}, or narrow its Action or Resource so that it no longer matches "
        f"{s.d.action} on {callee}.",
        s.template,
        at,
    )


def _literal_deny_case(s: _SameAccount) -> None:
    """A Deny statement of the caller's own policies (the core's sources and statement reader) that may
    match the call, when no grant of the core's reading was removed by it (there was none to remove)."""
    assert s.caller.key is not None
    for path in deny_paths(s.caller_side.index, s.caller.key, s.callee.logical_id)[:1]:
        s.add(
            Case(
                CaseKind.DENY,
                f"The Deny statement at {path} matches {s.d.action} on {s.callee.logical_id}; it "
                "overrides every Allow.",
                f"Remove the statement at {path}, or narrow its Action or Resource so that it no longer "
                f"matches {s.d.action} on {s.callee.logical_id}.",
                s.template,
                path,
            )
        )


def _has_case(diagnosis: Diagnosis, *kinds: CaseKind) -> bool:
    return any(c.kind in kinds for c in diagnosis.cases)


def _ref_name_cases(s: _SameAccount) -> list[dict[str, Any]]:
    """Grants written `!Ref callee` (a name, which IAM never matches); returns their findings."""
    callee = s.callee.logical_id
    ref_findings = [
        f for f in s.related if f["code"] == "AIP101" and re.search(rf"\b{re.escape(callee)}\b", f["message"])
    ]
    for f in ref_findings:
        s.add(
            Case(
                CaseKind.REF_NAME,
                f"The grant's Resource is `!Ref {callee}`, the function's name; IAM matches ARNs "
                "only, so the identity policy allows nothing.",
                f"Write `Resource: {s.arn_expr}` at {f['path']}"
                + (f" (and `!Sub ${{{callee}.Arn}}:*` for the `:{s.qualifier}` call)" if s.qualifier else "")
                + ".",
                s.template,
                f["path"],
            )
        )
    return ref_findings


def _qualifier_cases(s: _SameAccount, ref_findings: list[dict[str, Any]]) -> None:
    """How the call's qualifier (version, alias or none) relates to what the grants cover."""
    qualifier = s.qualifier
    if qualifier is not None and _VERSION.match(qualifier):
        _version_call_case(s, qualifier)
    elif qualifier is not None and not s.exact and any(p.callee.alias is None for p in s.mine):
        _qualified_call_case(s, qualifier)
    elif qualifier is None and not s.exact and s.mine:
        _unqualified_call_case(s)
    elif not s.mine and not ref_findings:
        _no_grant_case(s)


def _version_call_case(s: _SameAccount, qualifier: str) -> None:
    s.add(
        Case(
            CaseKind.VERSION_CALL,
            f"The call named version {qualifier}; the macro mirrors no grant for versions, and a grant "
            "on the unqualified ARN or an alias does not cover a version.",
            f"Invoke through an alias and grant its ARN, or grant `!Sub ${{{s.callee.logical_id}.Arn}}:*`.",
            s.template,
            s.grant_path,
        )
    )


def _qualified_arn_expr(s: _SameAccount, qualifier: str) -> str:
    alias = s.diagnosis.alias
    return f"!Ref {alias}" if alias else f"!Sub ${{{s.callee.logical_id}.Arn}}:{qualifier}"


def _qualified_call_case(s: _SameAccount, qualifier: str) -> None:
    callee = s.callee.logical_id
    unqualified = next(p for p in s.mine if p.callee.alias is None)
    alias_expr = _qualified_arn_expr(s, qualifier)
    s.add(
        Case(
            CaseKind.QUALIFIED_CALL,
            f"The call named `{s.d.function}:{qualifier}`, but the grant at {unqualified.grants[0]} covers "
            f"only the unqualified ARN of {callee}; a qualified call needs the qualified ARN.",
            f"Add `{alias_expr}` (or `!Sub ${{{callee}.Arn}}:*` for every alias) to the "
            f"Resource at {unqualified.grants[0]}; the macro then adds the alias's permission too."
            + ("" if s.diagnosis.alias else f" The templates define no alias {qualifier} of {callee}."),
            s.template,
            unqualified.grants[0],
        )
    )


def _unqualified_call_case(s: _SameAccount) -> None:
    aliased = s.mine[0]
    s.add(
        Case(
            CaseKind.UNQUALIFIED_CALL,
            f"The call named the unqualified ARN, but the grant at {aliased.grants[0]} covers only "
            f"{aliased.callee.label}.",
            f"Call `{s.d.function}:{aliased.callee.alias_name}` (Qualifier={aliased.callee.alias_name}), "
            f"or add `{s.arn_expr}` to the Resource at {aliased.grants[0]}.",
            s.template,
            aliased.grants[0],
        )
    )


def _no_grant_case(s: _SameAccount) -> None:
    caller, callee, qualifier = s.caller.logical_id, s.callee.logical_id, s.qualifier
    role = principal_of(s.caller_side.index, s.caller)
    sam = role.sam_function if role is not None else None  # only a raw SAM function has Policies
    resource = s.arn_expr if qualifier is None else _qualified_arn_expr(s, qualifier)
    statement = f"`{{Effect: Allow, Action: lambda:InvokeFunction, Resource: {resource}}}`"
    attach = "Users" if is_user(s.caller_side.index, caller) else "Roles"
    fix = (
        f"Add to {sam}.Properties.Policies: `- LambdaInvokePolicy: {{FunctionName: !Ref {callee}}}` or a "
        f"statement {statement}"
        if sam
        else f"Add a statement {statement} to {caller}.Properties.Policies, or an AWS::IAM::Policy with "
        f"`{attach}: [!Ref {caller}]`"
        if role is not None and role.resource is not None
        else f"Add a statement {statement} to {caller}'s policies"
    )
    s.add(
        Case(
            CaseKind.NO_GRANT,
            f"No policy of {caller} grants {s.d.action} on {callee}"
            + (f" (`:{qualifier}`)" if qualifier else "")
            + ", and the callee's resource policy names no such caller.",
            fix + _resource_side_follows(s.caller_side.index, role),
            s.template,
            s.grant_path,
        )
    )


def _resource_side_follows(index: TemplateIndex, role: Role | None) -> str:
    """What follows from the identity grant: the macro mirrors the grants of functions' roles only."""
    if role is not None and any(c in index.functions for c in role.callers):
        return "; with the macro in the Transform, the callee's permission follows."
    return (
        "; in one account the identity grant alone allows the call (the macro mirrors the grants of "
        "functions' roles only)."
    )


def _condition_case(s: _SameAccount, p: Permission) -> None:
    """A grant under a Condition: false puts it first (no grant in this deploy), else a note on it."""
    assert p.condition is not None
    side = s.caller_side
    fragment = side.result.fragment
    conditions = fragment.get("Conditions") if isinstance(fragment, Mapping) else None
    value = side.index.resolver.decided(conditions if isinstance(conditions, Mapping) else {}).get(
        p.condition
    )
    if value is False:
        s.diagnosis.cases.insert(
            0,
            Case(
                CaseKind.CONDITION_FALSE,
                f"The grant at {p.grants[0]} exists only under condition {p.condition}, which is false "
                "with these parameter values: in this deploy there is no grant.",
                f"Grant {s.callee.logical_id} outside the condition, or deploy with parameters that make "
                f"{p.condition} true (check with --parameter KEY=VALUE).",
                s.template,
                p.grants[0],
            ),
        )
    else:
        s.add(
            Case(
                CaseKind.CONDITIONAL,
                f"The grant at {p.grants[0]} exists only under condition {p.condition}"
                + (
                    " (its value depends on the deploy)."
                    if value is None
                    else " (true with these parameters)."
                ),
                f"Check the stack's parameter values; pass them with --parameter KEY=VALUE to evaluate "
                f"{p.condition}.",
                s.template,
                p.grants[0],
            ),
        )


def _grant_matches_case(s: _SameAccount) -> None:
    """The template grants exactly this call and nothing removes it: propagation or a different deploy."""
    if not s.exact or _has_case(s.diagnosis, CaseKind.DENY, CaseKind.BOUNDARY, CaseKind.CONDITION_FALSE):
        return
    if not reasons.propagation_possible(s.d):
        return  # an explicit Deny, or a boundary/session/endpoint/organization policy: never propagation
    p = s.exact[0]
    added = "already in the template" if p.existing else f"the macro adds {p.logical_id}"
    s.add(
        Case(
            CaseKind.GRANT_MATCHES,
            f"The template grants exactly this call: {p.grants[0]} allows {s.d.action} on "
            f"{p.callee.label}, and on the resource side {added}.",
            "If the stack was deployed in the last minutes, wait for IAM to propagate and retry; else "
            "the deployed stack differs from this template (an older version, or a Transform without "
            "AutoInvokePermission): run `autoinvoke explain --live` to read the deployed policies.",
            s.template,
            p.grants[0],
        )
    )


def _name_mismatch_case(s: _SameAccount) -> None:
    d, callee = s.d, s.callee
    # a name that resembles the callee stays second; "the caller's only callee" is a weaker guess
    position = 0 if callee.how == ONLY_TARGET_GUESS else len(s.diagnosis.cases)
    env = _environment_variable(s.caller_side.index, s.diagnosis.caller_functions, callee.logical_id)
    named = "FunctionName" in s.callee_side.index.functions[callee.logical_id].properties
    s.diagnosis.cases.insert(
        position,
        Case(
            CaseKind.NAME_MISMATCH,
            f"The message names function {d.function}, which is not {callee.logical_id}'s deployed name "
            + (
                "(set by FunctionName)."
                if named
                else f"(without FunctionName CloudFormation names it <stack>-{callee.logical_id}-<suffix>)."
            ),
            (
                f"Have the caller read the name from its {env} variable"
                if env
                else f"Pass `!Ref {callee.logical_id}` to the caller in an Environment variable"
            )
            + f" instead of calling {d.function!r}, or set `FunctionName: {d.function}` on "
            f"{callee.logical_id}.",
            callee.template,
            f"{callee.logical_id}.Properties",
        ),
    )


def _resource_policy_deny(callee_side: Analyzed, callee: str, d: Denial) -> Case:
    """A Deny on the resource side: only a full AWS::Lambda::ResourcePolicy can hold one in a template."""
    rid = callee_side.index.resource_policies.get(callee)
    if rid is not None:
        return Case(
            CaseKind.DENY,
            f"{rid} replaces {callee}'s resource policy, and a Deny statement in it matches this call.",
            f"Remove or narrow the Deny in {rid}.Properties.PolicyDocument so that it no longer matches "
            f"{principal_arn(d)}.",
            callee_side.template.path,
            f"{rid}.Properties.PolicyDocument",
        )
    return Case(
        CaseKind.DENY,
        f"{callee}'s deployed resource policy denies this call; the template defines no resource policy, so "
        "it was set outside the stack (put-resource-policy).",
        f"Read it with `aws lambda get-policy --function-name {d.function_arn}` (or --live) and remove "
        "the Deny.",
        callee_side.template.path,
    )


def _environment_variable(index: TemplateIndex, functions: Iterable[str], callee: str) -> str | None:
    """The name of a caller's Environment variable that holds the callee's name or ARN (Globals merged in)."""
    for fid in functions:
        fn = index.functions.get(fid)
        env = fn.properties.get("Environment") if fn is not None else None
        variables = env.get("Variables") if isinstance(env, Mapping) else None
        if isinstance(variables, Mapping):
            for name, value in variables.items():
                if index.function_of(value) == callee:
                    return str(name)
    return None


def _url_cases(diagnosis: Diagnosis, caller_side: Analyzed, mine: list[Permission]) -> None:
    """Function URL calls need both actions; the core's permissions hold lambda:InvokeFunction, its
    statement reader the lambda:InvokeFunctionUrl grant."""
    caller = diagnosis.caller
    callee = diagnosis.callee
    assert caller is not None and callee is not None and caller.key is not None
    url_grant = url_grant_path(caller_side.index, caller.key, callee.logical_id)
    template = caller_side.template.path
    if url_grant is None:
        diagnosis.cases.append(
            Case(
                CaseKind.URL_INVOKE_FUNCTION_URL,
                f"No policy of {caller.logical_id} allows lambda:InvokeFunctionUrl on {callee.logical_id}.",
                f"Add `lambda:InvokeFunctionUrl` to the Action of {caller.logical_id}'s grant on "
                f"{callee.logical_id} (with lambda:InvokeFunction: both are required since 2026-11-01).",
                template,
                mine[0].grants[0] if mine else None,
            )
        )
    if not mine:
        diagnosis.cases.insert(
            0,
            Case(
                CaseKind.URL_INVOKE_FUNCTION,
                f"{caller.logical_id} may call {callee.logical_id}'s URL (lambda:InvokeFunctionUrl) but not "
                "lambda:InvokeFunction, which every function URL requires since 2026-11-01.",
                f"Add `lambda:InvokeFunction` to the Action at {url_grant or 'the URL grant'} (optionally "
                "under `Condition: {Bool: {lambda:InvokedViaFunctionUrl: 'true'}}`).",
                template,
                url_grant,
            ),
        )


def _url_forbidden(diagnosis: Diagnosis, analyzed: Sequence[Analyzed]) -> None:
    """A URL 403 names no function: list each URL function and the callers missing an action."""
    for a in analyzed:
        index = a.index
        for fid in sorted({u.form.function for u in function_urls(index, TargetClassifier(index))}):
            invoke = {
                p.principal.key: p.grants[0]
                for p in a.result.permissions
                if p.callee.function == fid and p.action == INVOKE_FUNCTION and not p.extra
            }
            for key, role in sorted(index.roles.items()):
                if role.principal.role is not None:
                    case = _url_role_case(a, fid, key, role.principal.role, invoke.get(key))
                    if case is not None:
                        diagnosis.cases.append(case)


def _url_role_case(a: Analyzed, fid: str, key: RoleKey, role: str, invoke_grant: str | None) -> Case | None:
    """The action `role` lacks for `fid`'s URL, when it holds only one of the two a URL call needs."""
    url_grant = url_grant_path(a.index, key, fid)
    if url_grant and invoke_grant is None:
        return Case(
            CaseKind.URL_INVOKE_FUNCTION,
            f"{role} may call {fid}'s URL (lambda:InvokeFunctionUrl at {url_grant}) but has "
            "no lambda:InvokeFunction, which every function URL requires since 2026-11-01.",
            f"Add `lambda:InvokeFunction` to the Action at {url_grant}.",
            a.template.path,
            url_grant,
        )
    if invoke_grant is not None and url_grant is None:
        return Case(
            CaseKind.URL_INVOKE_FUNCTION_URL,
            f"{role} may invoke {fid} but has no lambda:InvokeFunctionUrl for its URL.",
            f"Add `lambda:InvokeFunctionUrl` to {role}'s grant on {fid}.",
            a.template.path,
            invoke_grant,
        )
    return None


# ------------------------------------------------------------------ output
def render_text(diagnosis: Diagnosis) -> str:
    lines = ["What the message says"]
    lines.extend(f"  {line}" for line in diagnosis.meaning)
    named = diagnosis.denial.reason is not Reason.URL_FORBIDDEN  # a URL 403 names no caller or callee
    if named and (diagnosis.caller or diagnosis.callee or diagnosis.cases):
        lines.append("")
        lines.append("In the templates")
        if diagnosis.caller:
            c = diagnosis.caller
            functions = (
                f" (used by {', '.join(diagnosis.caller_functions)})" if diagnosis.caller_functions else ""
            )
            lines.append(f"  caller: {c.logical_id}{functions} in {c.template}, matched by {c.how}")
        else:
            lines.append("  caller: not found in the templates")
        if diagnosis.callee:
            c = diagnosis.callee
            alias = f", alias {diagnosis.alias}" if diagnosis.alias else ""
            lines.append(f"  callee: {c.logical_id}{alias} in {c.template}, matched by {c.how}")
        else:
            lines.append("  callee: not found in the templates")
        for path in diagnosis.grants:
            lines.append(f"  grant: {path}")
    if diagnosis.live is not None:
        lines.append("")
        lines.append("Deployed (--live)")
        lines.extend(f"  {line}" for line in diagnosis.live.get("lines", []))
    if diagnosis.cases:
        lines.append("")
        lines.append("Likely causes, most likely first")
        for number, case in enumerate(diagnosis.cases, 1):
            where = (
                f" [{case.template}: {case.path}]"
                if case.path and case.template
                else (f" [{case.template}]" if case.template else "")
            )
            lines.append(f"  {number}. {case.kind.value}{where}")
            lines.append(f"     {case.summary}")
            lines.append(f"     Fix: {case.fix}")
    for note in diagnosis.notes:
        lines.append(f"  Note: {note}")
    lines.append("")
    lines.append("What to check")
    lines.extend(f"  - {line}" for line in diagnosis.checks)
    return "\n".join(lines) + "\n"


def render_json(diagnosis: Diagnosis) -> str:
    return json.dumps(diagnosis.as_dict(), indent=2) + "\n"
