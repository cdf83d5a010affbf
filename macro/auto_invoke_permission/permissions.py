"""The one place that builds AWS::Lambda::Permission resources and their Conditions, and that
recognises the invoke permissions a template already has.

Logical IDs: `<Callee or alias><InvokeFrom><role>`, a function of (callee form,
principal) only. Changing this scheme replaces the permission in every
deployed stack, so it must stay stable. The function URL permissions use
`<Callee>InvokeUrlFrom<role>` and `<Callee>InvokeViaUrlFrom<role>`, named after
every `InvokeFrom` one, so they never take an ID today's permissions get.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence

from .conditions import (
    NO_CONDITIONS,
    CondSet,
    and_conditions,
    condition_expression,
    contradictory,
    negated,
    simplify,
)
from .findings import Finding, FindingCode
from .model import DIRECT, URL, VIA_URL, CalleeForm, Grant, Permission, PermissionKind, Principal, RoleKey
from .paths import TemplatePath
from .records import Record
from .resolver import Sym
from .statements import INVOKE_ACTION
from .targets import TargetClassifier
from .template import LAMBDA_PERMISSION, Role, TemplateIndex, properties

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PRODUCES: frozenset[FindingCode] = frozenset({"AIP126", "AIP127", "AIP132", "AIP134"})

MAX_LOGICAL_ID = 255
# compiled on first use (`re` caches it): compiling at import slowed the cold start, `make bench` (d)
_PARTIAL_ARN = r"^\d{12}:function:"


def short_hash(text: str) -> str:
    """8 hex digits of SHA-256, for the rare logical ID that is too long or taken."""
    import hashlib  # here: loading OpenSSL is 3 ms of a cold start, and most templates never need it

    return hashlib.sha256(text.encode()).hexdigest()[:8].upper()


def group_key(callee: CalleeForm, principal: Principal, kind: PermissionKind = DIRECT) -> str:
    key = f"{callee.function}|{callee.alias or ''}|{principal.key}"
    return key if kind is DIRECT else f"{key}|{kind.infix}"


class ReservedIds:
    """The logical IDs a permission must not take: the template's, and the ones SAM generates later
    when the macro runs before it (a permission on one of them fails SAM's transform or the deploy).
    Names, the collections of names it is given (the template's resources, SAM's implicit names: read
    where they are, not copied), and the prefixes of SAM's generated families, matched by their
    suffix's shape: no name is generated per function and no regular expression is compiled per
    template (every deploy is a template the process has not seen).

    * `versioned`: each raw SAM function `<F>`, for `<F>Version<hash>` (samtranslator's
      LogicalIdGenerator: the first 10 hex digits of a SHA-1) and `<F>Url`, `<F>UrlPublicPermissions`,
      `<F>URLInvokeAllowPublicAccess`, `<F>EventInvokeConfig`;
    * `events`: `<F><Event>` of `<F><Event>Role<hash>` and `<F><Event>Permission[A-Za-z0-9]*`, the
      permission of each event source;
    * `connectors`: `<C>` of what SAM makes of a connector, its policy per destination
      (SamConnector._construct_*): `<C>(Policy|TopicPolicy|QueuePolicy|[A-Za-z0-9]*LambdaPermission)`
      then optionally `Destination<n>`."""

    __slots__ = ("add", "connectors", "events", "implicit", "names", "resources", "versioned")

    def __init__(
        self,
        names: Iterable[str],
        versioned: Iterable[str] = (),
        events: Iterable[str] = (),
        connectors: Iterable[str] = (),
        resources: Container[str] = frozenset(),
        implicit: Container[str] = frozenset(),
    ) -> None:
        self.names = set(names)
        self.resources = resources  # the template's logical IDs
        self.implicit = implicit  # `<F>Role` and `<F>Alias<name>`: the resolver's implicit names
        self.versioned = frozenset(versioned)
        self.events = frozenset(events)
        self.connectors = tuple(sorted(set(connectors)))
        # takes an ID (a permission's): the set's own method, as it is called for every permission
        self.add: Callable[[str], None] = self.names.add

    def __contains__(self, lid: object) -> bool:
        if lid in self.names or lid in self.resources or lid in self.implicit:
            return True
        if not isinstance(lid, str):
            return False
        # the families that end in a hash or in a function's suffix: only an ID with one of their
        # characters before its last is looked at (most end in `Role`), with no call for the others
        if len(lid) > 1 and lid[-2] in _BEFORE_LAST:
            # `<F>Version<hash>` or `<F><Event>Role<hash>`: only an ID with `Version` or `Role` where its
            # hash would start is looked at (no text is sliced out of the others)
            if lid.endswith(_HASHED_FAMILIES, 0, len(lid) - _HASH_DIGITS) and self._hashed(lid):
                return True
            if lid.endswith(_FUNCTION_SUFFIXES) and self._function_resource(lid):
                return True
        if self.events and self._event_permission(lid):
            return True
        return bool(self.connectors) and self._connector_policy(lid)

    def _hashed(self, lid: str) -> bool:
        """`<F>Version<hash>` or `<F><Event>Role<hash>`."""
        if len(lid) <= _HASH_DIGITS or lid[-_HASH_DIGITS:].strip(_HEX):
            return False
        head = lid[:-_HASH_DIGITS]
        if head.endswith("Version") and head[: -len("Version")] in self.versioned:
            return True
        return head.endswith("Role") and head[: -len("Role")] in self.events

    def _function_resource(self, lid: str) -> bool:
        """`<F>` and one of `_FUNCTION_SUFFIXES`."""
        return any(lid.endswith(s) and lid[: -len(s)] in self.versioned for s in _FUNCTION_SUFFIXES)

    def _event_permission(self, lid: str) -> bool:
        """`<F><Event>Permission[A-Za-z0-9]*`."""
        at = lid.find(_PERMISSION)
        while at >= 0:
            if lid[:at] in self.events and _alphanumeric(lid[at + len(_PERMISSION) :]):
                return True
            at = lid.find(_PERMISSION, at + 1)
        return False

    def _connector_policy(self, lid: str) -> bool:
        return any(lid.startswith(cid) and _connector_suffix(lid[len(cid) :]) for cid in self.connectors)


# the suffixes SAM's event sources add to `<Function><Event>` (samtranslator model/eventsources: the
# rule, mapping or subscription itself, its Permission[<stage>], and the queue, mapping and policy
# of the SQS event of a schedule or IoT rule)
_EVENT_SUFFIXES = ("", "Queue", "EventSourceMapping", "QueuePolicy")
# the resources SAM adds to a function `<F>` for its FunctionUrlConfig and EventInvokeConfig
_FUNCTION_SUFFIXES = ("Url", "UrlPublicPermissions", "URLInvokeAllowPublicAccess", "EventInvokeConfig")
_HASH_DIGITS = 10  # samtranslator LogicalIdGenerator: the first 10 hex digits of a SHA-1
_HEX = "0123456789abcdef"
_HASHED_FAMILIES = ("Version", "Role")  # what comes before the hash: `<F>Version`, `<F><Event>Role`
# the character before the last of each ID of those families: a hash digit, or that of a suffix
_BEFORE_LAST = frozenset(_HEX).union(suffix[-2] for suffix in _FUNCTION_SUFFIXES)
_PERMISSION = "Permission"
_CONNECTOR_POLICIES = ("Policy", "TopicPolicy", "QueuePolicy")
_DESTINATION = "Destination"


def _alphanumeric(text: str) -> bool:
    """`[A-Za-z0-9]*`."""
    return not text or (text.isascii() and text.isalnum())


def _connector_suffix(rest: str) -> bool:
    """`(Policy|TopicPolicy|QueuePolicy|[A-Za-z0-9]*LambdaPermission)(Destination[0-9]+)?`."""
    at = rest.rfind(_DESTINATION)
    number = rest[at + len(_DESTINATION) :] if at >= 0 else ""
    if number and number.isascii() and number.isdigit() and _connector_policy_name(rest[:at]):
        return True
    return _connector_policy_name(rest)


def _connector_policy_name(text: str) -> bool:
    if text in _CONNECTOR_POLICIES:
        return True
    return text.endswith("LambdaPermission") and _alphanumeric(text[: -len("LambdaPermission")])


def sam_reserved_ids(index: TemplateIndex) -> ReservedIds:
    """The template's logical IDs, and those SAM generates from its raw resources (transform listed
    before SAM): `<F>Role` and `<F>Alias<name>` (the resolver's implicit names), `<F>Version<hash>`,
    `<F>Url`, `<F>UrlPublicPermissions`, `<F>URLInvokeAllowPublicAccess`, `<F>EventInvokeConfig`,
    `<F><Event>` and what its event source adds, and each connector's (embedded: `<Source><Key>`)
    generated policies. In SAM's output they are resources already."""
    names: list[str] = []
    versioned: list[str] = []
    events: list[str] = []
    for fid, fn in index.functions.items():
        if not fn.is_sam:
            continue
        versioned.append(fid)
        declared = fn.properties.get("Events")
        if isinstance(declared, dict) and declared:
            for event in declared:
                prefix = fid + str(event)
                names.extend(prefix + s for s in _EVENT_SUFFIXES)
                events.append(prefix)
    connectors = list(index.of_type.get("AWS::Serverless::Connector", ()))
    for rid in index.connector_holders:
        embedded = index.resources[rid]["Connectors"]
        if isinstance(embedded, dict):
            connectors.extend(rid + str(key) for key in embedded)
    names.extend(connectors)
    return ReservedIds(names, versioned, events, connectors, index.resources, index.resolver.implicit)


def logical_id(
    callee: CalleeForm, principal: Principal, taken: Container[str], kind: PermissionKind = DIRECT
) -> str:
    """Readable, alphanumeric, at most 255 characters, never one that is taken."""
    base = f"{callee.alias or callee.function}{kind.infix}From{principal.label}"
    if len(base) > MAX_LOGICAL_ID:
        base = base[: MAX_LOGICAL_ID - 8] + short_hash(group_key(callee, principal, kind))
    if base not in taken:
        return base
    salt = 0
    while True:
        suffix = short_hash(f"{group_key(callee, principal, kind)}#{salt}")
        candidate = base[: MAX_LOGICAL_ID - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        salt += 1


def permission_resource(permission: Permission) -> dict[str, Any]:
    metadata = {"AutoInvokePermission": {"Callers": [*permission.callers], "Grants": [*permission.grants]}}
    properties = {
        "Action": permission.action,
        "FunctionName": permission.callee.function_name_expression(),
        "Principal": permission.principal.expression,
    }
    if permission.extra:
        properties.update(permission.extra)
    if permission.condition:
        return {
            "Type": LAMBDA_PERMISSION,
            "Condition": permission.condition,
            "Metadata": metadata,
            "Properties": properties,
        }
    return {"Type": LAMBDA_PERMISSION, "Metadata": metadata, "Properties": properties}


# ------------------------------------------------------------------ the builder
# Properties of AWS::Lambda::Permission that become conditions a direct SDK call with the role's
# credentials never satisfies (docs/design/aws-facts-integrations.md 2.3, 2.5): aws:SourceArn,
# aws:SourceAccount and
# lambda:EventSourceToken are absent from such a request; lambda:InvokedViaFunctionUrl and
# lambda:FunctionUrlAuthType are present only on function URL calls.
_NEVER_DIRECT = (
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "FunctionUrlAuthType",
    "InvokedViaFunctionUrl",
)

# (callee form, role key) -> the condition sets under which a permission already in the template
# covers the pair (an empty set: always)
Existing = dict[tuple[CalleeForm, RoleKey], list[CondSet]]


def existing_permissions(
    index: TemplateIndex, classifier: TargetClassifier
) -> tuple[Existing, list[Finding]]:
    """The invoke permissions already in the template (any equivalent spelling of the callee), each
    under its CloudFormation Condition; an AIP132 for each one that names a service principal on
    behalf of a function of the template, and an AIP134 for each one naming a caller's role that a
    direct call can never match (it covers nothing)."""
    out: Existing = {}
    findings: list[Finding] = []
    conditions = index.resolver.conditions
    for rid in index.of_type.get(LAMBDA_PERMISSION, ()):
        resource = index.resources[rid]
        props = properties(resource)
        action = props.get("Action")
        if not (isinstance(action, str) and action.lower() in (INVOKE_ACTION, "lambda:*", "*")):
            continue
        fn_value = index.resolver.scalar(props.get("FunctionName"))
        if not isinstance(fn_value, tuple):
            continue
        forms = [f for f, _ in classifier.classify(_as_arn(fn_value, index)).forms]
        principal = props.get("Principal")
        if isinstance(principal, str) and principal.endswith(".amazonaws.com") and "SourceArn" in props:
            source = index.function_of(props["SourceArn"])
            if source is not None:
                message = (
                    f"{rid} lets {principal} invoke on behalf of {source}; calls made with "
                    f"{source}'s role never match it"
                )
                findings.append(
                    Finding.at("AIP132", TemplatePath.of(rid, "Properties", "Principal"), message)
                )
        key = index.principal_key_of(principal)
        role = index.roles.get(key) if key is not None else None
        if role is None or not forms:
            continue  # a principal none of the template's functions runs as
        never = [
            k for k in _NEVER_DIRECT if k in props and not (k == "InvokedViaFunctionUrl" and _false(props[k]))
        ]
        if never:
            keys = " and ".join(never)
            message = (
                f"{rid} has {keys}, which a direct call with {role.principal.label}'s credentials never "
                f"matches: it does not cover {', '.join(f.label for f in forms)}; the macro adds its own "
                "where a grant allows the call"
            )
            findings.append(Finding.at("AIP134", TemplatePath.of(rid, "Properties", never[0]), message))
            continue
        covering = condition_terms(resource.get("Condition"), conditions)
        for form in forms:
            out.setdefault((form, role.principal.key), []).extend(covering)
    return out, findings


def _false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def _as_arn(value: Sym, index: TemplateIndex) -> Sym:
    """A Permission's FunctionName as a full ARN when it is written as Lambda also accepts it: a
    partial ARN `ACCOUNT:function:NAME[:QUALIFIER]`, or a name with a qualifier `NAME:QUALIFIER`."""
    head = value[0] if value else None
    if not isinstance(head, str) or head.startswith("arn:"):
        return value
    resolver = index.resolver
    if re.match(_PARTIAL_ARN, head):
        return (f"arn:{resolver.partition}:lambda:{resolver.region}:{head}", *value[1:])
    if ":" in head:
        prefix = f"arn:{resolver.partition}:lambda:{resolver.region}:{resolver.account_id}:function:"
        return (prefix + head, *value[1:])
    return value


def condition_terms(name: Any, conditions: Mapping[str, Any] | None) -> list[CondSet]:
    """A resource's Condition as a disjunction of condition sets (the macro's own combined
    conditions, `Fn::And`/`Fn::Or`/`Fn::Not` of named conditions, are expanded, so that a rerun
    recognises the permissions it added); [NO_CONDITIONS] for none."""
    if not isinstance(name, str) or not name:
        return [NO_CONDITIONS]
    expanded = _terms({"Condition": name}, conditions or {}, 0)
    terms = expanded if expanded is not None else [frozenset({(name, True)})]
    return [_plain_literals(t, conditions) if conditions else t for t in terms]


_MAX_TERMS = 64


def _terms(expr: Any, conditions: Mapping[str, Any], depth: int) -> list[CondSet] | None:
    """`expr` in disjunctive form over named conditions; None when it is anything else (or too big)."""
    if depth > 20 or not isinstance(expr, dict) or len(expr) != 1:
        return None
    key, arg = next(iter(expr.items()))
    if key == "Condition" and isinstance(arg, str):
        return _named_terms(arg, conditions, depth)
    if not isinstance(arg, list) or not arg:
        return None
    if key == "Fn::Not":
        return _not_terms(arg)
    if key not in ("Fn::Or", "Fn::And"):
        return None
    parts = [_terms(item, conditions, depth + 1) for item in arg]
    if any(p is None for p in parts):
        return None
    out = _or_terms(parts) if key == "Fn::Or" else _and_terms(parts)
    return out if out is not None and len(out) <= _MAX_TERMS else None


def _named_terms(name: str, conditions: Mapping[str, Any], depth: int) -> list[CondSet]:
    """A `{"Condition": name}`: the expansion of a composed definition, else the name itself."""
    definition = conditions.get(name)
    if isinstance(definition, dict) and len(definition) == 1 and next(iter(definition)) in _COMPOSED:
        inner = _terms(definition, conditions, depth + 1)
        if inner is not None:
            return inner
    return [frozenset({(name, True)})]


def _not_terms(arg: list[Any]) -> list[CondSet] | None:
    """`Fn::Not` of one named condition as its negated literal; None for anything else."""
    single = arg[0] if len(arg) == 1 and isinstance(arg[0], dict) else None
    if single is not None and set(single) == {"Condition"} and isinstance(single["Condition"], str):
        return [frozenset({(single["Condition"], False)})]
    return None


def _or_terms(parts: list[list[CondSet] | None]) -> list[CondSet]:
    """The union of the arguments' disjunctions."""
    return [t for p in parts for t in p or ()]


def _and_terms(parts: list[list[CondSet] | None]) -> list[CondSet] | None:
    """The cross product of the arguments' disjunctions; None as soon as it grows too big."""
    out = [NO_CONDITIONS]
    for p in parts:
        out = [a | b for a in out for b in p or ()]
        if len(out) > _MAX_TERMS:
            return None
    return out


_COMPOSED = ("Fn::And", "Fn::Or", "Fn::Not")


def uncovered(term: CondSet, covering: list[CondSet]) -> list[CondSet] | None:
    """`term AND NOT (c1 OR c2 ...)` as condition sets (contradictions left for `simplify`);
    None when it is too big to write (the caller then keeps `term` alone: a duplicate, never broader)."""
    alternatives = [term]
    for cover in covering:
        alternatives = [a | {negated(lit)} for a in alternatives for lit in cover]
        alternatives = [a for a in alternatives if not contradictory(a)]
        if len(alternatives) > _MAX_TERMS:
            return None
    return alternatives


class Built(Record):
    """What `build_permissions` returns."""

    permissions: list[Permission]  # added and existing, in the order of their group keys
    findings: list[Finding]
    new_conditions: dict[str, Any]  # combined conditions the permissions name, to add to Conditions


# Properties that narrow a permission to calls it names (a source, an account, an organization,
# a token): a hand-written URL permission with one is not taken to cover a caller's role.
_NARROWING = ("SourceArn", "SourceAccount", "PrincipalOrgID", "EventSourceToken")
_ANY_LAMBDA_ACTION = ("lambda:*", "*")
ExistingUrlKey = tuple[CalleeForm, RoleKey, str]  # (callee form, principal key, PermissionKind.infix)


def permission_forms(index: TemplateIndex, classifier: TargetClassifier, node: Any) -> list[CalleeForm]:
    """The callee forms a permission's FunctionName names, in any spelling Lambda accepts."""
    fn_value = index.resolver.scalar(node)
    if not isinstance(fn_value, tuple):
        return []
    return [f for f, _ in classifier.classify(_as_arn(fn_value, index)).forms]


def url_kinds_covered(props: Mapping[str, Any]) -> list[PermissionKind]:
    """The URL permission kinds a hand-written permission's properties cover (for any FunctionName
    and Principal): InvokeFunctionUrl without an auth type or for AWS_IAM covers URL; InvokeFunction,
    through the URL only or not, covers VIA_URL. Anything narrower covers neither."""
    action = props.get("Action")
    if not isinstance(action, str) or any(k in props for k in _NARROWING):
        return []
    action = action.lower()
    auth = props.get("FunctionUrlAuthType")
    via = props.get("InvokedViaFunctionUrl")
    kinds = []
    url_action = URL.action.lower()
    # lambda:* with InvokedViaFunctionUrl: whether that narrows InvokeFunctionUrl too is not documented
    if (
        action in (url_action, *_ANY_LAMBDA_ACTION)
        and auth in (None, "AWS_IAM")
        and (via is None or action == url_action)
    ):
        kinds.append(URL)
    if action in (INVOKE_ACTION, *_ANY_LAMBDA_ACTION) and auth is None:
        kinds.append(VIA_URL)
    return kinds


def existing_url_permissions(index: TemplateIndex, classifier: TargetClassifier) -> set[ExistingUrlKey]:
    """What the template's own permissions already cover of the function URL kinds, per
    (callee form, principal key, kind)."""
    out: set[ExistingUrlKey] = set()
    for rid in index.of_type.get(LAMBDA_PERMISSION, ()):
        props = properties(index.resources[rid])
        kinds = url_kinds_covered(props)
        if not kinds:
            continue
        key = index.principal_key_of(props.get("Principal"))
        if key is None or key not in index.roles:
            continue
        for form in permission_forms(index, classifier, props.get("FunctionName")):
            out.update((form, key, kind.infix) for kind in kinds)
    return out


def build_permissions(
    index: TemplateIndex,
    grants: list[Grant],
    existing: Existing,
    conditions: Mapping[str, Any] | None,
    existing_url: set[ExistingUrlKey] | None = None,
) -> Built:
    """One permission per (callee form, principal, kind) of the grants: existing, added, or a finding.
    Today's kind (lambda:InvokeFunction) first, so that its logical IDs never depend on URL grants."""
    groups, url_kinds, conditional = _groups(grants)
    namer = _ConditionNamer(conditions)
    findings = namer.findings
    taken = sam_reserved_ids(index)
    permissions: list[Permission] = []
    # per role: its callers, and the conditions of the role and of all its callers
    per_role: dict[RoleKey, tuple[tuple[str, ...], CondSet]] = {}
    skipped, resource_policies, functions = index.skipped, index.resource_policies, index.functions
    # today's kind first, then the URL kinds; a loop of locals, as it runs for every permission
    for key in _ordered(groups, url_kinds):
        function, alias_id, role_key, _ = key
        if function in skipped:
            continue
        members = groups[key]
        first = members[0]
        callee, principal, kind = first.callee, first.principal, first.kind
        shared = per_role.get(role_key)
        if shared is None:
            shared = per_role[role_key] = _callers_of(index.roles[role_key])
        callers, role_conditions = shared
        if not callers:
            continue
        paths = (first.path,) if len(members) == 1 else tuple(sorted({g.path for g in members}))
        if function in resource_policies:
            message = (
                f"{function} has an AWS::Lambda::ResourcePolicy; no permission added for {principal.label}"
            )
            findings.append(Finding.at("AIP126", resource_policies[function], message))
            continue
        if kind is not DIRECT:
            if existing_url and (callee, role_key, kind.infix) in existing_url:
                permissions.append(
                    Permission("", callee, principal, callers, paths, None, True, kind.action, kind.extra)
                )
                continue
            covering = None
        else:
            covering = existing.get((callee, role_key)) if existing else None
        if covering:
            permissions.append(Permission("", callee, principal, callers, paths, None, existing=True))
            if NO_CONDITIONS in covering:
                continue
            # present only under its own Condition: the macro's permission covers the rest
        lid = logical_id(callee, principal, taken, kind)
        condition_name = None
        common = _common_conditions(index, functions[function].conditions, alias_id, role_conditions)
        # `conditional` is most often empty: no hash of the key then
        if common or covering or (conditional and key in conditional):
            expressible, condition_name = namer.condition(lid, common, members, covering or ())
            if not expressible:
                continue
        taken.add(lid)
        permissions.append(
            Permission(lid, callee, principal, callers, paths, condition_name, False, kind.action, kind.extra)
        )
    return Built(permissions, findings, namer.new_conditions)


def _common_conditions(
    index: TemplateIndex, own: CondSet, alias_id: str, role_conditions: CondSet
) -> CondSet:
    """The conditions every grant of a group shares: the callee's (`own`) and its alias's, and those
    of the role and all its callers (`role_conditions`)."""
    if not (own or role_conditions or alias_id):  # the commonest case
        return NO_CONDITIONS
    common = and_conditions(own, role_conditions)
    if alias_id:
        alias = index.alias_ids.get(alias_id)
        if alias is not None:
            common = and_conditions(common, alias[1].conditions)
    return common


# a group of grants: the callee function, its alias's logical ID or "", the principal key, and "" for
# today's kind, else the kind's infix
_GroupKey = tuple[str, str, RoleKey, str]


def _groups(grants: list[Grant]) -> tuple[dict[_GroupKey, list[Grant]], bool, set[_GroupKey]]:
    """The grants by function, alias, principal and kind, in the order they come; whether a group is
    of a URL kind; the groups with a grant that has conditions of its own."""
    groups: dict[_GroupKey, list[Grant]] = {}
    url_kinds = False
    conditional: set[_GroupKey] = set()
    for grant in grants:
        callee, kind = grant.callee, grant.kind
        if kind is DIRECT:
            key = (callee.function, callee.alias or "", grant.principal.key, "")
        else:
            key = (callee.function, callee.alias or "", grant.principal.key, kind.infix)
            url_kinds = True
        groups.setdefault(key, []).append(grant)  # most groups have one grant: one look-up each
        if grant.conditions:
            conditional.add(key)
    return groups, url_kinds, conditional


def _ordered(groups: dict[_GroupKey, list[Grant]], url_kinds: bool) -> list[_GroupKey]:
    """The keys of the groups in the order their permissions are built: today's kind first (its
    logical IDs never depend on URL grants), then each URL kind."""
    return sorted(groups, key=lambda key: (key[3], key)) if url_kinds else sorted(groups)


class _ConditionNamer:
    """The Conditions of one `build_permissions` call: the combined ones it adds, and AIP127 where
    one is needed but Conditions is not visible."""

    __slots__ = ("conditions", "findings", "new_conditions")

    def __init__(self, conditions: Mapping[str, Any] | None) -> None:
        self.conditions = conditions
        self.findings: list[Finding] = []
        self.new_conditions: dict[str, Any] = {}

    def condition(
        self, lid: str, common: CondSet, members: list[Grant], covered: Sequence[CondSet] = ()
    ) -> tuple[bool, str | None]:
        """(whether the permission can exist and be written, the name of its Condition or None).
        `covered`: the conditions under which a permission of the template already covers the pair."""
        conditions = self.conditions
        if conditions:
            common = _plain_literals(common, conditions)
            members = [g.with_conditions(_plain_literals(g.conditions, conditions)) for g in members]
        terms = [and_conditions(common, g.conditions) for g in members]
        if covered:
            rest = [uncovered(t, list(covered)) for t in terms]
            terms = [u for t, r in zip(terms, rest, strict=True) for u in (r if r is not None else [t])]
        alternatives = simplify(terms)
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
    """The functions that run as a role (sorted, each once), and the conditions of the role and of
    all its callers (those they share)."""
    if len(role.callers) == 1:  # the commonest case: a role of its own
        return (role.callers[0],), and_conditions(role.conditions, role.caller_conditions[0])
    common = frozenset.intersection(*role.caller_conditions) if role.caller_conditions else NO_CONDITIONS
    return tuple(sorted(set(role.callers))), and_conditions(role.conditions, common)
