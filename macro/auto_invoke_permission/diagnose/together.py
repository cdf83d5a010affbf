"""`check --together` and `graph --together`: several templates as one system.

A grant of one template whose Resource is an `Fn::ImportValue` of another template's export, or a
literal (or `${AWS::AccountId}` / `${AWS::StackName}`-built) ARN of another template's function,
is a cross-stack edge. For each, the callee's template allows the caller when an `AllowCallers`
item or a hand-written `AWS::Lambda::Permission` names the caller's account, its role, or an
organization; otherwise the edge names the `AllowCallers` item to add.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import core, sources
from ..declared_callers import DeclaredItem, canonical_principal
from ..declared_callers import read as read_declared
from ..model import CalleeForm, TransformContext, TransformFailure
from ..options import Mode, Options
from ..paths import TemplatePath
from ..resolver import Token, Unresolved
from ..template import LAMBDA_PERMISSION, TemplateIndex, properties

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_FUNCTION_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):lambda:(?P<region>[^:]+):(?P<account>\d{12}):function:(?P<name>[^:]+)"
    r"(?::(?P<qualifier>[^:]+))?$"
)
CROSS_STACK_CODES = frozenset({"AIP111", "AIP113", "AIP114"})


@dataclass
class Stack:
    """One template of the system, with what other templates can reach in it."""

    path: str
    name: str  # the stack name
    account: str
    data: Mapping[str, Any]
    index: TemplateIndex
    exports: dict[str, CalleeForm] = field(default_factory=dict)  # export name -> callee form
    names: dict[str, str] = field(default_factory=dict)  # physical function name -> logical ID
    declared: list[DeclaredItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class CrossEdge:
    """A grant of a function of one stack on a function of another (or on an unknown export)."""

    caller_path: str
    callers: tuple[str, ...]
    caller_account: str
    role_arn: str | None  # the caller role's ARN, when the template spells it out
    grant: str  # the path of the Resource
    via: str  # `Fn::ImportValue NAME` or the ARN
    callee: Stack | None
    form: CalleeForm | None
    allowed_by: str | None = None  # what allows it: `Orders.Metadata...AllowCallers[0]`, a permission

    @property
    def item(self) -> str:
        """The AllowCallers item that would allow this caller."""
        return f"'{self.role_arn}'" if self.role_arn else f"'{self.caller_account}'"

    @property
    def cross_account(self) -> bool:
        return self.callee is not None and self.callee.account != self.caller_account

    def status(self) -> str:
        if self.callee is None or self.form is None:
            return "unknown callee"
        return "allowed" if self.allowed_by else "missing"

    def describe(self) -> str:
        caller = f"{self.caller_path}: {', '.join(self.callers) or '?'} (account {self.caller_account})"
        if self.callee is None or self.form is None:
            return f"{caller} -> {self.via} at {self.grant}: no template of the system defines it"
        callee = f"{self.callee.path}: {self.form.label} (account {self.callee.account})"
        head = f"{caller} -> {callee} via {self.via} at {self.grant}"
        if self.allowed_by:
            return f"{head}: allowed by {self.allowed_by}"
        need = "the call is denied" if self.cross_account else "the identity grant alone allows it"
        qualifiers = "" if self.form.alias_name is None else f", Qualifiers: [{self.form.alias_name}]"
        item = self.item if not qualifiers else f"{{Principal: {self.item}{qualifiers}}}"
        return (
            f"{head}: not allowed by the callee's template ({need}); add to {self.form.function} in "
            f"{self.callee.path}: Metadata: {{AutoInvokePermission: {{AllowCallers: [{item}]}}}}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "caller": self.caller_path,
            "callers": list(self.callers),
            "callerAccount": self.caller_account,
            "grant": self.grant,
            "via": self.via,
            "callee": None if self.callee is None else self.callee.path,
            "function": None if self.form is None else self.form.label,
            "status": self.status(),
            "allowedBy": self.allowed_by,
            "missingItem": None if self.status() != "missing" else self.item,
        }


def _text(value: Any, stack: str) -> str | None:
    """A symbolic string as text, with `AWS::StackName` the stack's name; None for other tokens."""
    if not isinstance(value, tuple):
        return None
    out = []
    for part in value:
        if isinstance(part, Token):
            if part.kind == "pseudo" and part.name == "AWS::StackName":
                out.append(stack)
                continue
            return None
        out.append(part)
    return "".join(out)


def build_stack(
    path: str, data: Mapping[str, Any], name: str, account: str, region: str, values: Any
) -> Stack:
    context = TransformContext(region, account, values)
    try:  # the index the macro reads the template with
        index = core.read_fragment(dict(data), context).template_index
    except TransformFailure:  # the macro refuses it (`analyze` says why): nothing in it is reachable
        return Stack(path, name, account, data, core.read_fragment({"Resources": {}}, context).template_index)
    resolver = index.resolver
    stack = Stack(path, name, account, data, index)
    outputs = data.get("Outputs")
    for output in (outputs or {}).values() if isinstance(outputs, dict) else ():
        export = output.get("Export") if isinstance(output, dict) else None
        export_name = _text(resolver.scalar(export.get("Name")), name) if isinstance(export, dict) else None
        form = _form_of(index, output.get("Value")) if export_name else None
        if export_name and form is not None:
            stack.exports[export_name] = form
    for fid, fn in index.functions.items():
        for sym, _ in fn.names[1:]:  # the first is `Ref F`, whose value is generated
            text = _text(sym, name)
            if text:
                stack.names[text] = fid
    stack.declared, _, stack.problems = read_declared(index)
    return stack


