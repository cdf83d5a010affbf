"""From policy statements to grants: what each caller's role may invoke (behaviour.md sections 3-4).

Every statement of every policy document reachable from a caller's role is read here: Allows
become grants on callee forms, Denies remove them, and what cannot be mirrored becomes a finding.
"""

from __future__ import annotations

from typing import Any

from . import sources
from .analysis import Analysis
from .conditions import NO_CONDITIONS, CondSet, and_conditions, contradictory
from .model import CalleeForm, EdgeStatus, Grant, Principal, RoleKey
from .options import Wildcards
from .resolver import Unresolved
from .statements import (
    InvokeStatement,
    Problem,
    Statement,
    action_allows_invoke,
    invoke_statement,
    statement_items,
    statements,
)
from .targets import Target
from .template import Role, properties


def _simple_allow(stmt: Any) -> bool | None:
    """For the commonest statement (Allow, literal Action, Resource, no Condition): whether it grants
    invoke. None: any other shape, read by the general statement reader."""
    if not isinstance(stmt, dict) or stmt.get("Effect") != "Allow" or "Fn::If" in stmt:
        return None
    if "Resource" not in stmt or "Condition" in stmt or "NotAction" in stmt:
        return None
    action = stmt.get("Action")
    if isinstance(action, str):
        return action_allows_invoke(action)
    if not isinstance(action, list):
        return None
    found = False
    for item in action:
        if not isinstance(item, str):
            return None
        if not found and action_allows_invoke(item):
            found = True
    return found


def read_document(state: Analysis, doc: sources.PolicyDocument) -> None:
    """Every statement of one policy document of a caller's role. The commonest shapes take a
    direct path; everything else (Deny, NotAction, Condition, Fn::If...) the general reader."""
    role = state.index.roles[doc.role_key]
    document = doc.document
    body = document.get("Statement") if isinstance(document, dict) and "Fn::If" not in document else None
    if not isinstance(body, list):  # a single statement, Fn::If around the document, no Statement...
        for item in statements(document, doc.path, state.index.resolver):
            _read_statement(state, doc, role, item)
        return
    for index, stmt in enumerate(body):
        grants = _simple_allow(stmt)
        if grants is False:
            continue
        path = f"{doc.path}.Statement[{index}]"
        if grants:
            state.grant_count += 1
            _read_resources(state, role.principal, role.callers, stmt["Resource"], path, doc.conditions)
        else:
            for item in statement_items(stmt, path, NO_CONDITIONS, state.index.resolver.conditions):
                _read_statement(state, doc, role, item)


def _read_statement(
    state: Analysis, doc: sources.PolicyDocument, role: Role, item: Statement | Problem
) -> None:
    """Any statement: Deny, NotAction, NotResource, Condition, Fn::If in Action, malformed shapes."""
    if isinstance(item, Problem):
        state.find(item.code, item.path, item.message)
        return
    conds = and_conditions(doc.conditions, item.conditions)
    parsed = invoke_statement(item, state.index.resolver)
    if parsed is None:
        return
    if isinstance(parsed, Problem):
        state.find("AIP103", parsed.path, parsed.message)
        return
    if parsed.effect == "Deny":
        _record_deny(state, doc.role_key, parsed)
        return
    state.grant_count += 1
    if parsed.has_condition:
        state.find("AIP120", item.path + ".Condition", "the statement has an IAM Condition block")
        state.edge(role.callers, role.principal, "(conditional grant)", EdgeStatus.BROKEN, item.path)
        return
    if parsed.not_resource:
        state.find("AIP121", parsed.resource_path, "Allow with NotResource covers every other function")
        state.edge(role.callers, role.principal, "(NotResource)", EdgeStatus.WILDCARD, item.path)
        return
    for action_conds in parsed.action_conditions:
        _read_resources(
            state, role.principal, role.callers, parsed.resources, item.path, conds | action_conds
        )


