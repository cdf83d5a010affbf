"""The one place that builds AWS::Lambda::Permission resources and their Conditions, and that
recognises the invoke permissions a template already has.

Logical IDs: `<Callee or alias><InvokeFrom><role>`, a function of (callee form,
principal) only. Changing this scheme replaces the permission in every
deployed stack, so it must stay stable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from .conditions import NO_CONDITIONS, CondSet, and_conditions, condition_expression, simplify
from .findings import Finding, FindingCode
from .model import CalleeForm, Grant, Permission, Principal, RoleKey
from .statements import INVOKE_ACTION
from .targets import TargetClassifier
from .template import LAMBDA_PERMISSION, Role, TemplateIndex, properties

PRODUCES: frozenset[FindingCode] = frozenset({"AIP126", "AIP127", "AIP132"})

MAX_LOGICAL_ID = 255
_PARTIAL_ARN = re.compile(r"^\d{12}:function:")
ACTION = "lambda:InvokeFunction"


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8].upper()


def group_key(callee: CalleeForm, principal: Principal) -> str:
    return f"{callee.function}|{callee.alias or ''}|{principal.key}"


def logical_id(callee: CalleeForm, principal: Principal, taken: Mapping[str, Any] | set[str]) -> str:
    """Readable, alphanumeric, at most 255 characters, never one that is taken."""
    base = f"{callee.alias or callee.function}InvokeFrom{principal.label}"
    if len(base) > MAX_LOGICAL_ID:
        base = base[: MAX_LOGICAL_ID - 8] + short_hash(group_key(callee, principal))
    if base not in taken:
        return base
    salt = 0
    while True:
        suffix = short_hash(f"{group_key(callee, principal)}#{salt}")
        candidate = base[: MAX_LOGICAL_ID - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        salt += 1


def permission_resource(permission: Permission) -> dict[str, Any]:
    metadata = {
        "AutoInvokePermission": {"Callers": list(permission.callers), "Grants": list(permission.grants)}
    }
    properties = {
        "Action": permission.action,
        "FunctionName": permission.callee.function_name_expression(),
        "Principal": permission.principal.expression,
        **dict(permission.extra),
    }
    if permission.condition:
        return {
            "Type": LAMBDA_PERMISSION,
            "Condition": permission.condition,
            "Metadata": metadata,
            "Properties": properties,
        }
    return {"Type": LAMBDA_PERMISSION, "Metadata": metadata, "Properties": properties}


# ------------------------------------------------------------------ the builder
def existing_permissions(
    index: TemplateIndex, classifier: TargetClassifier
) -> tuple[set[tuple[CalleeForm, RoleKey]], list[Finding]]:
    """Group keys of the invoke permissions already in the template (any equivalent spelling), and
    an AIP132 for each one that names a service principal on behalf of a function of the template."""
    out: set[tuple[CalleeForm, RoleKey]] = set()
    findings: list[Finding] = []
    for rid in index.of_type.get(LAMBDA_PERMISSION, ()):
        props = properties(index.resources[rid])
        action = props.get("Action")
        if not (isinstance(action, str) and action.lower() in (INVOKE_ACTION, "lambda:*", "*")):
            continue
        fn_value = index.resolver.scalar(props.get("FunctionName"))
        if not isinstance(fn_value, tuple):
            continue
        head = fn_value[0] if fn_value else None
        if isinstance(head, str) and _PARTIAL_ARN.match(head):  # ACCOUNT:function:NAME, as Lambda accepts
            fn_value = (
                f"arn:{index.resolver.partition}:lambda:{index.resolver.region}:{head}",
                *fn_value[1:],
            )
        forms = [f for f, _ in classifier.classify(fn_value).forms]
        principal = props.get("Principal")
        if isinstance(principal, str) and principal.endswith(".amazonaws.com") and "SourceArn" in props:
            source = index.function_of(props["SourceArn"])
            if source is not None:
                message = (
                    f"{rid} lets {principal} invoke on behalf of {source}; calls made with "
                    f"{source}'s role never match it"
                )
                findings.append(Finding.at("AIP132", f"{rid}.Properties.Principal", message))
        key = index.principal_key_of(principal)
        role = index.roles.get(key) if key is not None else None
        if role is None:
            continue  # a principal none of the template's functions runs as
        out.update((form, role.principal.key) for form in forms)
    return out, findings


class Built(NamedTuple):
    """What `build_permissions` returns."""

    permissions: list[Permission]  # added and existing, in the order of their group keys
    findings: list[Finding]
    new_conditions: dict[str, Any]  # combined conditions the permissions name, to add to Conditions


def build_permissions(
    index: TemplateIndex,
    grants: list[Grant],
    existing: set[tuple[CalleeForm, RoleKey]],
    conditions: Mapping[str, Any] | None,
) -> Built:
    """One permission per (callee form, principal) of the grants: existing, added, or a finding."""
    groups = _groups(grants)
    namer = _ConditionNamer(conditions)
    findings = namer.findings
    taken: set[str] = set(index.resources)
    permissions: list[Permission] = []
    per_role: dict[RoleKey, tuple[tuple[str, ...], CondSet]] = {}  # callers, and the conditions they share
    for key in sorted(groups):  # a loop of locals: it runs for every permission
        function, alias_id, role_key = key
        if function in index.skipped:
            continue
        members = groups[key]
        callee, principal = members[0].callee, members[0].principal
        role = index.roles[role_key]
        shared = per_role.get(role_key)
        if shared is None:
            shared = per_role[role_key] = _callers_of(role)
        callers, callers_common = shared
        if not callers:
            continue
        paths = (members[0].path,) if len(members) == 1 else tuple(sorted({g.path for g in members}))
        if function in index.resource_policies:
            message = (
                f"{function} has an AWS::Lambda::ResourcePolicy; no permission added for {principal.label}"
            )
            findings.append(Finding.at("AIP126", index.resource_policies[function], message))
            continue
        if existing and (callee, role_key) in existing:
            permissions.append(Permission("", callee, principal, callers, paths, None, existing=True))
            continue
        common = and_conditions(index.functions[function].conditions, role.conditions, callers_common)
        if alias_id:
            alias = index.alias_ids.get(alias_id)
            if alias is not None:
                common = and_conditions(common, alias[1].conditions)
        lid = logical_id(callee, principal, taken)
        condition_name = None
        if common or (members[0].conditions if len(members) == 1 else any(g.conditions for g in members)):
            expressible, condition_name = namer.condition(lid, common, members)
            if not expressible:
                continue
        taken.add(lid)
        permissions.append(Permission(lid, callee, principal, callers, paths, condition_name, False))
    return Built(permissions, findings, namer.new_conditions)


def _groups(grants: list[Grant]) -> dict[tuple[str, str, RoleKey], list[Grant]]:
    """The grants by (function, alias logical ID or "", principal key), in the order they come."""
    groups: dict[tuple[str, str, RoleKey], list[Grant]] = {}
    for grant in grants:
        function, alias_id, _ = grant.callee
        key = (function, alias_id or "", grant.principal.key)
        members = groups.get(key)
        if members is None:
            groups[key] = [grant]
        else:
            members.append(grant)
    return groups


class _ConditionNamer:
    """The Conditions of one `build_permissions` call: the combined ones it adds, and AIP127 where
    one is needed but Conditions is not visible."""

    __slots__ = ("conditions", "findings", "new_conditions")

    def __init__(self, conditions: Mapping[str, Any] | None) -> None:
        self.conditions = conditions
        self.findings: list[Finding] = []
        self.new_conditions: dict[str, Any] = {}

    def condition(self, lid: str, common: CondSet, members: list[Grant]) -> tuple[bool, str | None]:
        """(whether the permission can exist and be written, the name of its Condition or None)."""
        conditions = self.conditions
        if conditions:
            common = _plain_literals(common, conditions)
            members = [g.with_conditions(_plain_literals(g.conditions, conditions)) for g in members]
        alternatives = simplify(and_conditions(common, g.conditions) for g in members)
        if alternatives is None:
            return False, None  # the grant can never exist together with the callee
        in_all = frozenset.intersection(*alternatives) if alternatives else NO_CONDITIONS
        return self._name(lid, condition_expression(in_all, alternatives))

    def _name(self, lid: str, expression: Any) -> tuple[bool, str | None]:
        """(expressible, the name to put in the permission's Condition, None for none)."""
        if expression is None:
            return True, None
        if isinstance(expression, dict) and set(expression) == {"Condition"}:
            return True, str(expression["Condition"])
        conditions = self.conditions
        if conditions is None:
            message = f"{lid} needs a combined condition, and Conditions is not visible"
            self.findings.append(Finding.at("AIP127", lid, message))
            return False, None
        new = self.new_conditions
        stem = lid[: MAX_LOGICAL_ID - len("Condition") - 8]
        name = f"{stem}Condition"
        while (name in conditions and conditions[name] != expression) or (
            name in new and new[name] != expression
        ):
            name = f"{stem}Condition{short_hash(name)}"
        if conditions.get(name) != expression:
            new[name] = expression
        return True, name


def _plain_literals(conds: CondSet, conditions: Mapping[str, Any]) -> CondSet:
    """Read conditions that only rename or negate another (SAM's `NOTUseR: !Not [UseR]`) as that one,
    so that equal formulas are written the same way in both transform orders."""
    if not conds:
        return conds
    out = set()
    for lit in conds:
        name, truth = lit
        for _ in range(10):
            definition = conditions.get(name)
            if isinstance(definition, dict) and len(definition) == 1:
                if isinstance(definition.get("Condition"), str):
                    name = definition["Condition"]
                    continue
                negated = definition.get("Fn::Not")
                if (
                    isinstance(negated, list)
                    and len(negated) == 1
                    and isinstance(negated[0], dict)
                    and set(negated[0]) == {"Condition"}
                    and isinstance(negated[0]["Condition"], str)
                ):
                    name, truth = negated[0]["Condition"], not truth
                    continue
            break
        out.add((name, truth))
    return frozenset(out)


def _callers_of(role: Role) -> tuple[tuple[str, ...], CondSet]:
    """The functions that run as a role (sorted, each once), and the conditions they all share."""
    if len(role.callers) == 1:  # the commonest case: a role of its own
        return (role.callers[0],), role.caller_conditions[0]
    common = frozenset.intersection(*role.caller_conditions) if role.caller_conditions else NO_CONDITIONS
    return tuple(sorted(set(role.callers))), common
