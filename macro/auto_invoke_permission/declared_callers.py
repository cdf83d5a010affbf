"""Declared callers: `Metadata.AutoInvokePermission.AllowCallers` on a function of the template.

Callers in other accounts (or stacks) cannot add the callee's resource policy themselves, so the
callee's template declares them: a role or user ARN, a 12-digit account, an organization
(`{OrganizationId: o-...}`: `Principal: '*'` with `PrincipalOrgID`), or an account or role inside
an organization. Malformed items are configuration errors: the transform fails with the resource
and path. A value unknown at transform time is one AIP171 finding and no permission.

Logical IDs: `<Callee or alias>InvokeFrom<Account|Role|User|Org><label>[In<Org>][Url|ViaUrl]`, a
function of (callee form, principal, organization, kind) only, so they stay stable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .conditions import NO_CONDITIONS, CondSet, UndefinedCondition, and_conditions, if_branches
from .findings import Finding, FindingCode
from .model import INVOKE_FUNCTION as INVOKE
from .model import CalleeForm, Grant, Permission, Principal, RoleKey, TransformFailure, json_kind
from .options import MACRO_KEY
from .permissions import MAX_LOGICAL_ID, _ConditionNamer, short_hash
from .records import Record
from .resolver import Unresolved, literal, sym_text, unknown_parameter
from .targets import TargetClassifier
from .template import LAMBDA_PERMISSION, Function, TemplateIndex, alnum, own_metadata, properties
from .urls import AWS_IAM, function_urls

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeAlias

# AIP126 as permissions.py does: a callee with an AWS::Lambda::ResourcePolicy gets no permission
PRODUCES: frozenset[FindingCode] = frozenset({"AIP126", "AIP170", "AIP171"})

INVOKE_URL = "lambda:InvokeFunctionUrl"
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")  # the AWS Organizations ID pattern
ACCOUNT_ID = re.compile(r"^\d{12}$")
# arn:PARTITION:iam::ACCOUNT:role/PATH/NAME (or user/...): IAM's path (`/` or `/.../`, printable
# ASCII) and name characters, a name of at most 64 characters
IAM_PRINCIPAL_ARN = re.compile(
    r"^arn:(?P<partition>[a-z-]+):iam::(?P<account>[^:]*):(?P<kind>role|user)"
    r"(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>[^/]*)$"
)
IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
ROOT_ARN = re.compile(r"^arn:(?P<partition>[a-z-]+):iam::(?P<account>[^:]*):root$")
ITEM_KEYS = frozenset({"Principal", "OrganizationId", "Qualifiers", "FunctionUrl"})
MAX_READ_DEPTH = 20
_SUB_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class DeclaredPrincipal(Record):
    """A validated AllowCallers principal: what the permission's Principal and PrincipalOrgID say."""

    kind: str  # Account, Role, User or Org
    principal: str  # the Principal property: an account ID, an IAM ARN, or `*` (with an organization)
    organization: str | None
    label: str  # alphanumeric, for logical IDs

    @property
    def shown(self) -> str:
        who = "the organization" if self.principal == "*" else f"{self.kind.lower()} {self.principal}"
        return who if self.organization is None else f"{who} in {self.organization}"


class Declared(Record):
    """What `build` returns."""

    permissions: list[Permission]  # added and existing
    findings: list[Finding]
    new_conditions: dict[str, Any]


def validate_principal(text: str, organization: str | None, partition: str) -> DeclaredPrincipal | str:
    """The principal an AllowCallers value names, or the problem with it (a sentence)."""
    org_label = "" if organization is None else "In" + alnum(organization).capitalize()
    if text == "*":
        if organization is None:
            return "'*' would let every AWS account invoke the function; name an OrganizationId with it"
        return DeclaredPrincipal("Org", "*", organization, alnum(organization).capitalize())
    if ACCOUNT_ID.match(text):
        return DeclaredPrincipal("Account", text, organization, text + org_label)
    if text.endswith((".amazonaws.com", ".amazonaws.com.cn")) or ("." in text and ":" not in text):
        return f"{text!r} is a service principal; AllowCallers names accounts, roles, users and organizations"
    root = ROOT_ARN.match(text)
    arn = IAM_PRINCIPAL_ARN.match(text)
    match = root or arn
    if match is None:
        return (
            f"{text!r} is not a 12-digit account ID, an IAM role or user ARN "
            "(arn:PARTITION:iam::ACCOUNT:role/NAME) or '*' with an OrganizationId"
        )
    if match["partition"] != partition:
        return f"{text!r} is in partition {match['partition']!r}, the stack in {partition!r}"
    account = match["account"]
    if not ACCOUNT_ID.match(account):
        return f"{text!r} has account {account!r}, not a 12-digit account ID"
    if root is not None:
        return DeclaredPrincipal("Account", text, organization, account + org_label)
    name = match["name"]
    if not IAM_NAME.match(name) or len(match["path"]) > 512:
        return f"{text!r} has an invalid {match['kind']} name or path"
    kind = match["kind"].capitalize()
    return DeclaredPrincipal(kind, text, organization, account + alnum(name) + org_label)


