"""The pure core: a template fragment in, permissions and findings out.

No I/O, no environment reads, and the input is never mutated: the output
fragment is a new top-level mapping whose untouched values are shared with the
input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from . import checks, limits, report, sources
from .findings import Finding
from .model import (
    CalleeForm,
    Edge,
    EdgeStatus,
    Grant,
    Permission,
    Principal,
    TransformContext,
    TransformFailure,
    TransformResult,
)
from .options import Mode, Options, Wildcards
from .permissions import (
    MAX_LOGICAL_ID,
    condition_expression,
    logical_id,
    permission_resource,
    short_hash,
    simplify,
)
from .resolver import NO_CONDITIONS, CondSet, Resolver, Unresolved, and_conditions, contradictory
from .statements import (
    InvokeStatement,
    Problem,
    Statement,
    action_allows_invoke,
    invoke_statement,
    statements,
)
from .targets import Target, TargetClassifier
from .template import FUNCTION_TYPES, LAMBDA_PERMISSION, Role, TemplateIndex

MACRO_KEY = "AutoInvokePermission"
_PARTIAL_ARN = re.compile(r"^\d{12}:function:")
BROKEN_CODES = frozenset({"AIP101", "AIP102", "AIP103", "AIP116", "AIP120", "AIP121", "AIP122", "AIP123"})


class _Analysis:
    """Working state of one run."""

    def __init__(self, index: TemplateIndex, classifier: TargetClassifier, options: Options) -> None:
        self.index = index
        self.classifier = classifier
        self.options = options
        self.findings: list[Finding] = []
        self.grants: list[Grant] = []
        self.denied: dict[str, set[CalleeForm] | None] = {}  # None: everything
        self.denied_except: dict[str, list[set[CalleeForm]]] = {}  # Deny with NotResource: all but these
        self.edges: list[Edge] = []
        self.grant_count = 0
        self.new_conditions: dict[str, Any] = {}  # combined conditions to add
        self.covered: set[tuple[str, CalleeForm]] = set()  # what identity policies allow

    def find(self, code: str, path: str, message: str, detail: str = "") -> None:
        self.findings.append(Finding(code, path.split(".", 1)[0], path, message, detail))


def _shape(fragment: Any) -> tuple[Mapping[str, Any], bool]:
    """The template and whether it is a bare Resources mapping (Fn::Transform under Resources)."""
    if not isinstance(fragment, dict):
        raise TransformFailure([f"the template fragment is a {type(fragment).__name__}, not a mapping"])
    if "Resources" not in fragment:
        if fragment and all(isinstance(v, dict) and "Type" in v for v in fragment.values()):
            bad = [
                f"{rid}.Type must be a string"
                for rid, v in fragment.items()
                if not isinstance(v["Type"], str)
            ]
            if bad:
                raise TransformFailure(bad)
            return fragment, True
        raise TransformFailure(
            [
                "the fragment has no Resources. Use `Transform: AutoInvokePermission` at the template "
                "level, or place `Fn::Transform` directly under `Resources`"
            ]
        )
    problems = []
    resources = fragment["Resources"]
    if not isinstance(resources, dict):
        problems.append(
            f"Resources must be a mapping of logical IDs to resources, not a {type(resources).__name__}"
        )
    else:
        for rid, res in resources.items():
            if not isinstance(res, dict):
                problems.append(f"Resources.{rid} must be a mapping, not a {type(res).__name__}")
            elif not isinstance(res.get("Type"), str):
                problems.append(f"Resources.{rid}.Type must be a string")
    for section in ("Conditions", "Parameters", "Mappings", "Metadata", "Globals"):
        if section in fragment and not isinstance(fragment[section], dict):
            problems.append(f"{section} must be a mapping, not a {type(fragment[section]).__name__}")
    if not problems and isinstance(fragment.get("Conditions"), dict):
        problems.extend(_condition_cycles(fragment["Conditions"]))
    if problems:
        raise TransformFailure(problems)
    return fragment, False


def _condition_cycles(conditions: Mapping[str, Any]) -> list[str]:
    """Conditions that refer to themselves through `{"Condition": name}` (CloudFormation rejects them,
    and the macro would otherwise build permissions on them)."""
    refs: dict[str, set[str]] = {}
    for name, definition in conditions.items():
        found: set[str] = set()
        stack: list[tuple[Any, int]] = [(definition, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > 50:
                continue
            if isinstance(node, dict):
                if isinstance(node.get("Condition"), str) and len(node) == 1:
                    found.add(node["Condition"])
                stack.extend((v, depth + 1) for v in node.values())
            elif isinstance(node, list):
                stack.extend((v, depth + 1) for v in node)
        refs[name] = found & set(conditions)
    problems = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in sorted(refs):
        path: list[str] = []
        todo: list[tuple[str, bool]] = [(start, True)]
        while todo:
            name, entering = todo.pop()
            if not entering:
                state[name] = 2
                path.pop()
                continue
            if state.get(name) == 2:
                continue
            if state.get(name) == 1:
                cycle = [*path[path.index(name) :], name]
                problems.append(f"Conditions form a cycle: {' -> '.join(cycle)}")
                continue
            state[name] = 1
            path.append(name)
            todo.append((name, False))
            todo.extend((ref, True) for ref in sorted(refs[name], reverse=True))
    return problems


def analyze(fragment: Any, options: Options, context: TransformContext) -> TransformResult:
    """Find every grant, build the permissions and findings; raise only for unusable input or limits."""
    template, resources_only = _shape(fragment)
    resources: Mapping[str, Any] = template if resources_only else template["Resources"]
    conditions = None if resources_only else template.get("Conditions", {})
    resolver = Resolver(
        region=context.region,
        account_id=context.account_id,
        resources=resources,
        parameters={} if resources_only else template.get("Parameters", {}),
        parameter_values=context.parameter_values,
        mappings={} if resources_only else template.get("Mappings", {}),
        conditions=conditions,
    )
    index = TemplateIndex(resources, None if resources_only else template.get("Globals"), resolver)
    state = _Analysis(index, TargetClassifier(index), options)
    for rid in index.skipped:
        state.find("AIP140", rid, f"{rid} is skipped (Metadata.AutoInvokePermission.Skip)")
    if options.raised_from is not None:
        state.find(
            "AIP141",
            "Metadata.AutoInvokePermission.Mode",
            f"mode {options.raised_from.value} raised to the minimum {options.mode.value}",
        )
    for doc in sources.collect(index):
        _read_document(state, doc)
    grants = _apply_denies(state)
    existing = _existing_permissions(state)
    permissions = _build_permissions(state, grants, existing, conditions)
    checks.environment_references(state.index, state.covered, state.findings)
    findings = sorted(set(state.findings), key=Finding.sort_key)
    result = TransformResult(
        fragment=dict(template),
        options=options,
        permissions=permissions,
        findings=findings,
        edges=sorted(set(state.edges), key=lambda e: (e.callers, e.target, e.status.value, e.path)),
        grant_count=state.grant_count,
    )
    if options.mode is not Mode.AUDIT:  # audit adds nothing, so no limit applies
        limits.check(index, permissions)
    result.fragment = _output(template, resources_only, result, conditions, state.new_conditions)
    return result


def transform(fragment: Any, options: Options, context: TransformContext) -> TransformResult:
    """`analyze`, then refuse in enforce mode when a grant could not be mirrored or a finding is an error."""
    result = analyze(fragment, options, context)
    if options.mode is Mode.ENFORCE and result.blocking:
        raise TransformFailure(
            [f.one_line() for f in result.blocking], log_items=[f"{f.code}:{f.path}" for f in result.blocking]
        )
    return result


# ------------------------------------------------------------------ grants
def _plain_statements(document: Any) -> list[Any] | None:
    """The statements of the commonest document shape (a list of plain mappings), else None."""
    body = document.get("Statement") if isinstance(document, dict) and "Fn::If" not in document else None
    if not isinstance(body, list):
        return None
    for stmt in body:
        if not isinstance(stmt, dict) or "Fn::If" in stmt:
            return None
    return body


def _simple_allow(stmt: dict[str, Any]) -> bool | None:
    """For the commonest statement (Allow, literal Action, Resource, no Condition): whether it grants
    invoke. None: any other shape, read by the general statement reader."""
    if stmt.get("Effect") != "Allow" or "Resource" not in stmt or "Condition" in stmt or "NotAction" in stmt:
        return None
    action = stmt.get("Action")
    if isinstance(action, str):
        return action_allows_invoke(action)
    if isinstance(action, list) and all(isinstance(a, str) for a in action):
        return any(action_allows_invoke(a) for a in action)
    return None


def _read_document(state: _Analysis, doc: sources.PolicyDocument) -> None:
    role = state.index.roles[doc.role_key]
    plain = _plain_statements(doc.document)
    if plain is None:
        for item in statements(doc.document, doc.path, state.index.resolver):
            _read_statement(state, doc, role, item)
        return
    for index, stmt in enumerate(plain):
        grants = _simple_allow(stmt)
        if grants is False:
            continue
        path = f"{doc.path}.Statement[{index}]"
        if grants:
            state.grant_count += 1
            _read_resources(
                state,
                role.principal,
                role.callers,
                stmt["Resource"],
                path + ".Resource",
                path,
                doc.conditions,
            )
        else:
            _read_statement(state, doc, role, Statement(stmt, path, NO_CONDITIONS))


def _read_statement(
    state: _Analysis, doc: sources.PolicyDocument, role: Role, item: Statement | Problem
) -> None:
    """Any statement: Deny, NotAction, NotResource, Condition, Fn::If in Action, malformed shapes."""
    if isinstance(item, Problem):
        state.find("AIP103", item.path, item.message)
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
        _edge(state, role.callers, role.principal, "(conditional grant)", EdgeStatus.BROKEN, item.path)
        return
    if parsed.not_resource:
        state.find("AIP121", parsed.resource_path, "Allow with NotResource covers every other function")
        _edge(state, role.callers, role.principal, "(NotResource)", EdgeStatus.WILDCARD, item.path)
        return
    for action_conds in parsed.action_conditions:
        _read_resources(
            state,
            role.principal,
            role.callers,
            parsed.resources,
            parsed.resource_path,
            item.path,
            conds | action_conds,
        )


def _read_resources(
    state: _Analysis,
    principal: Principal,
    callers: list[str],
    resources: Any,
    resource_path: str,
    stmt_path: str,
    conds: CondSet,
) -> None:
    many = isinstance(resources, list)
    items = resources if many else [resources]
    functions = state.index.functions
    for i, node in enumerate(items):
        path = f"{resource_path}[{i}]" if many else resource_path
        getatt = node.get("Fn::GetAtt") if isinstance(node, dict) and len(node) == 1 else None
        if (
            isinstance(getatt, list)
            and len(getatt) == 2
            and getatt[1] == "Arn"
            and isinstance(getatt[0], str)
            and getatt[0] in functions
        ):
            target = state.classifier.getatt_arn(getatt[0])
            _use_target(state, principal, callers, target, stmt_path, path, conds)
            continue
        for value, vconds in state.index.resolver.strings(node):
            if isinstance(value, Unresolved):
                state.find(value.code, path, f"cannot resolve the Resource: {value.reason}")
                status = EdgeStatus.EXTERNAL if value.code in ("AIP114", "AIP115") else EdgeStatus.BROKEN
                _edge(state, callers, principal, f"({value.reason})", status, path)
                continue
            target = state.classifier.classify(value)
            if not target.lambda_related:
                continue
            _use_target(state, principal, callers, target, stmt_path, path, and_conditions(conds, vconds))


def _use_target(
    state: _Analysis,
    principal: Principal,
    callers: list[str],
    target: Target,
    stmt_path: str,
    path: str,
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
        detail = _cross_account_statement(principal, target) if target.code == "AIP111" else ""
        state.find(target.code, path, target.message, detail)
        status = (
            EdgeStatus.EXTERNAL
            if target.external
            else EdgeStatus.WILDCARD
            if target.code in ("AIP110", "AIP124")
            else EdgeStatus.BROKEN
        )
        label = target.message.split(" ", 1)[0]
        _edge(state, callers, principal, label, status, path)
    for form, fconds in forms:
        all_conds = and_conditions(conds, fconds)
        if not contradictory(all_conds):
            state.grants.append(Grant(principal, form, stmt_path, all_conds))


def _cross_account_statement(principal: Principal, target: Target) -> str:
    return (
        "The callee's owner must add: aws lambda add-permission --function-name <callee ARN> "
        "--statement-id <id> --action lambda:InvokeFunction "
        f"--principal <ARN of the caller's role, here {_principal_text(principal)}>"
    )


def _principal_text(principal: Principal) -> str:
    if principal.role is not None:
        return f"!GetAtt {principal.role}.Arn"
    return principal.key.removeprefix("arn:")


def _record_deny(state: _Analysis, role_key: str, stmt: InvokeStatement) -> None:
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


def _covered_forms(state: _Analysis, resources: Any) -> set[CalleeForm] | None:
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
                out.update(CalleeForm(form.function, a.logical_id, a.name) for a in fn.aliases)
    return out


def _apply_denies(state: _Analysis) -> list[Grant]:
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


# ------------------------------------------------------------- permissions
def _existing_permissions(state: _Analysis) -> set[tuple[CalleeForm, str]]:
    """Group keys of the invoke permissions already in the template (any equivalent spelling)."""
    index = state.index
    out: set[tuple[CalleeForm, str]] = set()
    for rid, res in index.resources.items():
        if not isinstance(res, dict) or res.get("Type") != LAMBDA_PERMISSION:
            continue
        props = res.get("Properties")
        if not isinstance(props, dict):
            continue
        action = props.get("Action")
        if not (isinstance(action, str) and action.lower() in ("lambda:invokefunction", "lambda:*", "*")):
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
        forms = [f for f, _ in state.classifier.classify(fn_value).forms]
        principal = props.get("Principal")
        if isinstance(principal, str) and principal.endswith(".amazonaws.com") and "SourceArn" in props:
            source = index.function_of(props["SourceArn"])
            if source is not None:
                state.find(
                    "AIP132",
                    f"{rid}.Properties.Principal",
                    f"{rid} lets {principal} invoke on behalf of {source}; calls made with "
                    f"{source}'s role never match it",
                )
        key = index.principal_key_of(principal)
        role = index.roles.get(key) if key is not None else None
        if role is None:
            continue  # a principal none of the template's functions runs as
        out.update((form, role.principal.key) for form in forms)
    return out


def _build_permissions(
    state: _Analysis,
    grants: list[Grant],
    existing: set[tuple[CalleeForm, str]],
    conditions: Mapping[str, Any] | None,
) -> list[Permission]:
    index = state.index
    groups: dict[tuple[CalleeForm, str], list[Grant]] = {}
    for grant in grants:
        groups.setdefault((grant.callee, grant.principal.key), []).append(grant)
    taken: set[str] = set(index.resources)
    permissions: list[Permission] = []
    skipped = set(index.skipped)
    per_role: dict[str, tuple[tuple[str, ...], CondSet]] = {}  # callers, and the conditions they share
    for key in sorted(groups, key=lambda k: (k[0].function, k[0].alias or "", k[1])):
        members = groups[key]
        callee, principal = members[0].callee, members[0].principal
        role = index.roles[principal.key]
        if principal.key not in per_role:
            per_role[principal.key] = (tuple(sorted(set(role.callers))), _common(role.caller_conditions))
        callers, callers_common = per_role[principal.key]
        paths = tuple(sorted({g.path for g in members}))
        if callee.function in skipped or not callers:
            continue
        if callee.function in index.resource_policies:
            state.find(
                "AIP126",
                index.resource_policies[callee.function],
                f"{callee.function} has an AWS::Lambda::ResourcePolicy; "
                f"no permission added for {principal.label}",
            )
            continue
        present = key in existing
        status = EdgeStatus.PRESENT if present else _added_status(state.options)
        state.edges.append(Edge(callers, principal.label, callee.label, status, paths[0]))
        if present:
            permissions.append(Permission("", callee, principal, callers, paths, None, existing=True))
            continue
        fn = index.functions[callee.function]
        common = and_conditions(fn.conditions, role.conditions, callers_common)
        if callee.alias is not None:
            alias = index.alias_ids.get(callee.alias)
            if alias is not None:
                common = and_conditions(common, alias[1].conditions)
        lid = logical_id(callee, principal, taken)
        if conditions:
            common = _plain_literals(common, conditions)
            members = [g._replace(conditions=_plain_literals(g.conditions, conditions)) for g in members]
        if not common and not any(g.conditions for g in members):
            expressible, condition_name = True, None  # the common case: unconditional
        else:
            alternatives = simplify(and_conditions(common, g.conditions) for g in members)
            if alternatives is None:
                continue  # the grant can never exist together with the callee
            shared = frozenset.intersection(*alternatives) if alternatives else frozenset()
            expressible, condition_name = _condition_name(
                state, lid, condition_expression(shared, alternatives), conditions
            )
        if not expressible:
            continue
        taken.add(lid)
        permissions.append(Permission(lid, callee, principal, callers, paths, condition_name, False))
    return permissions


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


def _added_status(options: Options) -> EdgeStatus:
    return EdgeStatus.PLANNED if options.mode is Mode.AUDIT else EdgeStatus.ADDED


def _common(sets: list[CondSet]) -> CondSet:
    return frozenset.intersection(*sets) if sets else frozenset()


def _condition_name(
    state: _Analysis, lid: str, expression: Any, conditions: Mapping[str, Any] | None
) -> tuple[bool, str | None]:
    """(expressible, the name to put in the permission's Condition, None for none)."""
    if expression is None:
        return True, None
    if isinstance(expression, dict) and set(expression) == {"Condition"}:
        return True, str(expression["Condition"])
    if conditions is None:
        state.find("AIP127", lid, f"{lid} needs a combined condition, and Conditions is not visible")
        return False, None
    new = state.new_conditions
    stem = lid[: MAX_LOGICAL_ID - len("Condition") - 8]
    name = f"{stem}Condition"
    while (name in conditions and conditions[name] != expression) or (
        name in new and new[name] != expression
    ):
        name = f"{stem}Condition{short_hash(name)}"
    if conditions.get(name) != expression:
        new[name] = expression
    return True, name


def _edge(
    state: _Analysis, callers: list[str], principal: Principal, target: str, status: EdgeStatus, path: str
) -> None:
    state.edges.append(Edge(tuple(sorted(set(callers))), principal.label, target, status, path))


# ------------------------------------------------------------------ output
def _output(
    template: Mapping[str, Any],
    resources_only: bool,
    result: TransformResult,
    conditions: Mapping[str, Any] | None,
    new_conditions: dict[str, Any],
) -> dict[str, Any]:
    out = dict(template)
    added = [p for p in result.permissions if not p.existing]
    inject = result.options.mode is not Mode.AUDIT
    if inject and added:
        new_resources = {p.logical_id: permission_resource(p) for p in added}
        if resources_only:
            out.update(new_resources)
        else:
            out["Resources"] = {**template["Resources"], **new_resources}
        used = {p.condition for p in added if p.condition}
        wanted = {k: v for k, v in new_conditions.items() if k in used}
        if wanted:
            out["Conditions"] = {**(conditions or {}), **wanted}
    if not resources_only and result.options.report:
        metadata = dict(template.get("Metadata") or {})
        own = metadata.get(MACRO_KEY)
        own = dict(own) if isinstance(own, dict) else {}
        own["Report"] = report.report_metadata(result)
        metadata[MACRO_KEY] = own
        out["Metadata"] = metadata
    return out


__all__ = ["FUNCTION_TYPES", "analyze", "transform"]
