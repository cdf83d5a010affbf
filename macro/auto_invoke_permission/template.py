"""An index of one template: functions, their names and aliases, roles and callers.

Built once per invocation; everything else looks things up here. Both
transform orders are modelled: raw SAM (`AWS::Serverless::Function`, whose
generated role `<Id>Role` is a virtual role here) and SAM's output.
"""

from __future__ import annotations

from collections.abc import Mapping

from .conditions import NO_CONDITIONS, CondSet, UndefinedCondition, condition_of, decided_false, if_branches
from .findings import Finding
from .model import CalleeForm, Principal, RoleKey
from .options import MACRO_KEY
from .paths import TemplatePath
from .records import Record
from .resolver import Resolver, Sym, Token, literal, single_token, sym_text, unknown_parameter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LAMBDA_FUNCTION = "AWS::Lambda::Function"
SAM_FUNCTION = "AWS::Serverless::Function"
FUNCTION_TYPES = frozenset({LAMBDA_FUNCTION, SAM_FUNCTION})
IAM_ROLE = "AWS::IAM::Role"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"
LAMBDA_ALIAS = "AWS::Lambda::Alias"
LAMBDA_VERSION = "AWS::Lambda::Version"
LAMBDA_PERMISSION = "AWS::Lambda::Permission"
LAMBDA_RESOURCE_POLICY = "AWS::Lambda::ResourcePolicy"
CALLEE_TYPES = frozenset({*FUNCTION_TYPES, LAMBDA_ALIAS})
IAM_USER = "AWS::IAM::User"

# The role a resource other than a function acts with, by type: the paths of its role properties
# (`*`: every item of a list). Read only for diagnosis (`every_principal`): the macro mirrors the
# grants of functions' execution roles alone.
ACTING_ROLE_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "AWS::StepFunctions::StateMachine": (("RoleArn",),),
    "AWS::Serverless::StateMachine": (("Role",),),
    "AWS::ApiGateway::Method": (("Integration", "Credentials"),),
    "AWS::ApiGatewayV2::Integration": (("CredentialsArn",),),
    "AWS::Events::Rule": (("Targets", "*", "RoleArn"),),
    "AWS::Scheduler::Schedule": (("Target", "RoleArn"),),
    "AWS::Pipes::Pipe": (("RoleArn",),),
    "AWS::AppSync::DataSource": (("ServiceRoleArn",),),
    "AWS::Cognito::IdentityPoolRoleAttachment": (("Roles", "authenticated"), ("Roles", "unauthenticated")),
}

_SAM_ALIAS_CHARS = {"-": "D", "_": "U"}


def sam_alias_logical_id(function_id: str, alias_name: str) -> str:
    """SAM's `<Function>Alias<name>`, with `-` -> `D`, `_` -> `U` and other non-alphanumerics dropped."""
    return (
        function_id
        + "Alias"
        + "".join(_SAM_ALIAS_CHARS.get(c, c) for c in alias_name if c.isalnum() or c in _SAM_ALIAS_CHARS)
    )


def _global_function(globals_section: Any) -> Mapping[str, Any]:
    """SAM's `Globals.Function`, or an empty mapping."""
    function = globals_section.get("Function") if isinstance(globals_section, dict) else None
    return function if isinstance(function, dict) else {}


def auto_publish_alias(node: Any, parameter_values: Mapping[str, Any]) -> str | None:
    """The alias name of an `AutoPublishAlias`: a string, or a `Ref` to a parameter, which SAM
    resolves itself with the stack's parameter values; None when there is none or it is unknown."""
    if isinstance(node, dict) and len(node) == 1 and isinstance(node.get("Ref"), str):
        node = parameter_values.get(node["Ref"])
    return node if isinstance(node, str) and node else None