def _account_of(principal: str) -> str:
    """The account of an account ID or IAM ARN (`*` for the organization form)."""
    return principal if ACCOUNT_ID.match(principal) else principal.split(":")[4] if ":" in principal else "*"


def canonical_principal(text: str, partition: str) -> str:
    """One spelling per principal: Lambda stores an account ID as its root ARN."""
    return f"arn:{partition}:iam::{text}:root" if ACCOUNT_ID.match(text) else text


class DeclaredItem(Record):
    """One validated AllowCallers value (an item, or one value of a List parameter)."""

    principal: DeclaredPrincipal
    forms: tuple[CalleeForm, ...]
    function_url: bool
    path: str
    conditions: CondSet


class _Reader:
    """Reads the AllowCallers of one template: validated items, findings, and problems (failures)."""

    def __init__(self, index: TemplateIndex) -> None:
        self.index = index
        self.resolver = index.resolver
        self.items: list[DeclaredItem] = []
        self.findings: list[Finding] = []
        self.problems: list[str] = []
        self.parameters = ParameterConditions(index)
        self._url_forms: dict[str, list[CalleeForm]] | None = None  # built by the first FunctionUrl item

    def read(self, fn: Function) -> None:
        own = own_metadata(fn.resource)
        if own is None or "AllowCallers" not in own:
            return
        base = f"{fn.logical_id}.Metadata.{MACRO_KEY}.AllowCallers"
        # the whole value may be an Fn::If: each branch under its condition, AWS::NoValue no caller
        for node, conds in if_branches(own["AllowCallers"], self.resolver.conditions):
            if isinstance(node, UndefinedCondition):
                self.findings.append(Finding.at("AIP171", base, f"cannot read AllowCallers: {node.reason}"))
            elif isinstance(node, list):
                self._list(fn, node, base, conds)
            elif node is not None:
                self._expanded(fn, node, base, conds)

    def _list(self, fn: Function, declared: list[Any], base: str, conds: CondSet) -> None:
        for i, item in enumerate(declared):
            path = f"{base}[{i}]"
            for node, iconds in if_branches(item, self.resolver.conditions, conds):
                if isinstance(node, UndefinedCondition):
                    self.findings.append(Finding.at("AIP171", path, f"cannot read the item: {node.reason}"))
                elif node is not None:
                    self._item(fn, node, path, iconds)

    def _expanded(self, fn: Function, node: Any, base: str, conds: CondSet) -> None:
        """The whole AllowCallers as one `!Ref` of a list parameter or one `Fn::Split`: one plain
        principal per item (an empty item, or an empty list, is no caller)."""
        if not _list_valued(node, self.index):
            self.problems.append(
                f"{base} must be a list, a !Ref of a CommaDelimitedList or List<String> parameter, an "
                f"Fn::Split or an Fn::If of those, not {_shown(node)}"
            )
            return
        pieces = self._values(node, base, conds, expanded=True)
        for i, (text, pconds) in enumerate(pieces):
            self._principals(fn, [(text, pconds)], (fn.form,), False, f"{base} (item {i + 1})")

    def _item(self, fn: Function, node: Any, path: str, conds: CondSet) -> None:
        spec = node if isinstance(node, dict) and not _is_intrinsic(node) else {"Principal": node}
        unknown = sorted(str(k) for k in spec if k not in ITEM_KEYS)
        if unknown:
            self.problems.append(
                f"{path} has unknown keys {', '.join(unknown)}; an item has {', '.join(sorted(ITEM_KEYS))}"
            )
            return
        if "Principal" not in spec and "OrganizationId" not in spec:
            self.problems.append(f"{path} needs a Principal or an OrganizationId")
            return
        forms = self._forms(fn, spec.get("Qualifiers"), f"{path}.Qualifiers")
        url = spec.get("FunctionUrl", False)
        if url in ("true", "false"):
            url = url == "true"
        if not isinstance(url, bool):
            self.problems.append(f"{path}.FunctionUrl must be true or false, not {json_kind(url)}")
            return
        if forms is not None and url:
            forms = self._with_url(fn, forms if "Qualifiers" in spec else None, path)
        if forms is None:
            return
        own_role = self._template_role(spec.get("Principal"))
        if own_role is not None:
            message = (
                f"{own_role} is the role of a caller in this template; its grant is mirrored already, "
                "no declared permission added"
            )
            self.findings.append(Finding.at("AIP170", path, message))
            return
        principal = spec.get("Principal", "*")
        principals = self._values(principal, path, conds, expanded=_list_valued(principal, self.index))
        organizations: list[tuple[str | None, CondSet]] = [(None, NO_CONDITIONS)]
        if "OrganizationId" in spec:
            organizations = list(self._values(spec["OrganizationId"], f"{path}.OrganizationId", conds))
            for org, _ in organizations:
                if org is not None and not ORGANIZATION_ID.match(org):
                    self.problems.append(
                        f"{path}.OrganizationId: {org!r} is not an organization ID (o- and 10 to 32 "
                        "lowercase letters or digits)"
                    )
                    return
        for org, oconds in organizations:
            self._principals(fn, principals, forms, url, path, org, oconds)

    def _principals(
        self,
        fn: Function,
        principals: list[tuple[str, CondSet]],
        forms: tuple[CalleeForm, ...],
        url: bool,
        path: str,
        org: str | None = None,
        oconds: CondSet = NO_CONDITIONS,
    ) -> None:
        """An item per principal (validated; a role of this template's callers is AIP170)."""
        for text, pconds in principals:
            checked = validate_principal(text, org, self.resolver.partition)
            if isinstance(checked, str):
                self.problems.append(f"{path}: {checked}")
                continue
            if self._in_template_caller(checked):
                message = (
                    f"{checked.principal} is the role of a caller in this template; its grant is "
                    "mirrored already, no declared permission added"
                )
                self.findings.append(Finding.at("AIP170", path, message))
                continue
            self.items.append(DeclaredItem(checked, forms, url, path, and_conditions(pconds, oconds)))

    def _values(
        self, node: Any, path: str, conds: CondSet, expanded: bool = False
    ) -> list[tuple[str, CondSet]]:
        """The literal strings a value stands for (a List parameter: each item), each with its
        conditions: those of its Fn::If branches, and one per parameter it reads (the permission holds
        only while the parameter keeps this deploy's value); an AIP171 (once) for a value unknown at
        transform time. `expanded`: a list (a list parameter, Fn::Split), whose empty items are no callers."""
        out: list[tuple[str, CondSet]] = []
        read = self.parameters.conditions(node)
        for value, vconds in self.resolver.strings(node):
            text = None if isinstance(value, Unresolved) else literal(value)
            if text is None and value == ():
                text = ""
            if text is None:
                if isinstance(value, Unresolved):
                    reason = value.reason
                else:
                    unknown = unknown_parameter(value)
                    reason = unknown.reason if unknown is not None else f"{sym_text(value)} is not known"
                message = f"cannot resolve the declared caller: {reason}; no permission added"
                self.findings.append(Finding.at("AIP171", path, message))
                return []
            if text or not expanded:
                out.append((text, and_conditions(conds, vconds, read)))
        return out

    def _forms(self, fn: Function, node: Any, path: str) -> tuple[CalleeForm, ...] | None:
        """The callee forms an item covers: the unqualified function by default, `'*'` adds every
        alias of the template, alias names pick those aliases."""
        if node is None:
            return (fn.form,)
        names = node if isinstance(node, list) else [node]
        forms: list[CalleeForm] = []
        for i, name in enumerate(names):
            where = f"{path}[{i}]" if isinstance(node, list) else path
            if name == "*":
                forms.extend([fn.form, *(a.form(fn.logical_id) for a in fn.aliases)])
                continue
            alias = next((a for a in fn.aliases if a.name == name), None)
            if alias is None:
                known = ", ".join(a.name for a in fn.aliases) or "none"
                self.problems.append(
                    f"{where}: {name!r} is not an alias of {fn.logical_id} in this template "
                    f"(aliases: {known})"
                )
                return None
            forms.append(alias.form(fn.logical_id))
        return tuple(dict.fromkeys(forms))

    def _with_url(
        self, fn: Function, named: tuple[CalleeForm, ...] | None, path: str
    ) -> tuple[CalleeForm, ...] | None:
        """The forms of `fn` a `FunctionUrl: true` item's permissions go on: those with an AWS_IAM
        function URL (or one whose AuthType is unknown), among the `named` ones when the item has
        Qualifiers. None, and a problem, when there is none."""
        if self._url_forms is None:
            self._url_forms = {}
            for found in function_urls(self.index, TargetClassifier(self.index)):
                if found.auth_type in (AWS_IAM, None):
                    self._url_forms.setdefault(found.form.function, []).append(found.form)
        with_url = list(dict.fromkeys(self._url_forms.get(fn.logical_id, [])))
        chosen = [f for f in with_url if named is None or f in named]
        if chosen:
            return tuple(chosen)
        if not with_url:
            self.problems.append(
                f"{path}: FunctionUrl is true, and no form of {fn.logical_id} has a function URL with "
                "AuthType AWS_IAM (FunctionUrlConfig, or an AWS::Lambda::Url)"
            )
        else:
            on = ", ".join(f.label for f in with_url)
            self.problems.append(
                f"{path}: FunctionUrl is true, and the Qualifiers name no form with the function URL "
                f"(it is on {on}); a URL permission on another form never matches a URL call"
            )
        return None

    def _template_role(self, node: Any) -> str | None:
        """The logical ID of a role a function of this template runs as, when an item's Principal
        names it by `!GetAtt Role.Arn` or `!Sub '${Role.Arn}'`."""
        if not isinstance(node, dict) or not _is_intrinsic(node):
            return None
        key = self.index.principal_key_of(node)
        role = self.index.roles.get(key) if key is not None and key.in_template else None
        return key.name if key is not None and role is not None and role.callers else None

    def _in_template_caller(self, declared: DeclaredPrincipal) -> bool:
        """A role of the stack's account that a function of this template runs as."""
        if declared.kind != "Role" or _account_of(declared.principal) != self.resolver.account_id:
            return False
        key = self.index.principal_key_of(declared.principal)
        role = self.index.roles.get(key) if key is not None else None
        return role is not None and bool(role.callers)