def _read_resources(
    state: Analysis,
    principal: Principal,
    callers: list[str],
    resources: Any,
    stmt_path: str,
    conds: CondSet,
) -> None:
    """The Resource of an Allow statement at `stmt_path`: a grant on each callee form it names."""
    many = isinstance(resources, list)
    items = resources if many else [resources]
    functions = state.index.functions
    for i, node in enumerate(items):
        position = i if many else None
        getatt = node.get("Fn::GetAtt") if isinstance(node, dict) and len(node) == 1 else None
        if (
            isinstance(getatt, list)
            and len(getatt) == 2
            and getatt[1] == "Arn"
            and isinstance(getatt[0], str)
            and getatt[0] in functions
        ):
            target = state.classifier.getatt_arn(getatt[0])
            _use_target(state, principal, callers, target, stmt_path, position, conds)
            continue
        for value, vconds in state.index.resolver.strings(node):
            if isinstance(value, Unresolved):
                path = _resource_path(stmt_path, position)
                state.find(value.code, path, f"cannot resolve the Resource: {value.reason}")
                status = EdgeStatus.EXTERNAL if value.code in ("AIP114", "AIP115") else EdgeStatus.BROKEN
                state.edge(callers, principal, f"({value.reason})", status, path)
                continue
            target = state.classifier.classify(value)
            if not target.lambda_related:
                continue
            _use_target(state, principal, callers, target, stmt_path, position, and_conditions(conds, vconds))


def _resource_path(stmt_path: str, position: int | None) -> str:
    """Where a Resource is: `<statement>.Resource`, or `<statement>.Resource[i]` in a list.
    Built only for a finding: grants record the statement's path."""
    return f"{stmt_path}.Resource" if position is None else f"{stmt_path}.Resource[{position}]"


def _use_target(
    state: Analysis,
    principal: Principal,
    callers: list[str],
    target: Target,
    stmt_path: str,
    position: int | None,
    conds: CondSet,
) -> None:
    key = principal.key
    if target.code is None:  # the common case: named callees, nothing to report
        for form, fconds in target.forms:
            state.covered.add((key, form))
            all_conds = conds | fconds if fconds else conds
            if not fconds or not contradictory(all_conds):
                state.grants.append(Grant(principal, form, stmt_path, all_conds))
        return
    forms = list(target.forms)
    state.covered.update((key, form) for form, _ in (*target.forms, *target.wildcard_forms))
    if target.code == "AIP110" and state.options.wildcards is Wildcards.EXPAND and target.wildcard_forms:
        forms.extend(target.wildcard_forms)
    elif target.code is not None:
        path = _resource_path(stmt_path, position)
        message = target.message
        if target.code == "AIP111":
            message = f"{message}. Its owner must add: {_cross_account_statement(principal, target)}"
        state.find(target.code, path, message)
        status = (
            EdgeStatus.EXTERNAL
            if target.external
            else EdgeStatus.WILDCARD
            if target.code in ("AIP110", "AIP124")
            else EdgeStatus.BROKEN
        )
        label = target.message.split(" ", 1)[0]
        state.edge(callers, principal, label, status, path)
    for form, fconds in forms:
        all_conds = and_conditions(conds, fconds)
        if not contradictory(all_conds):
            state.grants.append(Grant(principal, form, stmt_path, all_conds))


def _cross_account_statement(principal: Principal, target: Target) -> str:
    """The statement the callee's account must add, as the AWS CLI command that adds it."""
    role = f"<ARN of {principal.role}>" if principal.role is not None else principal.key.name
    return (
        f"aws lambda add-permission --function-name {target.arn} --statement-id Invoke{principal.label} "
        f"--action lambda:InvokeFunction --principal {role}"
    )