def sam_generated_names(
    resources: Mapping[str, Any], globals_section: Any, parameter_values: Mapping[str, Any]
) -> frozenset[str]:
    """The logical IDs SAM generates for its functions (transform listed before SAM): `<F>Role`, and
    `<F>Alias<name>` for an AutoPublishAlias. The resolver takes them as resources of the template."""
    global_auto = _global_function(globals_section).get("AutoPublishAlias")
    names: set[str] = set()
    for rid, res in resources.items():
        if isinstance(res, dict) and res.get("Type") == SAM_FUNCTION:
            names.add(rid + "Role")
            props = res.get("Properties")
            # the function's own value overrides the Globals one, as in SAM's merge
            node = props.get("AutoPublishAlias", global_auto) if isinstance(props, dict) else global_auto
            auto = None if node is None else auto_publish_alias(node, parameter_values)
            if auto is not None:
                names.add(sam_alias_logical_id(rid, auto))
    return frozenset(names)


def alnum(text: str) -> str:
    if text.isascii() and text.isalnum():  # logical IDs already are
        return text
    return "".join(c for c in text if c.isascii() and c.isalnum())


def own_metadata(resource: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A resource's `Metadata.AutoInvokePermission`, when it is a mapping."""
    meta = resource.get("Metadata")
    own = meta.get(MACRO_KEY) if isinstance(meta, dict) else None
    return own if isinstance(own, dict) else None


def is_skipped(own: Mapping[str, Any]) -> bool:
    """Whether a resource's `Metadata.AutoInvokePermission` (`own`) says Skip."""
    return own.get("Skip") in (True, "true", "True")


class Alias(Record):
    logical_id: str
    name: str
    conditions: CondSet

    def form(self, function: str) -> CalleeForm:
        """The callee form of `function` through this alias."""
        return CalleeForm(function, self.logical_id, self.name)


class Function:
    __slots__ = ("aliases", "conditions", "form", "is_sam", "logical_id", "names", "properties", "resource")

    def __init__(
        self,
        logical_id: str,
        resource: Mapping[str, Any],
        properties: Mapping[str, Any],
        conditions: CondSet,
        names: list[tuple[Sym, CondSet]],
        is_sam: bool,
    ) -> None:
        self.logical_id = logical_id
        self.resource = resource
        self.properties = properties  # SAM Globals merged in for the properties we read
        self.conditions = conditions
        self.names = names  # what its name can be: Ref token, and FunctionName if set
        self.aliases: tuple[Alias, ...] = ()  # by logical ID; most functions have none
        self.is_sam = is_sam  # AWS::Serverless::Function (transform listed before SAM)
        self.form = CalleeForm(logical_id)  # the function itself, unqualified


class Role:
    """An execution role: a template AWS::IAM::Role, SAM's generated one, or one outside the template."""

    __slots__ = ("caller_conditions", "callers", "conditions", "principal", "resource", "sam_function")

    def __init__(
        self,
        principal: Principal,
        conditions: CondSet,
        resource: Mapping[str, Any] | None,  # None for SAM's generated role (pre order) and external roles
        sam_function: str | None = None,  # raw SAM function whose generated role this is
    ) -> None:
        self.principal = principal
        self.conditions = conditions
        self.resource = resource
        self.sam_function = sam_function
        self.callers: list[str] = []
        self.caller_conditions: list[CondSet] = []


def _names_or_arn(token: Token) -> bool:
    """`Ref X` or `GetAtt X.Arn`: how a template names a function or a role."""
    return token.kind == "ref" or (token.kind == "getatt" and token.attr == "Arn")


def _role_name(text: str) -> str:
    """The role name of a role ARN (the last segment of its path); other text as it is."""
    return text.rsplit("/", 1)[-1] if ":role/" in text else text


def properties(resource: Any) -> Mapping[str, Any]:
    """A resource's Properties, or an empty mapping when it has none (or they are not a mapping)."""
    props = resource.get("Properties") if isinstance(resource, dict) else None
    return props if isinstance(props, dict) else {}


# Globals.Function properties SAM replaces rather than concatenates (samtranslator's CUSTOM_STRATEGIES)
_REPLACED_LISTS = frozenset({"Architectures"})


def _merge_kind(value: Any) -> str:
    """samtranslator's `_token_of`: an intrinsic (one key, `Ref`, `Condition` or `Fn::*`) merges as a
    primitive, whatever it resolves to."""
    if isinstance(value, dict):
        key = next(iter(value)) if len(value) == 1 else ""
        return "primitive" if key in ("Ref", "Condition") or key.startswith("Fn::") else "dict"
    return "list" if isinstance(value, list) else "primitive"


def _merge_value(global_value: Any, value: Any, path: str) -> Any:
    """samtranslator's `_do_merge`: the function's value wins unless both are mappings (merged key by
    key) or both lists (the Globals items, then the function's)."""
    kind = _merge_kind(value)
    if kind != _merge_kind(global_value) or kind == "primitive":
        return value
    if kind == "dict":
        return _merge_globals(global_value, value, path)
    return value if path in _REPLACED_LISTS else [*global_value, *value]


def _merge_globals(
    global_props: Mapping[str, Any], props: Mapping[str, Any], path: str = ""
) -> dict[str, Any]:
    """SAM's Globals merge (samtranslator.plugins.globals.globals.GlobalProperties), exactly: an
    intrinsic on either side replaces the other as a whole."""
    out = dict(global_props)
    for key, value in props.items():
        child = f"{path}.{key}" if path else key
        out[key] = _merge_value(out[key], value, child) if key in out else value
    return out


def role_id_order(item: tuple[RoleKey, Any]) -> str:
    """Sort key of roles of the template: their logical ID (RoleKey order, without its tuple compares)."""
    return item[0].name


def nodes_at(node: Any, path: tuple[str, ...]) -> list[Any]:
    """The values at a property path (`*`: each item of a list), absent ones left out."""
    if not path:
        return [node]
    key, rest = path[0], path[1:]
    if key == "*":
        return [found for item in node for found in nodes_at(item, rest)] if isinstance(node, list) else []
    child = node.get(key) if isinstance(node, dict) else None
    return [] if child is None else nodes_at(child, rest)


class TemplateIndex:
    def __init__(
        self,
        resources: Mapping[str, Any],
        globals_section: Any,
        resolver: Resolver,
        every_principal: bool = False,
    ) -> None:
        self.resources = resources
        self.resolver = resolver
        # what cannot be read while indexing (an Fn::If on an undefined condition in a Role)
        self.findings: list[Finding] = []
        self.of_type: dict[str, list[str]] = {}  # logical IDs by type, in template order
        # functions and aliases whose Condition is decided false: logical ID -> the condition
        self.absent: dict[str, str] = {}
        self.functions: dict[str, Function] = {}
        # whether a function has Metadata.AutoInvokePermission.AllowCallers (what declared_callers reads)
        self.declares_callers = False
        # resources with embedded connectors (SAM generates their policies), whatever their Condition
        self.connector_holders: list[str] = []
        # each resource's Metadata.AutoInvokePermission.Ignore as written, whatever its Condition
        # (`suppressions.resource_ignores` reads them)
        self.ignores: dict[str, Any] = {}
        # SAM functions with a FunctionUrlConfig (Globals merged in), in template order: what
        # `urls.function_urls` reads, so that it does not open every function again
        self.url_configs: list[str] = []
        # SAM functions with an AutoPublishAlias (Globals merged in), in template order: the ones
        # `_index_aliases` reads for SAM's aliases
        self._auto_published: list[Function] = []
        # which function a name (as a symbolic string) belongs to
        self.by_name: dict[Sym, list[tuple[str, CondSet]]] = {}
        # the template's AWS::IAM::Role resources, whatever their Condition (`_is_role`)
        self._role_ids: frozenset[str] = frozenset()
        self.skipped: frozenset[str] = self._read_resources(_global_function(globals_section))
        self.alias_ids: dict[str, tuple[str, Alias]] = {}
        self._index_aliases()
        self.versions: set[str] = set(self.of_type.get(LAMBDA_VERSION, ()))
        self.resource_policies: dict[str, str] = {}
        for rid in self.of_type.get(LAMBDA_RESOURCE_POLICY, ()):
            target = self.function_of(properties(resources[rid]).get("ResourceArn"))
            if target:
                self.resource_policies[target] = rid
        self.role_names: dict[str, str] = {}  # literal RoleName -> logical ID
        self.roles: dict[RoleKey, Role] = {}
        # each function's (role key, conditions) pairs, by logical ID in sorted order
        self.function_roles: dict[str, list[tuple[RoleKey, CondSet]]] = {}
        # (role key, function) for each role SAM will generate (transform listed before SAM): the
        # roles whose policies come from the function's own Policies, EventInvokeConfig...
        self.sam_generated_roles: list[tuple[RoleKey, Function]] = []
        self._index_roles()
        # diagnosis only: the roles other resources act with, every other role and every IAM user
        self.every_principal = every_principal
        if every_principal:
            self._index_other_principals()

    def _read_resources(self, global_function: Mapping[str, Any]) -> frozenset[str]:
        """One pass over the resources: logical IDs by type, functions and their names, what their
        own Metadata says; returns the skipped ones. A resource whose Condition is decided false does
        not exist in this deploy: it is not indexed, so no stage reads it (it stays in the template,
        untouched)."""
        skipped: set[str] = set()
        absent_roles: list[str] = []
        conditions = self.resolver.conditions
        of_type = self.of_type
        for rid, res in self.resources.items():
            if not isinstance(res, dict):
                continue
            if "Connectors" in res:
                self.connector_holders.append(rid)
            own = own_metadata(res) if "Metadata" in res else None
            if own is not None and "Ignore" in own:  # read whatever the Condition: a bad one fails the run
                self.ignores[rid] = own["Ignore"]
            conds = condition_of(res) if "Condition" in res else NO_CONDITIONS
            if conds and decided_false(conds, conditions):
                if res.get("Type") in CALLEE_TYPES:
                    self.absent[rid] = str(res["Condition"])
                elif res.get("Type") == IAM_ROLE:
                    absent_roles.append(rid)
                continue
            rtype = res.get("Type")
            if own is not None and is_skipped(own):
                skipped.add(rid)
            if not isinstance(rtype, str):
                continue
            same_type = of_type.get(rtype)
            if same_type is None:
                of_type[rtype] = [rid]
            else:
                same_type.append(rid)
            if rtype in FUNCTION_TYPES:
                self._add_function(rid, res, rtype == SAM_FUNCTION, conds, global_function)
                if own is not None and "AllowCallers" in own:
                    self.declares_callers = True
        self._role_ids = frozenset((*of_type.get(IAM_ROLE, ()), *absent_roles))
        return frozenset(skipped)  # Metadata.AutoInvokePermission.Skip

    def _add_function(
        self,
        rid: str,
        res: Mapping[str, Any],
        is_sam: bool,
        conds: CondSet,
        global_function: Mapping[str, Any],
    ) -> None:
        """A function of this deploy: its properties (SAM's with Globals merged in) and its names."""
        fn_props = properties(res)
        if is_sam and global_function:
            fn_props = _merge_globals(global_function, fn_props)
        names = self._names(rid, fn_props)
        fn = self.functions[rid] = Function(rid, res, fn_props, conds, names, is_sam)
        if is_sam:
            if "FunctionUrlConfig" in fn_props:
                self.url_configs.append(rid)
            if "AutoPublishAlias" in fn_props:
                self._auto_published.append(fn)
        by_name = self.by_name
        for name, name_conds in names:
            by_name.setdefault(name, []).append((rid, name_conds))

    def _index_aliases(self) -> None:
        """AWS::Lambda::Alias resources of template functions, then SAM's AutoPublishAlias ones; each
        function's aliases sorted by logical ID."""
        with_aliases: list[Function] = []  # the functions given an alias, maybe more than once
        for rid in self.of_type.get(LAMBDA_ALIAS, ()):
            res = self.resources[rid]
            props = properties(res)
            target = self.function_of(props.get("FunctionName"))
            alias_name = self._alias_name(props.get("Name"))
            if target and alias_name is not None:
                alias = Alias(rid, alias_name, condition_of(res))
                self.functions[target].aliases += (alias,)
                self.alias_ids[rid] = (target, alias)
                with_aliases.append(self.functions[target])
        for fn in self._auto_published:
            node = fn.properties["AutoPublishAlias"]  # Globals merged in
            auto = None if node is None else auto_publish_alias(node, self.resolver.parameter_values)
            if auto is not None:
                fid = fn.logical_id
                alias = Alias(sam_alias_logical_id(fid, auto), auto, fn.conditions)
                if alias.logical_id not in self.alias_ids:
                    fn.aliases += (alias,)
                    self.alias_ids[alias.logical_id] = (fid, alias)
                    with_aliases.append(fn)
                self.alias_ids.setdefault(f"{fid}.Alias", (fid, alias))
        for fn in with_aliases:  # every alias is known by now
            if len(fn.aliases) > 1:
                fn.aliases = tuple(sorted(fn.aliases, key=lambda a: a.logical_id))

    def _alias_name(self, node: Any) -> str | None:
        """An alias's Name: its text when known; for a parameter without a value its symbol, which
        no alias name can equal (alias names hold no braces), so only the same parameter matches it."""
        value = self.resolver.scalar(node)
        if not isinstance(value, tuple) or not value:
            return None
        text = literal(value)
        if text is not None:
            return text
        token = single_token(value)
        return sym_text(value) if token is not None and token.kind == "param" else None

    def _index_roles(self) -> None:
        """Role names, every function's execution roles and their callers; the roles SAM generates,
        in the order of their logical IDs."""
        for rid in self.of_type.get(IAM_ROLE, ()):
            name_node = properties(self.resources[rid]).get("RoleName")
            if name_node is not None:
                role_name = self.resolver.scalar(name_node)
                text = literal(role_name) if isinstance(role_name, tuple) else None
                if text:
                    self.role_names[text] = rid
        # sorted, so that the first caller's spelling of a shared role is the same in any resource order
        roles, functions, skipped = self.roles, self.functions, self.skipped
        for fid in sorted(functions):
            if fid in skipped:
                continue
            fn = functions[fid]
            execution_roles = self.function_roles[fid] = self._execution_roles(fn)
            for role_key, conds in execution_roles:
                role = roles[role_key]
                role.callers.append(fid)
                role.caller_conditions.append(fn.conditions | conds if conds else fn.conditions)
        self.sam_generated_roles.sort(key=role_id_order)  # `_sam_role` lists them as it makes them

    def _index_other_principals(self) -> None:
        """The roles of resources other than functions (ACTING_ROLE_PATHS; the resource is their
        caller), then every other template role and every IAM user (their own caller): what a denial
        may name besides a function's execution role."""
        for rtype, paths in ACTING_ROLE_PATHS.items():
            for rid in self.of_type.get(rtype, ()):
                res = self.resources[rid]
                for path in paths:
                    for node in nodes_at(properties(res), path):
                        role_id = self.role_id_of(node)
                        if role_id is not None:
                            self._add_principal(role_id, rid, condition_of(res))
        for rid in (*self.of_type.get(IAM_ROLE, ()), *self.of_type.get(IAM_USER, ())):
            if RoleKey.template(rid) not in self.roles:
                self._add_principal(rid, rid, condition_of(self.resources[rid]))

    def _add_principal(self, principal_id: str, caller: str, conditions: CondSet) -> None:
        """A template role or user as a principal, with `caller` as what acts with it."""
        key = RoleKey.template(principal_id)
        role = self.roles.get(key)
        if role is None:
            res = self.resources[principal_id]
            principal = Principal(
                key, {"Fn::GetAtt": [principal_id, "Arn"]}, alnum(principal_id), principal_id
            )
            role = self.roles[key] = Role(principal, condition_of(res), res)
        if caller not in role.callers:
            role.callers.append(caller)
            role.caller_conditions.append(conditions)

    def user_key_for_attachment(self, node: Any) -> RoleKey | None:
        """The key of an IAM user of the template that an entry of a policy's `Users` names (`Ref`),
        when the index holds every principal; else None."""
        if not self.every_principal:
            return None
        value = self.resolver.scalar(node)
        token = single_token(value) if isinstance(value, tuple) else None
        if token is None or token.kind != "ref":
            return None
        res = self.resources.get(token.name)
        key = RoleKey.template(token.name)
        return key if isinstance(res, dict) and res.get("Type") == IAM_USER and key in self.roles else None

    def resources_of_type(self, *types: str) -> list[str]:
        """Logical IDs of the resources of these types, sorted."""
        return sorted(rid for rtype in types for rid in self.of_type.get(rtype, ()))

    # ------------------------------------------------------------- functions
    def _names(self, fid: str, props: Mapping[str, Any]) -> list[tuple[Sym, CondSet]]:
        names: list[tuple[Sym, CondSet]] = [((Token("ref", fid),), NO_CONDITIONS)]
        if "FunctionName" in props:
            for value, conds in self.resolver.strings(props["FunctionName"]):
                if isinstance(value, tuple) and value and value != (Token("ref", fid),):
                    names.append((value, conds))
        return names

    def function_of(self, node: Any) -> str | None:
        """The template function an expression names (Ref, GetAtt .Arn, its literal name), else None."""
        value = self.resolver.scalar(node)
        if not isinstance(value, tuple) or len(value) != 1:
            return None
        token = single_token(value)
        if token is not None and token.name in self.functions and _names_or_arn(token):
            return token.name
        owners = self.by_name.get(value)
        return owners[0][0] if owners and len(owners) == 1 else None

    # ----------------------------------------------------------------- roles
    def _execution_roles(self, fn: Function) -> list[tuple[RoleKey, CondSet]]:
        """The role keys a function runs with, each under the conditions of its Fn::If branch."""
        role_node = fn.properties.get("Role")
        if role_node is None:
            return [(self._sam_role(fn), NO_CONDITIONS)] if fn.is_sam else []
        out: list[tuple[RoleKey, CondSet]] = []
        for expr, conds in if_branches(role_node, self.resolver.conditions):
            if isinstance(expr, UndefinedCondition):  # no role on it: said here, nothing built
                path = TemplatePath.of(fn.logical_id, "Properties", "Role")
                self.findings.append(Finding.at(expr.code, path, f"cannot read the Role: {expr.reason}"))
                continue
            if expr is None:  # Fn::If with AWS::NoValue: SAM generates the role on that branch
                if fn.is_sam:
                    out.append((self._sam_role(fn), conds))
                continue
            out.append((self.role_for_expression(expr, fn.logical_id), conds))
        return out

    def _sam_role(self, fn: Function) -> RoleKey:
        role_id = fn.logical_id + "Role"
        key = RoleKey(True, role_id)  # RoleKey.template(role_id), without a call: one per function
        if key not in self.roles:
            principal = Principal(key, {"Fn::GetAtt": [role_id, "Arn"]}, alnum(role_id), role_id)
            if self._is_role(role_id):
                real = self.resources[role_id]
                self.roles[key] = Role(principal, condition_of(real), real)
            else:
                self.roles[key] = Role(principal, fn.conditions, None, fn.logical_id)
                self.sam_generated_roles.append((key, fn))
        return key

    def role_for_expression(self, expr: Any, owner: str = "") -> RoleKey:
        """The role key of a Role expression; registers roles outside the template too.
        An expression that cannot be resolved is a role of its own, keyed by the function that uses it."""
        role_id = self.role_id_of(expr)
        if role_id is not None:
            key = RoleKey.template(role_id)
            if key not in self.roles:
                res = self.resources[role_id]
                principal = Principal(key, expr, alnum(role_id), role_id)  # the caller's spelling, as it is
                self.roles[key] = Role(principal, condition_of(res), res)
            return key
        value = self.resolver.scalar(expr)
        known = isinstance(value, tuple) and unknown_parameter(value) is None
        text = sym_text(value) if known and isinstance(value, tuple) else f"?{owner}"
        key = RoleKey.outside(text)
        if key not in self.roles:
            label = alnum(_role_name(text))[:64] or "Role"
            self.roles[key] = Role(Principal(key, expr, label), NO_CONDITIONS, None)
        return key

    def role_id_of(self, expr: Any) -> str | None:
        """The logical ID of the template AWS::IAM::Role an ARN expression (or a role name) names."""
        value = self.resolver.scalar(expr)
        return self._role_id(value) if isinstance(value, tuple) else None

    @staticmethod
    def _role_named_by_token(value: Sym) -> str | None:
        """The logical ID a role ARN names through a token: `!GetAtt R.Arn`, `!Ref R`, or
        `arn:aws:iam::ACCOUNT:role/[path/]${R}`. None for any other shape."""
        token = single_token(value)
        if token is not None:
            return token.name if _names_or_arn(token) else None
        last = value[-1] if value else None
        if isinstance(last, Token) and last.kind == "ref":
            head = value[-2] if len(value) > 1 else None
            if isinstance(head, str) and head.endswith("/") and ":role/" in head:
                return last.name
        return None

    def _role_id(self, value: Sym) -> str | None:
        """A template AWS::IAM::Role named by token, or by its literal RoleName (bare or in an ARN)."""
        name = self._role_named_by_token(value)
        if name is not None and self._is_role(name):
            return name
        text = literal(value)
        if text and (":role/" in text or ":" not in text):  # a role ARN, or a bare role name
            name = _role_name(text)
            if name in self.role_names:
                return self.role_names[name]
        return None

    def _is_role(self, logical_id: str) -> bool:
        """Whether `logical_id` is an AWS::IAM::Role of the template (whatever its Condition)."""
        return logical_id in self._role_ids

    def role_key_for_attachment(self, node: Any) -> RoleKey | None:
        """The key of a caller's role that an entry of a policy's `Roles` / `RoleName` names (Ref of a
        role, or a literal name); None for a role no function of the template runs as."""
        value = self.resolver.scalar(node)
        if not isinstance(value, tuple):
            return None
        token = single_token(value)
        if token is not None and token.kind == "ref":
            key = RoleKey.template(token.name)
            return key if key in self.roles else None
        text = literal(value)
        if text and text in self.role_names:
            key = RoleKey.template(self.role_names[text])
            return key if key in self.roles else None
        if text:
            for key in self.roles:  # an external role named by ARN in a function's Role
                if not key.in_template and ":role/" in key.name and _role_name(key.name) == text:
                    return key
        return None

    def managed_policy_of(self, node: Any) -> str | None:
        """The logical ID of the template AWS::IAM::ManagedPolicy that `node` refers to, else None: `Ref`
        and `!GetAtt MP.PolicyArn` both stand for the policy's ARN (CloudFormation's return values)."""
        value = self.resolver.scalar(node)
        token = single_token(value) if isinstance(value, tuple) else None
        if token is not None and (
            token.kind == "ref" or (token.kind == "getatt" and token.attr == "PolicyArn")
        ):
            res = self.resources.get(token.name)
            if isinstance(res, dict) and res.get("Type") == MANAGED_POLICY:
                return None if decided_false(condition_of(res), self.resolver.conditions) else token.name
        return None

    def principal_key_of(self, expr: Any) -> RoleKey | None:
        """The role key of a Permission's Principal expression, when it names a known role."""
        value = self.resolver.scalar(expr)
        if not isinstance(value, tuple):
            return None
        name = self._role_named_by_token(value)  # SAM's generated roles included
        if name is not None and RoleKey.template(name) in self.roles:
            return RoleKey.template(name)
        role_id = self._role_id(value)
        if role_id is not None:
            return RoleKey.template(role_id)
        key = RoleKey.outside(sym_text(value))
        return key if key in self.roles else None