class ParameterConditions:
    """The Conditions that hold while a parameter keeps this deploy's value: a declared permission
    built from a parameter's value carries them, so a later deploy with another value (a
    parameter-only update, which need not run the macro again) never keeps a stale caller."""

    def __init__(self, index: TemplateIndex) -> None:
        self.resolver = index.resolver
        self.index = index
        self.defined = index.resolver.conditions or {}
        self.new: dict[str, Any] = {}

    def conditions(self, node: Any) -> CondSet:
        """One condition per parameter with a value that `node` reads."""
        names = sorted(_parameters_read(node, self.resolver.values))
        if not names:
            return NO_CONDITIONS
        return frozenset((self._condition(name), True) for name in names)

    def _condition(self, name: str) -> str:
        items = self.resolver.parameter_list(name)
        if items is not None:
            value = ",".join(items)  # CloudFormation trims each item of a list parameter
            operand: Any = {"Fn::Join": [",", {"Ref": name}]}
        else:
            value = str(self.resolver.values[name])
            operand = {"Ref": name}
        expression = {"Fn::Equals": [operand, value]}
        stem = f"AutoInvoke{alnum(name)[:200]}Is{short_hash(name + chr(0) + value)}"
        candidate, salt = stem, 0
        while self.defined.get(candidate, expression) != expression:
            salt += 1
            candidate = f"{stem}{salt}"
        if candidate not in self.defined:
            self.new[candidate] = expression
        return candidate