def _record_deny(state: Analysis, role_key: RoleKey, stmt: InvokeStatement) -> None:
    """Over-approximate: a Deny we cannot read denies everything the role could be granted."""
    if state.denied.get(role_key, set()) is None:
        return
    if stmt.not_resource:  # denies everything but what it lists
        listed = _covered_forms(state, stmt.resources)
        if listed is None:
            state.denied[role_key] = None
        else:
            state.denied_except.setdefault(role_key, []).append(listed)
        return
    forms = _covered_forms(state, stmt.resources)
    if forms is None:
        state.denied[role_key] = None
        return
    denied = state.denied.setdefault(role_key, set())
    assert denied is not None
    denied.update(forms)


def _covered_forms(state: Analysis, resources: Any) -> set[CalleeForm] | None:
    """The callee forms a Resource list covers (a pattern covers the aliases of what it matches too);
    None when that is everything or cannot be known."""
    out: set[CalleeForm] = set()
    for value, _ in state.index.resolver.strings(resources):
        if isinstance(value, Unresolved) or value == ("*",):
            return None
        target = state.classifier.classify(value)
        for form, _c in (*target.forms, *target.wildcard_forms):
            out.add(form)
            if target.wildcard_forms:
                fn = state.index.functions[form.function]
                out.update(a.form(form.function) for a in fn.aliases)
    return out


def check_boundaries(state: Analysis, grants: list[Grant]) -> None:
    """A role's permissions boundary caps what it may do. When the boundary is a managed policy of the
    template that allows no invoke on a granted callee, the call is denied whatever the grant and the
    injected permission say (AIP133). Boundaries outside the template cannot be read: no finding."""
    allowed_by_role: dict[RoleKey, tuple[str, set[CalleeForm]]] = {}
    for key, role in state.index.roles.items():
        if role.sam_function is not None:
            boundary = state.index.functions[role.sam_function].properties.get("PermissionsBoundary")
        elif role.resource is not None:
            boundary = properties(role.resource).get("PermissionsBoundary")
        else:
            continue
        policy_id = state.index.managed_policy_of(boundary) if boundary is not None else None
        if policy_id is None:
            continue
        document = properties(state.index.resources[policy_id]).get("PolicyDocument")
        allowed = _boundary_allows(state, document, f"{policy_id}.Properties.PolicyDocument")
        if allowed is not None:
            allowed_by_role[key] = (policy_id, allowed)
    for grant in grants:
        entry = allowed_by_role.get(grant.principal.key)
        if entry is not None and grant.callee not in entry[1]:
            state.find(
                "AIP133",
                grant.path,
                f"the permissions boundary {entry[0]} of {grant.principal.label} allows no "
                f"lambda:InvokeFunction on {grant.callee.label}",
            )


def _boundary_allows(state: Analysis, document: Any, path: str) -> set[CalleeForm] | None:
    """The callee forms a boundary allows invoking; None when it allows all of them or cannot be read."""
    allowed: set[CalleeForm] = set()
    for item in statements(document, path, state.index.resolver):
        if isinstance(item, Problem):
            return None
        parsed = invoke_statement(item, state.index.resolver)
        if parsed is None or isinstance(parsed, Problem) or parsed.effect != "Allow":
            continue  # (a Deny in a boundary only narrows it further: staying silent is the safe side)
        if parsed.not_resource or parsed.has_condition:
            return None
        forms = _covered_forms(state, parsed.resources)
        if forms is None:
            return None
        allowed |= forms
    return allowed


def apply_denies(state: Analysis) -> list[Grant]:
    if not state.denied and not state.denied_except:
        return state.grants
    kept = []
    for grant in state.grants:
        denied = state.denied.get(grant.principal.key, set())
        spared = state.denied_except.get(grant.principal.key, [])
        if denied is None or grant.callee in denied or any(grant.callee not in s for s in spared):
            state.find(
                "AIP125", grant.path, f"a Deny removes {grant.callee.label} for {grant.principal.label}"
            )
            continue
        kept.append(grant)
    return kept