def _form_of(index: TemplateIndex, node: Any) -> CalleeForm | None:
    """The callee form an output's Value names: a function (Ref, GetAtt .Arn) or an alias (Ref)."""
    fid = index.function_of(node)
    if fid is not None:
        return index.functions[fid].form
    if isinstance(node, dict) and isinstance(node.get("Ref"), str) and node["Ref"] in index.alias_ids:
        function, alias = index.alias_ids[node["Ref"]]
        return alias.form(function)
    return None


def _node_at(resources: Mapping[str, Any], path: TemplatePath) -> Any:
    """The node at a finding path under Resources; None when the template does not have it all."""
    steps = list(path.steps(resources))
    return steps[-1][2] if steps and len(steps) == len(path) else None


def _caller_roles(stack: Stack, grant_path: TemplatePath) -> list[tuple[tuple[str, ...], str | None]]:
    """(functions that run as it, role ARN or None) of each role whose policy document (as the
    core's policy sources attach it) holds the grant at `grant_path`."""
    index = stack.index
    keys = sorted({doc.role_key for doc in sources.collect(index) if grant_path[: len(doc.path)] == doc.path})
    out = []
    for key in keys:
        role = index.roles[key]
        arn = None
        if not key.in_template and key.name.startswith("arn:") and ":role/" in key.name:
            arn = key.name
        elif role.resource is not None:
            props = properties(role.resource)
            name, path = props.get("RoleName"), props.get("Path", "/")
            if isinstance(name, str) and isinstance(path, str):
                arn = f"arn:{index.resolver.partition}:iam::{stack.account}:role{path}{name}"
        out.append((tuple(sorted(set(role.callers))), arn))
    return out


Target = tuple[str, Stack | None, CalleeForm | None]  # how the Resource names it, callee stack, form


def _targets(stacks: list[Stack], caller: Stack, node: Any) -> list[Target]:
    """(how the Resource names it, callee stack, callee form) for each callee a Resource names."""
    resolver = caller.index.resolver
    if isinstance(node, dict) and set(node) == {"Fn::ImportValue"}:
        export = _text(resolver.scalar(node["Fn::ImportValue"]), caller.name)
        via = f"Fn::ImportValue {export or '?'}"
        for stack in stacks:
            if stack is not caller and export in stack.exports:
                return [(via, stack, stack.exports[export])]
        return [(via, None, None)]
    out: list[Target] = []
    for value, _ in resolver.strings(node):
        text = None if isinstance(value, Unresolved) else _text(value, caller.name)
        match = _FUNCTION_ARN.match(text or "")
        if text is None or match is None:
            continue
        found = _callee_of(stacks, caller, match)
        out.append((text, *found) if found else (text, None, None))
    return out


def _callee_of(stacks: list[Stack], caller: Stack, match: re.Match[str]) -> tuple[Stack, CalleeForm] | None:
    """The stack other than the caller's and the callee form a function ARN names, or None."""
    for stack in stacks:
        fid = stack.names.get(match["name"])
        if stack is caller or stack.account != match["account"] or fid is None:
            continue
        fn = stack.index.functions[fid]
        qualifier = match["qualifier"]
        alias = next((a for a in fn.aliases if a.name == qualifier), None)
        if qualifier is None or alias is not None:
            return (stack, fn.form if alias is None else alias.form(fid))
    return None


def _allowed_by(edge: CrossEdge) -> str | None:
    """What in the callee's template allows the edge's caller, or None."""
    stack, form = edge.callee, edge.form
    if stack is None or form is None:
        return None
    partition = stack.index.resolver.partition
    account_root = canonical_principal(edge.caller_account, partition)
    wanted = {account_root} | ({edge.role_arn} if edge.role_arn else set())
    for item in stack.declared:
        if form not in item.forms or item.function_url:
            continue
        principal = canonical_principal(item.principal.principal, partition)
        if principal == "*":
            return f"{item.path} (organization {item.principal.organization}; membership not checked)"
        if principal in wanted:
            return item.path
    for rid in stack.index.of_type.get(LAMBDA_PERMISSION, ()):
        props = properties(stack.index.resources[rid])
        if set(props) - {"Action", "FunctionName", "Principal", "PrincipalOrgID"}:
            continue
        action = props.get("Action")
        if not (isinstance(action, str) and action.lower() in ("lambda:invokefunction", "lambda:*")):
            continue
        if _form_of(stack.index, props.get("FunctionName")) != form:
            continue
        spelled = _text(stack.index.resolver.scalar(props.get("Principal")), stack.name)
        if spelled and canonical_principal(spelled, partition) in wanted | {"*"}:
            return rid
    return None


def analyze(stacks: list[Stack], region: str) -> list[CrossEdge]:
    """The cross-stack edges of the system, in template and path order."""
    edges: list[CrossEdge] = []
    for caller in stacks:
        context = TransformContext(region, caller.account, {})
        try:
            result = core.analyze(dict(caller.data), Options(mode=Mode.AUDIT), context)
        except Exception as err:  # a template the macro refuses: said, not a traceback
            caller.problems.append(str(err))
            continue
        resources = caller.data.get("Resources") or {}
        for finding in result.findings:
            if finding.code not in CROSS_STACK_CODES:
                continue
            where = finding.template_path
            node = _node_at(resources, where)
            for callers, role_arn in _caller_roles(caller, where) or [((), None)]:
                for via, stack, form in _targets(stacks, caller, node):
                    edge = CrossEdge(
                        caller.path, callers, caller.account, role_arn, finding.path, via, stack, form
                    )
                    edge.allowed_by = _allowed_by(edge)
                    edges.append(edge)
    return edges