def _parameters_read(node: Any, values: Mapping[str, Any], depth: int = 0) -> set[str]:
    """The parameters with a value that a node reads: `Ref`, and `${Name}` in `Fn::Sub`."""
    if depth > MAX_READ_DEPTH:
        return set()
    if isinstance(node, list):
        return set().union(*(_parameters_read(x, values, depth + 1) for x in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    out: set[str] = set()
    ref = node.get("Ref")
    if isinstance(ref, str) and ref in values:
        out.add(ref)
    sub = node.get("Fn::Sub")
    text = sub[0] if isinstance(sub, list) and sub else sub
    if isinstance(text, str):
        out.update(v for v in _SUB_VAR.findall(text) if v in values)
    for child in node.values():
        out |= _parameters_read(child, values, depth + 1)
    return out


def _list_valued(node: Any, index: TemplateIndex) -> bool:
    """`!Ref` of a list parameter, or `Fn::Split`."""
    if not isinstance(node, dict) or len(node) != 1:
        return False
    if "Fn::Split" in node:
        return True
    ref = node.get("Ref")
    decl = index.resolver.parameters.get(ref) if isinstance(ref, str) else None
    ptype = decl.get("Type", "String") if isinstance(decl, dict) else None
    return isinstance(ptype, str) and (ptype == "CommaDelimitedList" or ptype.startswith("List<"))


def _shown(node: Any) -> str:
    """A value as a message names it: `!Ref X` (a String parameter), or its kind."""
    if isinstance(node, dict) and isinstance(node.get("Ref"), str) and len(node) == 1:
        return f"!Ref {node['Ref']}, which is not a list parameter"
    return json_kind(node)


def _is_intrinsic(node: Mapping[str, Any]) -> bool:
    return len(node) == 1 and any(k == "Ref" or k.startswith("Fn::") for k in node)


def _variants(item: DeclaredItem) -> list[tuple[str, tuple[tuple[str, Any], ...], str]]:
    """(action, extra properties, logical ID suffix) of the permissions one item asks for."""
    org = () if item.principal.organization is None else (("PrincipalOrgID", item.principal.organization),)
    if not item.function_url:
        return [(INVOKE, org, "")]
    return [
        (INVOKE_URL, (("FunctionUrlAuthType", "AWS_IAM"), *org), "Url"),
        (INVOKE, (("InvokedViaFunctionUrl", True), *org), "ViaUrl"),
    ]


_Key: TypeAlias = tuple[CalleeForm, str, str, tuple[tuple[str, "Any"], ...]]


class _Existing(Record):
    """An invoke permission already in the template: its logical ID and its Condition (or None)."""

    logical_id: str
    condition: str | None


def _existing(index: TemplateIndex, classifier: TargetClassifier) -> dict[_Key, list[_Existing]]:
    """The invoke permissions already in the template that state nothing else (no SourceArn,
    SourceAccount...), by (callee form, canonical principal, action, extra properties)."""
    partition = index.resolver.partition
    out: dict[_Key, list[_Existing]] = {}
    for rid in index.of_type.get(LAMBDA_PERMISSION, ()):
        resource = index.resources[rid]
        condition = resource.get("Condition") if isinstance(resource, dict) else None
        props = properties(resource)
        action = props.get("Action")
        principal = index.resolver.scalar(props.get("Principal"))
        fn_value = index.resolver.scalar(props.get("FunctionName"))
        text = literal(principal) if isinstance(principal, tuple) else None
        if not isinstance(action, str) or text is None or not isinstance(fn_value, tuple):
            continue
        if condition is not None and not isinstance(condition, str):
            continue
        extra: list[tuple[str, Any]] = []
        for name in ("FunctionUrlAuthType", "InvokedViaFunctionUrl", "PrincipalOrgID"):
            if name in props:
                value = props[name]
                extra.append((name, value in (True, "true") if name == "InvokedViaFunctionUrl" else value))
        if set(props) - {"FunctionName", "Action", "Principal", *(n for n, _ in extra)}:
            continue
        for form, _ in classifier.classify(fn_value).forms:
            key = (form, canonical_principal(text, partition), action.lower(), tuple(extra))
            out.setdefault(key, []).append(_Existing(rid, condition))
    return out


def _logical_id(base: str, key: str, taken: set[str]) -> str:
    """Readable, alphanumeric, at most 255 characters, never one that is taken."""
    if len(base) > MAX_LOGICAL_ID:
        base = base[: MAX_LOGICAL_ID - 8] + short_hash(key)
    salt = 0
    candidate = base
    while candidate in taken:
        suffix = short_hash(f"{key}#{salt}")
        candidate = base[: MAX_LOGICAL_ID - len(suffix)] + suffix
        salt += 1
    return candidate


def read(index: TemplateIndex) -> tuple[list[DeclaredItem], list[Finding], list[str]]:
    """The AllowCallers of the template's functions: the valid items, the findings, the problems
    (malformed items: the transform fails on them)."""
    reader = _reader(index)
    return reader.items, reader.findings, reader.problems


def _reader(index: TemplateIndex) -> _Reader:
    reader = _Reader(index)
    for fid in sorted(index.functions):
        if fid not in index.skipped:
            reader.read(index.functions[fid])
    return reader


def build(
    index: TemplateIndex,
    classifier: TargetClassifier,
    conditions: Mapping[str, Any] | None,
    taken: set[str],
) -> Declared:
    """The permissions the template's AllowCallers declare (`taken`: logical IDs in use, and the
    Conditions the other permissions add are in `conditions`). Raises TransformFailure on a
    malformed item."""
    reader = _reader(index)
    items, read_findings, problems = reader.items, reader.findings, reader.problems
    if problems:
        raise TransformFailure(problems)
    groups = _groups(items, index.resolver.partition)
    existing = _existing(index, classifier) if groups else {}
    namer = _ConditionNamer(conditions)
    findings = read_findings
    permissions: list[Permission] = []
    for key in sorted(groups, key=_group_order):
        first, suffix, members = groups[key]
        form, _, action, extra = key
        declared = first.principal
        principal = _principal(key[1], declared)
        paths = tuple(sorted({m.path for m in members}))
        callers = (declared.shown,)
        if form.function in index.resource_policies:
            message = (
                f"{form.function} has an AWS::Lambda::ResourcePolicy; "
                f"no permission added for {declared.shown}"
            )
            findings.append(Finding.at("AIP126", index.resource_policies[form.function], message))
            continue
        real_action = _real_action(action)
        present = existing.get(key, [])
        kept = Permission("", form, principal, callers, paths, None, True, real_action, extra)
        if any(e.condition is None for e in present):
            permissions.append(kept)
            continue
        common = _callee_conditions(index, form)
        base = f"{form.alias or form.function}InvokeFrom{principal.label}{suffix}"
        # a permission of an earlier run keeps its logical ID, so its combined condition keeps its name
        ours = any(e.logical_id == base for e in present)
        lid = base if ours else _logical_id(base, "|".join(map(str, key)), taken)
        condition_name = None
        if common or any(m.conditions for m in members):
            grants = [Grant(principal, form, m.path, m.conditions) for m in members]
            expressible, condition_name = namer.condition(lid, common, grants)
            if not expressible:
                continue
        if condition_name is not None and any(e.condition == condition_name for e in present):
            permissions.append(kept)  # under the same condition: it holds exactly when ours would
            continue
        if ours:
            lid = _logical_id(base, "|".join(map(str, key)), taken)
        taken.add(lid)
        permissions.append(
            Permission(lid, form, principal, callers, paths, condition_name, False, real_action, extra)
        )
    # the output keeps those the added permissions read (`core._conditions_used`)
    new_conditions = {**reader.parameters.new, **namer.new_conditions}
    return Declared(permissions, findings + namer.findings, new_conditions)


_Group = tuple[DeclaredItem, str, list[DeclaredItem]]  # (first item, logical ID suffix, all items)


def _groups(items: list[DeclaredItem], partition: str) -> dict[_Key, _Group]:
    """The items per (callee form, canonical principal, action, extra property), in reading order."""
    groups: dict[_Key, _Group] = {}
    for item in items:
        for form in item.forms:
            for action, extra, suffix in _variants(item):
                key = (form, canonical_principal(item.principal.principal, partition), action.lower(), extra)
                group = groups.setdefault(key, (item, suffix, []))
                group[2].append(item)
    return groups


def _principal(canonical: str, declared: DeclaredPrincipal) -> Principal:
    """The permission's principal for a declared caller (`canonical`: its principal's key)."""
    return Principal(
        RoleKey.outside(f"declared:{canonical}|{declared.organization or ''}"),
        declared.principal,
        declared.kind + declared.label,
    )


def _callee_conditions(index: TemplateIndex, form: CalleeForm) -> CondSet:
    """The conditions the callee form exists under: its function's, and its alias's."""
    common = index.functions[form.function].conditions
    if form.alias is not None and form.alias in index.alias_ids:
        common = and_conditions(common, index.alias_ids[form.alias][1].conditions)
    return common


def _group_order(key: _Key) -> tuple[str, str, str, str, str]:
    """The order the declared permissions are built in: by function, alias, principal, action, extra."""
    return (key[0].function, key[0].alias or "", key[1], key[2], str(key[3]))


def _real_action(action: str) -> str:
    """The Action property for a group's lower-cased action."""
    return INVOKE_URL if action == INVOKE_URL.lower() else INVOKE
